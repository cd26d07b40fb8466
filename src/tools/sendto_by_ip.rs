//! sendto_by_ip's identity: command line and report (what it does:
//! src/bin/sendto_by_ip.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cgroup::Cgroup;
use crate::cli::CountArgs;
use crate::metrics::CounterSeries;
use crate::metrics::Declared;
use crate::record::Column;
use crate::record::Table;
use crate::report::Count;
use crate::tools::Tool;

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

/// With --metrics-addr (metrics.rs), in the order of the kernel's counters.
const METRICS: Declared = Declared {
    counters: &[CounterSeries {
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
