//! arpsnoop: the ARP requests and replies the host sends, one line each.
//! The kernel side is bpf/arpsnoop.bpf.c.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use ebpf_tracers::events::decode_prefix;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::record::Column;
use ebpf_tracers::record::Table;
use ebpf_tracers::skel::arpsnoop::types::event;
use ebpf_tracers::skel::arpsnoop::ArpsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Hooks;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::arpsnoop::Args;
use ebpf_tracers::tools::arpsnoop::Arp;
use ebpf_tracers::tools::arpsnoop::TOOL;

const HOOKS: Hooks = Hooks::new(
    "ARP",
    "arp_create",
    "kretprobe arp_create",
    "tracepoint net/net_dev_queue",
);
const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;

fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let (mode, what) = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.filters, &args.stream).probes(mode);
        let tracing = tool::load::<ArpsnoopSkelBuilder>(loading, |_| Ok(()))?;
        let table = Table::new()
            .column(Column::left("dev", "DEV", 16))
            .column(Column::left("op", "OP", 7))
            .column(Column::left("src_ip", "SRC_IP", 15))
            .column(Column::left("src_mac", "SRC_MAC", 20).formatted(|record| {
                format!("{:<17} ->", record["src_mac"].as_str().unwrap_or("-"))
            }))
            .column(Column::left("dst_ip", "DST_IP", 15))
            .column(Column::last("dst_mac", "DST_MAC"));
        let spec = StreamSpec::timed(&what, table, &args.stream, true);
        tracing.stream(spec, |data| {
            let event = decode_prefix::<event>(data, std::mem::size_of::<event>())?;
            Some(Arp {
                dev: escape(c_bytes(&event.dev)),
                op: operation(event.op),
                src_ip: Ipv4Addr::from(event.src_ip).to_string(),
                src_mac: mac(&event.src_mac),
                dst_ip: Ipv4Addr::from(event.dst_ip).to_string(),
                dst_mac: mac(&event.dst_mac),
            })
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
