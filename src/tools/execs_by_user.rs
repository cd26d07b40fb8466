//! execs_by_user: execve(2) calls per user and path, optionally only the failed ones.
//! The kernel side is bpf/execs_by_user.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup::Cgroup;
use crate::cli::CountArgs;
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
use crate::model::users::UserNames;

use skel::ExecsByUserSkelBuilder;
use skel::types::exec_key;

// The generated skeleton of bpf/execs_by_user.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    execs_by_user, OpenExecsByUserSkel => ExecsByUserSkel,
    aggregating,
    plain[exec_key],
    counting,
    inflight[(exec_calls_by_tid, exec_calls_in_task)]
);

pub const TOOL: Tool = Tool::counts::<Args, UserPath, Count>(
    "execs_by_user",
    "Count execve(2) and execveat(2) calls per user and executed path.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[CounterSeries {
        field: "count",
        name: "execs_by_user_calls_total",
        help: "execve(2) and execveat(2) calls, per user and path executed",
    }],
    histogram: None,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Count only failed executions
    #[arg(short = 'x', long = "failed")]
    pub failed: bool,
    #[command(flatten)]
    pub counting: CountArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execs_by_user             # executions per user and path, every second
    execs_by_user -u 1001     # only user 1001 (the tutorial's ebpf-pino)
    execs_by_user -u 1001 -x  # only the executions that failed (e.g. a typo: ENOENT)

Shell builtins such as cd and pwd run inside the shell and never call execve(),
so they are never counted. PATH is the path as passed to execve() or execveat()
(relative to its directory descriptor); for fexecve() it is the name of the file
executed.";

/// Counted per user and path (struct exec_key, bpf/execs_by_user.h).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct UserPath {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    pub uid: u32,
    /// The user's name ("?" when no account has the uid)
    pub user: String,
    /// The path as passed to execve() or execveat() (fexecve: the file's name); null
    /// when the kernel could not read it
    pub path: Option<String>,
}

impl UserPath {
    /// `UID USER` then the counters, then `PATH` (any length) last.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("uid", "UID", 16))
            .column(Column::left("user", "USER", 16))
            .column(Column::last("path", "PATH"))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::counting(&args.counting).failed_only(args.failed);
        let tracing = kernel::load::<ExecsByUserSkelBuilder>(loading, |_| Ok(()))?;
        let mut users = UserNames::default();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            UserPath::table(),
            "execve() per user",
            |raw| {
                let key: exec_key = maps::decode(raw)?;
                Some(UserPath {
                    cgroup: Cgroup::of(key.cgroup_id),
                    uid: key.uid,
                    user: users.name(key.uid),
                    path: exec::name(&key.path, key.unreadable),
                })
            },
        )
    })
}
