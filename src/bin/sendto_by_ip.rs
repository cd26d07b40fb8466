//! sendto_by_ip: sendto(2) calls per destination address (IPv4 and IPv6).
//! The kernel side is bpf/sendto_by_ip.bpf.c.

use std::net::Ipv4Addr;
use std::net::Ipv6Addr;
use std::process::ExitCode;

use ebpf_tracers::cli::CountArgs;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::skel::sendto_by_ip::SendtoByIpSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

const ABOUT: &str = "Count sendto(2) calls per destination IP address";

const EXAMPLES: &str = "\
EXAMPLES:
    sendto_by_ip              # sendto() calls per destination, every second
    sendto_by_ip -c ping -d 10
    sendto_by_ip --top 5 -i 10

Calls on connected sockets name no destination and are counted as (connected).
Each report walks the whole map from user space: cheap for the few hundred
destinations a host talks to, but its cost grows with the number of entries
(up to 10240), so prefer a longer -i on a busy server.";

const COLUMNS: Columns = Columns::new(&["DEST"], &["COUNT"]);

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

fn main() -> ExitCode {
    ebpf_tracers::run::group_tool_main::<CountArgs>("sendto_by_ip", ABOUT, EXAMPLES, |args| {
        let tracing = tool::load::<SendtoByIpSkelBuilder>(Loading::counting(args), |_| Ok(()))?;
        report::count_per_key(
            &tracing.maps.counts,
            args,
            COLUMNS,
            "sendto() per destination",
            |key| Some(vec![destination(key)]),
        )
    })
}

/// Renders a `struct dest_key` (bpf/sendto_by_ip.h): family u16, pad u16, addr[16].
fn destination(key: &[u8]) -> String {
    if key.len() < 20 {
        return "(malformed key)".into();
    }
    let family = u16::from_ne_bytes([key[0], key[1]]);
    let addr = &key[4..20];
    match family {
        0 => "(connected)".into(),
        AF_INET => Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]).to_string(),
        AF_INET6 => {
            let octets: [u8; 16] = addr.try_into().unwrap_or([0; 16]);
            Ipv6Addr::from(octets).to_string()
        }
        other => format!("(family {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(family: u16, addr: &[u8]) -> Vec<u8> {
        let mut key = family.to_ne_bytes().to_vec();
        key.extend_from_slice(&[0, 0]);
        let mut padded = addr.to_vec();
        padded.resize(16, 0);
        key.extend(padded);
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
        assert_eq!(destination(&[1, 2]), "(malformed key)");
    }
}
