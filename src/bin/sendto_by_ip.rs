//! sendto_by_ip: sendto(2) calls per destination address (IPv4 and IPv6).
//! The kernel side is bpf/sendto_by_ip.bpf.c.

use std::net::Ipv4Addr;
use std::net::Ipv6Addr;
use std::process::ExitCode;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::cli::CountArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::skel::sendto_by_ip::types::dest_key;
use ebpf_tracers::skel::sendto_by_ip::SendtoByIpSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::sendto_by_ip::Destination;
use ebpf_tracers::tools::sendto_by_ip::TOOL;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

pub fn main() -> ExitCode {
    TOOL.main(|args: &CountArgs| {
        let tracing = tool::load::<SendtoByIpSkelBuilder>(Loading::counting(args), |_| Ok(()))?;
        let columns = Destination::table();
        report::count_per_key(
            tracing.counting(),
            args,
            columns,
            "sendto() per destination",
            |raw| {
                let key: dest_key = maps::decode(raw)?;
                Some(Destination {
                    cgroup: Cgroup::of(key.cgroup_id),
                    dest: destination(&key),
                })
            },
        )
    })
}

/// A `struct dest_key` (bpf/sendto_by_ip.h) as an address, or what was counted instead.
fn destination(key: &dest_key) -> String {
    match key.family {
        0 => "(connected)".into(),
        AF_INET => Ipv4Addr::new(key.addr[0], key.addr[1], key.addr[2], key.addr[3]).to_string(),
        AF_INET6 => Ipv6Addr::from(key.addr).to_string(),
        other => format!("(family {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(family: u16, addr: &[u8]) -> dest_key {
        let mut key = dest_key {
            family,
            ..Default::default()
        };
        key.addr[..addr.len()].copy_from_slice(addr);
        key
    }

    #[test]
    fn destinations_render_by_family() {
        assert_eq!(destination(&key(AF_INET, &[127, 0, 0, 2])), "127.0.0.2");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(destination(&key(AF_INET6, &v6)), "::1");
        assert_eq!(destination(&key(0, &[])), "(connected)");
        assert_eq!(destination(&key(1, &[])), "(family 1)");
    }
}
