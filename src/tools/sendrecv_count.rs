//! sendrecv_count's identity: command line and report (what it does:
//! src/bin/sendrecv_count.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::TotalArgs;
use crate::metrics::CounterSeries;
use crate::metrics::Declared;
use crate::record::Column;
use crate::record::Table;
use crate::report::Counters;
use crate::report::NoKey;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::counts::<TotalArgs, NoKey, SendRecv>(
    "sendrecv_count",
    "Count sendto(2) and recvfrom(2) calls",
    "\
EXAMPLES:
    sendrecv_count            # sendto()/recvfrom() calls every second
    sendrecv_count -c ping    # only processes named ping
    sendrecv_count -p 181 -i 5 -d 60",
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs), in the order of the kernel's counters.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            name: "sendrecv_count_sendto_calls_total",
            help: "sendto(2) calls",
        },
        CounterSeries {
            name: "sendrecv_count_recvfrom_calls_total",
            help: "recvfrom(2) calls",
        },
    ],
    histogram: None,
};

/// The two counters of bpf/sendrecv_count.bpf.c.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SendRecv {
    /// sendto() calls
    pub sent: u64,
    /// recvfrom() calls
    pub recv: u64,
}

impl Counters for SendRecv {
    fn from_counts(counts: &[u64]) -> Self {
        let at = |i: usize| counts.get(i).copied().unwrap_or(0);
        Self {
            sent: at(0),
            recv: at(1),
        }
    }
}

impl SendRecv {
    /// `SENT RECV`.
    pub fn table() -> Table {
        Table::new()
            .column(Column::right("sent", "SENT", 10))
            .column(Column::right("recv", "RECV", 10))
    }
}
