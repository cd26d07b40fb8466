//! execve_count: execve(2) calls per name of the binary executed, counted in the kernel.
//! The kernel side is bpf/execve_count.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup::Cgroup;
use crate::cli::CountArgs;
use crate::cli::c_chars;
use crate::model::exec;
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

use skel::ExecveCountSkelBuilder;
use skel::types::name_key;

// The generated skeleton of bpf/execve_count.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    execve_count, OpenExecveCountSkel => ExecveCountSkel,
    aggregating,
    plain[name_key],
    counting,
    inflight[(exec_calls_by_tid, exec_calls_in_task)]
);

pub const TOOL: Tool = Tool::counts::<Args, NameKey, Count>(
    "execve_count",
    "Count execve(2) and execveat(2) calls per executed binary name.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[CounterSeries {
        field: "count",
        name: "execve_count_calls_total",
        help: "execve(2) and execveat(2) calls, per name of the binary executed",
    }],
    histogram: None,
};

#[derive(Debug, clap::Args)]
#[command(mut_arg("comm", |arg| arg.help(
    "Count only executions of a binary named exactly NAME (at most 15 bytes, in the kernel)"
)))]
pub struct Args {
    #[command(flatten)]
    pub counting: CountArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execve_count              # executions per binary name, every second
    execve_count -c cat       # only executions of binaries named cat (the tutorial's)
    execve_count -p 181       # only executions started by process 181

NAME is the last component of the path passed to execve() or execveat(), read when
the call starts (the kernel still calls the task by the caller's name, bash say, at
that point); for fexecve() it is the name of the file executed. Failed executions
count too.";

/// Counted per executed binary name (struct name_key, bpf/execve_count.bpf.c).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct NameKey {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    /// The last component of the path executed; null when the kernel could not read it
    pub name: Option<String>,
}

impl NameKey {
    /// The key column `NAME`.
    pub fn table() -> Table {
        Table::new().column(Column::left("name", "NAME", 16))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let filters = &args.counting.filters;
        let tracing =
            kernel::load::<ExecveCountSkelBuilder>(Loading::counting(&args.counting), |open| {
                let rodata = open.rodata()?;
                // -c names the binary executed, not the caller: it goes to targ_name instead.
                rodata.filter_comm = false;
                rodata.filter_name = filters.comm.is_some();
                rodata.targ_name = c_chars(filters.comm.as_deref().unwrap_or(""));
                Ok(())
            })?;
        let columns = NameKey::table();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            columns,
            "execve() per executed name",
            |raw| {
                let key: name_key = maps::decode(raw)?;
                Some(NameKey {
                    cgroup: Cgroup::of(key.cgroup_id),
                    name: exec::name(&key.name, key.unreadable),
                })
            },
        )
    })
}
