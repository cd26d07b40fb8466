//! openat_count: openat(2) calls per process name, counted in the kernel.
//! The kernel side is bpf/openat_count.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup::Cgroup;
use crate::cli::CountArgs;
use crate::cli::NameArgs;
use crate::kernel::maps;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::output::report;
use crate::kernel::counters::Count;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::tools::Tool;

use skel::OpenatCountSkelBuilder;
use skel::types::comm_key;

// The generated skeleton of bpf/openat_count.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    openat_count, OpenOpenatCountSkel => OpenatCountSkel,
    aggregating,
    plain[comm_key],
    counting
);

pub const TOOL: Tool = Tool::counts::<Args, CommKey, Count>(
    "openat_count",
    "Count openat(2) calls per process name.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[CounterSeries {
        field: "count",
        name: "openat_count_calls_total",
        help: "openat(2) calls, per process name",
    }],
    histogram: None,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub counting: CountArgs,
    #[command(flatten)]
    pub name: NameArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    openat_count              # openat() calls per process name, every second
    openat_count -c test      # only processes named test (the tutorial's example)
    openat_count -p 181 -d 10 # one process, for ten seconds
    openat_count -i 5 --top 5 # the five busiest names every five seconds
    openat_count --by-cgroup  # per container (cgroup) and name";

/// Counted per process name (struct comm_key, bpf/common.h).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct CommKey {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    /// Process name (control bytes escaped); absent when not counted per name
    /// (kmalloc_bytes --by-cgroup without --by-comm)
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comm: String,
}

impl CommKey {
    /// The key column `COMM`.
    pub fn table() -> Table {
        Table::new().column(Task::comm_column())
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let tracing =
            kernel::load::<OpenatCountSkelBuilder>(Loading::counting(&args.counting), |_| Ok(()))?;
        let columns = CommKey::table();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            columns,
            "openat() per process name",
            |raw| {
                let key: comm_key = maps::decode(raw)?;
                let comm = c_bytes(&key.comm);
                args.name.matches(comm).then(|| CommKey {
                    cgroup: Cgroup::of(key.cgroup_id),
                    comm: escape(comm),
                })
            },
        )
    })
}
