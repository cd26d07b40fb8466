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
    /// Refuse (EPERM) running these files: executing them, and mapping them
    /// executable (the dynamic loader, mmap/mprotect with PROT_EXEC). A rule matches
    /// the file it names when execguard starts, by device, inode and generation (a hard
    /// link, a rename, a symlink or a descriptor reaches the same file), and whatever
    /// file is later at its path (a new file renamed over it)
    #[arg(long = "deny", value_name = "FILE", num_args = 1..,
          required_unless_present_any = ["deny_fileless", "allow"])]
    pub deny: Vec<PathBuf>,
    /// Allow only these files (an allowlist): in the --cgroup given, running or mapping
    /// executable any other file is refused (EPERM) and reported: copies, downloads
    /// and memfds included. A FILE is matched by device, inode and generation, not by
    /// path (a file renamed over an allowed path is another file). A dynamic program
    /// needs its loader and libraries allowed too: list them, or --allow-libraries.
    /// Not with -p/-t/-u/-c: a fork, a setuid or a new name would step outside
    #[arg(long = "allow", value_name = "FILE", num_args = 1..,
          conflicts_with_all = ["deny", "deny_fileless", "pid", "tid", "uid", "comm"])]
    pub allow: Vec<PathBuf>,
    /// With --allow: allow as well the dynamic loader (PT_INTERP) and the libraries
    /// (DT_NEEDED, transitively) of each FILE, found as the loader finds them: the
    /// file's RPATH/RUNPATH ($ORIGIN too), the directories of /etc/ld.so.conf and the
    /// default /lib, /usr/lib (and lib64), in the rules' root. Libraries opened with
    /// dlopen or found through LD_LIBRARY_PATH are not: list them
    #[arg(long = "allow-libraries", requires = "allow")]
    pub allow_libraries: bool,
    /// Refuse running files that have no name left: a memfd, an O_TMPFILE file, a
    /// deleted file (bytes copied where no rule's path can name them)
    #[arg(long = "deny-fileless")]
    pub deny_fileless: bool,
    /// Report every attempt but refuse none (to try a policy out)
    #[arg(long = "audit")]
    pub audit: bool,
    /// Deny even a file whose denial can lock the system out: this tool's own
    /// binary, PID 1's executable, or that of a process this tool runs under (the
    /// shell it was started from, say), or the login shell ($SHELL); with --allow, an
    /// allowlist without --cgroup or for a cgroup that holds this tool or PID 1
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
    execguard --deny-fileless                 # no memfd_create + fexecve
    execguard --cgroup /sys/fs/cgroup/system.slice/docker-ab12.scope \
        --allow /usr/local/bin/app --allow-libraries
                                              # that container runs its app, nothing else

The policy lives as long as execguard: when it stops (Ctrl-C, SIGTERM, --duration,
even SIGKILL) nothing of it is left in the kernel. Needs BPF LSM active: `bpf` in
/sys/kernel/security/lsm (boot with lsm=...,bpf). A FILE that does not exist or is not
a regular file, or whose denial could lock you out, is refused with exit status 2.
COMM is the caller's (the program that tried to exec); ROUTE how it tried (exec,
mmap: mapped executable, mprotect: made executable); PATH is the file's own path.";

/// One attempt to execute a file a rule names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Attempt {
    #[serde(flatten)]
    pub task: Task,
    /// "deny": refused with EPERM; "audit": reported only (--audit), the exec went on
    pub action: &'static str,
    /// The --deny FILE that matched, as given ("--deny-fileless" for a file with no
    /// name left, "--allow" for a file no allowlist rule names)
    pub rule: Arc<str>,
    /// How the file was to run: "exec" (execve, execveat, fexecve, a script's
    /// interpreter), "mmap" (mapped executable: the dynamic loader, say) or "mprotect"
    /// (a map of it made executable)
    pub route: &'static str,
    /// What the rule matched: "file" (the file it named at start, by any name),
    /// "path" (the file now at its path), "fileless" (--deny-fileless) or "unlisted"
    /// (--allow: a file none of the rules names)
    pub matched: &'static str,
    #[serde(flatten)]
    pub path: ShownPath,
}

impl Attempt {
    /// `TIME PID PPID UID COMM ACTION ROUTE PATH` (TIME always).
    pub fn table() -> Table {
        Table::new()
            .column(Task::pid_column())
            .column(Task::ppid_column())
            .column(Task::uid_column())
            .column(Task::comm_column())
            .column(Column::left("action", "ACTION", 6))
            .column(Column::left("route", "ROUTE", 8))
            .column(Column::last("path", "PATH"))
    }
}
