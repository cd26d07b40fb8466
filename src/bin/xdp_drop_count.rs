//! xdp_drop_count: frames an interface receives, per protocol, counted (and with --drop
//! dropped) by an XDP program. The kernel side is bpf/xdp_drop_count.bpf.c.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::skel::xdp_drop_count::XdpDropCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::Xdp;

/// Count the frames an interface receives per protocol with XDP, and drop some.
#[derive(Debug, Parser)]
#[command(name = "xdp_drop_count", version, after_help = EXAMPLES)]
struct Args {
    /// The network interface to attach to (in this network namespace)
    #[arg(value_name = "IFACE")]
    iface: String,
    /// Drop the frames of PROTO before the kernel sees them: icmp, tcp, udp, icmpv6,
    /// arp, or an IP protocol number (repeat for several)
    #[arg(long = "drop", value_name = "PROTO", value_parser = parse_protocol)]
    drop: Vec<u32>,
    #[command(flatten)]
    report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    xdp_drop_count eth0               # frames per protocol on eth0, every second
    xdp_drop_count eth0 --drop icmp   # and drop ICMP (ping stops answering)
    xdp_drop_count veth1 --drop arp --drop 17 -i 5

Counts are of received frames only, taken before anything else in the kernel
sees them. IPv6 frames count under their first next header (extension headers
are not walked). The program stays attached only while the tool runs.";

const COLUMNS: Columns = Columns::new(&["PROTO"], &["PACKETS", "DROPPED"]);
/// The counter slots of bpf/xdp_drop_count.h: IP protocols 0-255, then ARP, then other.
const SLOT_ARP: u32 = 256;
const SLOT_OTHER: u32 = 257;
const SLOTS: u32 = 258;
const NAMED: [(u32, &str); 10] = [
    (1, "icmp"),
    (2, "igmp"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6-in-ip"),
    (47, "gre"),
    (50, "esp"),
    (58, "icmpv6"),
    (132, "sctp"),
    (SLOT_ARP, "arp"),
];

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("xdp_drop_count", |args: &Args| {
        let ifindex = nix::net::if_::if_nametoindex(args.iface.as_str()).with_context(|| {
            format!(
                "no interface {} in this network namespace (see ip link)",
                args.iface
            )
        })?;
        let filters = FilterArgs::default();
        let xdp = Xdp {
            program: "xdp__count",
            ifindex: i32::try_from(ifindex).context("interface index out of range")?,
        };
        let loading = Loading::report(&filters, &args.report).xdp(xdp);
        let tracing = tool::load::<XdpDropCountSkelBuilder>(loading, |rodata| {
            for slot in &args.drop {
                rodata.drop_mask[(slot / 64) as usize] |= 1 << (slot % 64);
            }
            Ok(())
        })?;
        let read = || {
            let mut counts = Vec::new();
            for slot in 0..SLOTS {
                let sums = maps::percpu_sum_u64s(&tracing.maps.protocols, &slot.to_ne_bytes())?;
                counts.push((slot, sums));
            }
            Ok(counts)
        };
        let what = format!("XDP on {}", args.iface);
        report::count_fixed(&args.report, COLUMNS, &what, read, |counts| {
            counts
                .into_iter()
                .filter(|(_, sums)| sums.iter().any(|&n| n > 0))
                .map(|(slot, counts)| Row {
                    keys: vec![protocol_name(slot)],
                    counts,
                })
                .collect()
        })
    })
}

fn protocol_name(slot: u32) -> String {
    match NAMED.iter().find(|(number, _)| *number == slot) {
        Some((_, name)) => name.to_string(),
        None if slot == SLOT_OTHER => "other".to_string(),
        None => format!("ip-proto-{slot}"),
    }
}

fn parse_protocol(text: &str) -> Result<u32, String> {
    if let Some((number, _)) = NAMED
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(text))
    {
        return Ok(*number);
    }
    match text.parse::<u32>() {
        Ok(number) if number <= 255 => Ok(number),
        _ => Err(format!(
            "{text} is neither a protocol name (icmp, tcp, udp, icmpv6, arp, ...) nor an IP \
             protocol number (0-255)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_by_name_or_number_and_print_by_name() {
        assert_eq!(parse_protocol("icmp"), Ok(1));
        assert_eq!(parse_protocol("ARP"), Ok(SLOT_ARP));
        assert_eq!(parse_protocol("17"), Ok(17));
        assert!(parse_protocol("256").is_err());
        assert!(parse_protocol("carrier-pigeon").is_err());
        assert_eq!(protocol_name(6), "tcp");
        assert_eq!(protocol_name(99), "ip-proto-99");
        assert_eq!(protocol_name(SLOT_OTHER), "other");
    }
}
