//! kmalloc_bytes: how much the kernel's kmalloc allocates, per interval and in total,
//! optionally per process name and as a histogram of request sizes.
//! The kernel side is bpf/kmalloc_bytes.bpf.c.

use std::process::ExitCode;

use crate::model::cgroup::Cgroup;
use crate::cli::ByCgroupArgs;
use crate::cli::FilterArgs;
use crate::cli::ReportArgs;
use crate::kernel::counters;
use crate::kernel::maps;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::metrics::HistogramSeries;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::tools::Tool;
use crate::tools::openat_count::CommKey;

use skel::KmallocBytesSkelBuilder;
use skel::types::comm_key;
use skel::types::kmalloc_totals;

// The generated skeleton of bpf/kmalloc_bytes.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    kmalloc_bytes, OpenKmallocBytesSkel => KmallocBytesSkel,
    aggregating,
    plain[comm_key, kmalloc_totals]
);

pub const TOOL: Tool = Tool::counts::<Args, CommKey, Allocations>(
    "kmalloc_bytes",
    "Count kmalloc calls and bytes (requested and actually allocated).",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "calls",
            name: "kmalloc_bytes_calls_total",
            help: "kmalloc calls",
        },
        CounterSeries {
            field: "bytes_req",
            name: "kmalloc_bytes_requested_bytes_total",
            help: "Bytes requested from kmalloc",
        },
        CounterSeries {
            field: "bytes_alloc",
            name: "kmalloc_bytes_allocated_bytes_total",
            help: "Bytes kmalloc allocated (slab object sizes)",
        },
    ],
    histogram: Some(HistogramSeries {
        name: "kmalloc_bytes_request_size_bytes",
        help: "kmalloc request sizes (--hist); bucket bounds are 2^i - 1",
        sum_of: "bytes_req",
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

crate::kernel::counters::counters! {
    /// The counters of struct kmalloc_totals (bpf/kmalloc_bytes.h).
    pub struct Allocations from kmalloc_totals {
        /// kmalloc calls
        calls,
        /// Bytes requested
        bytes_req,
        /// Bytes allocated (the slab object sizes)
        bytes_alloc,
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

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let by_cgroup = args.grouping.by_cgroup;
        let loading = Loading::report(&args.filters, &args.report).by_cgroup(by_cgroup);
        let tracing = kernel::load::<KmallocBytesSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
            rodata.by_comm = args.by_comm;
            rodata.size_hist = args.hist;
            Ok(())
        })?;
        let table = Allocations::table(args.by_comm).cgroup_first(by_cgroup);
        // Process names ranked by bytes allocated, under the total of all of them.
        let by_bytes = |counts: &Allocations| counts.bytes_alloc;
        let mut spec = ReportSpec::new("kmalloc", table, Ranking::top_by(args.top, by_bytes));
        spec.total_label = match (args.by_comm, by_cgroup) {
            (true, _) => Some(("comm", "[all]")),
            (false, true) => Some(("cgroup", "[all]")),
            (false, false) => None,
        };
        spec.total_first = true;
        spec.histogram_unit = "bytes";
        let zero = 0u32.to_ne_bytes();
        let mut per_comm = counters::Drained::new(
            &tracing.maps.comm_totals,
            &tracing.maps.comm_totals_0,
            &tracing.maps.comm_totals_1,
        );
        let capacity = per_comm.capacity();
        report::run_reports::<CommKey, Allocations>(&args.report, spec, |counts| {
            // Per-name counters are read before the grand total, so that the total
            // (read last, while the kernel keeps counting) is never below their sum.
            if args.by_comm || by_cgroup {
                let taken = per_comm.drain::<Allocations>()?;
                counts
                    .per_key
                    .add(taken.into_iter().filter_map(|(raw, sums)| {
                        let key: comm_key = maps::decode(&raw)?;
                        let comm = escape(c_bytes(&key.comm));
                        let cgroup = Cgroup::of(key.cgroup_id);
                        Some((CommKey { cgroup, comm }, sums))
                    }));
                let missed = counters::per_cpu_number(&tracing.maps.not_counted)?;
                counts.set_not_counted(missed, capacity);
            }
            counts.set_total(counters::per_cpu_sum(&tracing.maps.totals, &zero)?);
            if args.hist {
                counts.histogram = Some(maps::percpu_slots(&tracing.maps.hist, &zero)?);
            }
            Ok(())
        })
    })
}
