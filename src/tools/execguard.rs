//! execguard's identity: command line and record (what it does: src/bin/execguard.rs).

use std::path::PathBuf;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::paths::ShownPath;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, Attempt>(
    "execguard",
    "Refuse the execution of chosen files (BPF LSM), and report every attempt.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Refuse (EPERM) every execution of these files, matched by device and inode
    /// when execguard starts: a hard link, a rename, a symlink or a descriptor
    /// (fexecve) reaches the same file and is refused too
    #[arg(long = "deny", value_name = "FILE", required = true, num_args = 1..)]
    pub deny: Vec<PathBuf>,
    /// Report every attempt but refuse none (to try a policy out)
    #[arg(long = "audit")]
    pub audit: bool,
    /// Deny even a file whose denial can lock the system out: this tool's own
    /// binary, PID 1's executable, or that of a process this tool runs under (the
    /// shell it was started from, say), or the login shell ($SHELL)
    #[arg(long = "allow-lockout")]
    pub allow_lockout: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execguard --deny /usr/bin/nc              # nobody runs nc while execguard runs
    execguard --deny /usr/bin/nc /usr/bin/socat
    execguard --audit --deny /usr/bin/curl    # report who runs curl, refuse nothing
    execguard -u 1000 --deny /usr/bin/gdb     # only user 1000 is refused
    execguard --cgroup /sys/fs/cgroup/system.slice/docker-ab12.scope --deny /bin/sh
                                              # only that container is refused
    execguard --json --deny /usr/bin/nc       # one JSON object per attempt

The policy lives as long as execguard: when it stops (Ctrl-C, SIGTERM, --duration,
even SIGKILL) nothing of it is left in the kernel. Needs BPF LSM active: `bpf` in
/sys/kernel/security/lsm (boot with lsm=...,bpf). A FILE that does not exist or is not
a regular file, or whose denial could lock you out, is refused with exit status 2.
COMM is the caller's (the program that tried to exec); PATH is the file's own path.";

/// One attempt to execute a file a rule names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Attempt {
    #[serde(flatten)]
    pub task: Task,
    /// "deny": refused with EPERM; "audit": reported only (--audit), the exec went on
    pub action: &'static str,
    /// The --deny FILE that matched, as given
    pub rule: Arc<str>,
    #[serde(flatten)]
    pub path: ShownPath,
}

impl Attempt {
    /// `TIME PID PPID UID COMM ACTION PATH` (TIME always).
    pub fn table() -> Table {
        Table::new()
            .column(Task::pid_column())
            .column(Task::ppid_column())
            .column(Task::uid_column())
            .column(Task::comm_column())
            .column(Column::left("action", "ACTION", 6))
            .column(Column::last("path", "PATH"))
    }
}
