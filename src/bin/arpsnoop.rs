//! arpsnoop: the ARP requests and replies the host sends, one line each.
//! The kernel side is bpf/arpsnoop.bpf.c.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ModeArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_prefix;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::local_time_hms;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::skel::arpsnoop::types::event;
use ebpf_tracers::skel::arpsnoop::ArpsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Hooks;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Show the ARP requests and replies the host sends (IPv4 over Ethernet).
#[derive(Debug, Parser)]
#[command(name = "arpsnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    mode: ModeArgs,
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    arpsnoop                    # every ARP frame the host sends
    arpsnoop --json
    arpsnoop --mode tracepoint  # every ARP frame queued to a device, packet sockets'
                                # (arping) too

With kprobes (the default where the kernel has them) the frames are those the
kernel's ARP code builds (arp_create); with --mode tracepoint, or where the kernel
has no kprobes, every ARP frame handed to a device. TIME is always shown; -p/-c/-u
match the task on the CPU, which for the kernel's own requests is often not the
one whose packet needed the address.";

const HOOKS: Hooks = Hooks::new(
    "ARP",
    "arp_create",
    "kretprobe arp_create",
    "tracepoint net/net_dev_queue",
);
const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("arpsnoop", |args: &Args| {
        let (mode, what) = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.filters, &args.stream).probes(mode);
        let tracing = tool::load::<ArpsnoopSkelBuilder>(loading, |_| Ok(()))?;
        let header = format!(
            "{:<8} {:<16} {:<7} {:<15} {:<17}    {:<15} DST_MAC",
            "TIME", "DEV", "OP", "SRC_IP", "SRC_MAC", "DST_IP"
        );
        let spec = StreamSpec::new(&what, header, &args.stream);
        tracing.stream(spec, |output, data| {
            let Some(event) = decode_prefix::<event>(data, std::mem::size_of::<event>()) else {
                return Ok(());
            };
            output.line(&render(&event, args.stream.output.json))
        })
    })
}

fn mac(bytes: &[u8; 6]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn operation(op: u16) -> String {
    match op {
        ARP_REQUEST => "request".into(),
        ARP_REPLY => "reply".into(),
        other => format!("op-{other}"),
    }
}

fn render(event: &event, json: bool) -> String {
    let time = local_time_hms();
    let dev = escape(c_bytes(&event.dev));
    let op = operation(event.op);
    let (src_ip, dst_ip) = (Ipv4Addr::from(event.src_ip), Ipv4Addr::from(event.dst_ip));
    let (src_mac, dst_mac) = (mac(&event.src_mac), mac(&event.dst_mac));
    if json {
        return JsonLine::new()
            .str("time", &time)
            .str("dev", &dev)
            .str("op", &op)
            .str("src_ip", &src_ip.to_string())
            .str("src_mac", &src_mac)
            .str("dst_ip", &dst_ip.to_string())
            .str("dst_mac", &dst_mac)
            .finish();
    }
    format!(
        "{time:<8} {dev:<16} {op:<7} {:<15} {src_mac:<17} -> {:<15} {dst_mac}",
        src_ip.to_string(),
        dst_ip.to_string()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_operations_read_as_ip_neigh_shows_them() {
        assert_eq!(mac(&[0, 0x1b, 0x2c, 0, 0xff, 9]), "00:1b:2c:00:ff:09");
        assert_eq!(operation(1), "request");
        assert_eq!(operation(2), "reply");
        assert_eq!(operation(8), "op-8");
    }
}
