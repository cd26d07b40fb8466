//! kmalloc_bytes' identity: command line and report (what it does:
//! src/bin/kmalloc_bytes.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::ByCgroupArgs;
use crate::cli::FilterArgs;
use crate::cli::ReportArgs;
use crate::metrics::CounterSeries;
use crate::metrics::Declared;
use crate::metrics::HistogramSeries;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::report::Counters;
use crate::tools::openat_count::CommKey;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::counts::<Args, CommKey, Allocations>(
    "kmalloc_bytes",
    "Count kmalloc calls and bytes (requested and actually allocated).",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs), in the order of the kernel's counters.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            name: "kmalloc_bytes_calls_total",
            help: "kmalloc calls",
        },
        CounterSeries {
            name: "kmalloc_bytes_requested_bytes_total",
            help: "Bytes requested from kmalloc",
        },
        CounterSeries {
            name: "kmalloc_bytes_allocated_bytes_total",
            help: "Bytes kmalloc allocated (slab object sizes)",
        },
    ],
    histogram: Some(HistogramSeries {
        name: "kmalloc_bytes_request_size_bytes",
        help: "kmalloc request sizes (--hist); bucket bounds are 2^i - 1",
        sum_of: 1,
    }),
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Also count per process name and show the top N
    #[arg(long = "by-comm")]
    pub by_comm: bool,
    /// How many process names --by-comm shows
    #[arg(long = "top", value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub top: u32,
    /// Print a log2 histogram of request sizes at exit
    #[arg(long = "hist")]
    pub hist: bool,
    #[command(flatten)]
    pub grouping: ByCgroupArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    kmalloc_bytes               # calls and bytes every second, total at Ctrl-C
    kmalloc_bytes -i 5 -d 60    # every 5 seconds, for a minute
    kmalloc_bytes --by-comm     # also the top 10 process names each interval
    kmalloc_bytes --hist        # histogram of request sizes at exit
    kmalloc_bytes -c nginx      # only allocations made while nginx runs
    kmalloc_bytes --json        # one JSON object per interval

Allocations are charged to the task running when kmalloc is called; those made in
interrupt context land on whichever task was interrupted.";

/// The counters of struct kmalloc_totals (bpf/kmalloc_bytes.h).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Allocations {
    /// kmalloc calls
    pub calls: u64,
    /// Bytes requested
    pub bytes_req: u64,
    /// Bytes allocated (the slab object sizes)
    pub bytes_alloc: u64,
}

impl Counters for Allocations {
    fn from_counts(counts: &[u64]) -> Self {
        let at = |i: usize| counts.get(i).copied().unwrap_or(0);
        Self {
            calls: at(0),
            bytes_req: at(1),
            bytes_alloc: at(2),
        }
    }
}

impl Allocations {
    /// `[COMM] CALLS BYTES_REQ BYTES_ALLOC` (COMM with --by-comm).
    pub fn table(by_comm: bool) -> Table {
        Table::new()
            .column_if(by_comm, Task::comm_column())
            .column(Column::right("calls", "CALLS", 10))
            .column(Column::right("bytes_req", "BYTES_REQ", 14))
            .column(Column::right("bytes_alloc", "BYTES_ALLOC", 14))
    }
}
