//! xdp_drop_count: frames an interface receives, per protocol, counted (and with --drop
//! dropped) by an XDP program. The kernel side is bpf/xdp_drop_count.bpf.c.

use std::process::ExitCode;

use anyhow::Context;
use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::ReportArgs;
use crate::kernel::counters;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::kernel::load::Xdp;
use crate::tools::Tool;

use skel::XdpDropCountSkelBuilder;
use skel::types::proto_counts;

// The generated skeleton of bpf/xdp_drop_count.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    xdp_drop_count, OpenXdpDropCountSkel => XdpDropCountSkel,
    aggregating,
    plain[proto_counts]
);

pub const TOOL: Tool = Tool::counts::<Args, Protocol, Frames>(
    "xdp_drop_count",
    "Count the frames an interface receives per protocol with XDP, and drop some.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "packets",
            name: "xdp_drop_count_packets_total",
            help: "Frames received, per protocol",
        },
        CounterSeries {
            field: "dropped",
            name: "xdp_drop_count_dropped_packets_total",
            help: "Frames dropped (--drop), per protocol",
        },
    ],
    histogram: None,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The network interface to attach to (in this network namespace)
    #[arg(value_name = "IFACE")]
    pub iface: String,
    /// Drop the frames of PROTO before the kernel sees them: icmp, tcp, udp, icmpv6,
    /// arp, or an IP protocol number (repeat for several)
    #[arg(long = "drop", value_name = "PROTO", value_parser = parse_protocol)]
    pub drop: Vec<u32>,
    #[command(flatten)]
    pub report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    xdp_drop_count eth0               # frames per protocol on eth0, every second
    xdp_drop_count eth0 --drop icmp   # and drop ICMP (ping stops answering)
    xdp_drop_count veth1 --drop arp --drop 17 -i 5

Counts are of received frames only, taken before anything else in the kernel
sees them. IPv6 frames count under their first next header (extension headers
are not walked). The program stays attached only while the tool runs.";

/// The counter slots of bpf/xdp_drop_count.h: IP protocols 0-255, then ARP, then other.
pub const SLOT_ARP: u32 = 256;
pub const SLOT_OTHER: u32 = 257;
pub const SLOTS: u32 = 258;
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

/// Counted per protocol (a slot of the per-CPU array), in slot order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Protocol {
    #[serde(skip)]
    pub slot: u32,
    /// icmp, tcp, udp, arp, ..., ip-proto-N or other
    pub proto: String,
}

impl Protocol {
    pub fn of_slot(slot: u32) -> Self {
        let proto = match NAMED.iter().find(|(number, _)| *number == slot) {
            Some((_, name)) => name.to_string(),
            None if slot == SLOT_OTHER => "other".to_string(),
            None => format!("ip-proto-{slot}"),
        };
        Self { slot, proto }
    }
}

// struct proto_counts (bpf/xdp_drop_count.h), as the tables and JSON show it.
crate::kernel::counters::counters! {
    /// The counters of one slot.
    pub struct Frames from proto_counts {
        /// Frames received
        packets,
        /// Of those, dropped (--drop)
        dropped,
    }
}

pub fn parse_protocol(text: &str) -> Result<u32, String> {
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

impl Frames {
    /// `PROTO PACKETS DROPPED`.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("proto", "PROTO", 16))
            .column(Column::right("packets", "PACKETS", 10))
            .column(Column::right("dropped", "DROPPED", 10))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let ifindex = nix::net::if_::if_nametoindex(args.iface.as_str()).with_context(|| {
            format!(
                "no interface {} in this network namespace (see ip link)",
                args.iface
            )
        })?;
        let filters = FilterArgs::default();
        let xdp = Xdp {
            ifindex: i32::try_from(ifindex).context("interface index out of range")?,
        };
        let loading = Loading::report(&filters, &args.report).xdp(xdp);
        let tracing = kernel::load::<XdpDropCountSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
            for slot in &args.drop {
                rodata.drop_mask[(slot / 64) as usize] |= 1 << (slot % 64);
            }
            Ok(())
        })?;
        let table = Frames::table();
        let what = format!("XDP on {}", args.iface);
        let spec = ReportSpec::new(&what, table, Ranking::KeyOrder);
        report::run_reports::<Protocol, Frames>(&args.report, spec, |counts| {
            let mut slots = Vec::new();
            for slot in 0..SLOTS {
                let sums = counters::per_cpu_sum(&tracing.maps.protocols, &slot.to_ne_bytes())?;
                slots.push((Protocol::of_slot(slot), sums));
            }
            counts.per_key.set(slots);
            Ok(())
        })
    })
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
        assert_eq!(Protocol::of_slot(6).proto, "tcp");
        assert_eq!(Protocol::of_slot(99).proto, "ip-proto-99");
        assert_eq!(Protocol::of_slot(SLOT_OTHER).proto, "other");
    }
}
