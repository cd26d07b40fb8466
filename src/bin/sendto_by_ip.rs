//! sendto_by_ip: sendto(2) calls per destination address (IPv4 and IPv6).
//! The kernel side is bpf/sendto_by_ip.bpf.c.

use std::mem::MaybeUninit;
use std::net::Ipv4Addr;
use std::net::Ipv6Addr;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Reporting;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Tally;
use ebpf_tracers::skel::sendto_by_ip::SendtoByIpSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    sendto_by_ip              # sendto() calls per destination, every second
    sendto_by_ip -c ping -d 10
    sendto_by_ip --top 5 -i 10

Calls on connected sockets name no destination and are counted as (connected).
Each report walks the whole map from user space: cheap for the few hundred
destinations a host talks to, but its cost grows with the number of entries
(up to 10240), so prefer a longer -i on a busy server.";

const COLUMNS: Columns = Columns {
    keys: &["DEST"],
    counts: &["COUNT"],
    path_last: false,
};

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Count sendto(2) calls per destination IP address.
#[derive(Debug, Parser)]
#[command(name = "sendto_by_ip", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("sendto_by_ip", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<SendtoByIpSkelBuilder>(&mut object, &tracefs, None, |skel| {
            write_filter_rodata!(tool::rodata(&mut skel.maps.rodata_data)?, &args.filters);
            Ok(())
        })?;

    let spec = Reporting::new(COLUMNS, &args.report, "sendto() per destination");
    let mut tally = Tally::new(args.top.top as usize);
    report::run_reports(spec, |scope| {
        let counts = tally.select(maps::percpu_hash_sums(&skel.maps.counts)?, scope);
        Ok(counts
            .into_iter()
            .map(|(key, counts)| Row {
                keys: vec![destination(&key)],
                counts,
            })
            .collect())
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
