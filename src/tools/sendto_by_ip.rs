//! sendto_by_ip: sendto(2) calls per destination address (IPv4 and IPv6).
//! The kernel side is bpf/sendto_by_ip.bpf.c.

use std::net::Ipv4Addr;
use std::net::Ipv6Addr;
use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup::Cgroup;
use crate::cli::CountArgs;
use crate::kernel::maps;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::kernel::counters::Count;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::tools::Tool;

use skel::SendtoByIpSkelBuilder;
use skel::types::dest_key;

// The generated skeleton of bpf/sendto_by_ip.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    sendto_by_ip, OpenSendtoByIpSkel => SendtoByIpSkel,
    aggregating,
    plain[dest_key],
    counting
);

pub const TOOL: Tool = Tool::counts::<CountArgs, Destination, Count>(
    "sendto_by_ip",
    "Count sendto(2) calls per destination IP address",
    "\
EXAMPLES:
    sendto_by_ip              # sendto() calls per destination, every second
    sendto_by_ip -c ping -d 10
    sendto_by_ip --top 5 -i 10

Calls on connected sockets name no destination and are counted as (connected).
Each report walks the whole map from user space: cheap for the few hundred
destinations a host talks to, but its cost grows with the number of entries
(up to 10240), so prefer a longer -i on a busy server.",
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[CounterSeries {
        field: "count",
        name: "sendto_by_ip_calls_total",
        help: "sendto(2) calls, per destination",
    }],
    histogram: None,
};

/// Counted per destination (struct dest_key, bpf/sendto_by_ip.h).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Destination {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    /// An IPv4 or IPv6 address, (connected) or (family N)
    pub dest: String,
}

impl Destination {
    /// The key column `DEST`.
    pub fn table() -> Table {
        Table::new().column(Column::left("dest", "DEST", 16))
    }
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &CountArgs| {
        let tracing = kernel::load::<SendtoByIpSkelBuilder>(Loading::counting(args), |_| Ok(()))?;
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
