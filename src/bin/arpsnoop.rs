//! arpsnoop: the ARP requests and replies the host sends, one line each.
//! The kernel side is bpf/arpsnoop.bpf.c.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::skel::arpsnoop::types::event;
use ebpf_tracers::skel::arpsnoop::ArpsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::arpsnoop;
use ebpf_tracers::tools::arpsnoop::Args;
use ebpf_tracers::tools::arpsnoop::Arp;
use ebpf_tracers::tools::arpsnoop::TOOL;

const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = arpsnoop::HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.filters, &args.stream).probes(&probes);
        let tracing = tool::load::<ArpsnoopSkelBuilder>(loading, |_| Ok(()))?;
        let spec = StreamSpec::new(&probes.what, Arp::table(), &args.stream).always_timed();
        tracing.stream_events(spec, |event: event| {
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
