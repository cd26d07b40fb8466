//! opensnoop's identity: command line and record (what it does: src/bin/opensnoop.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::PathArgs;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::paths::ShownPath;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, Open>(
    "opensnoop",
    "Trace open family syscalls: who opened what, and the result.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    /// Print the parent's PID
    #[arg(short = 'P', long = "print-ppid")]
    pub print_ppid: bool,
    /// Extended fields of output (open flags, mode)
    #[arg(short = 'e', long = "extended-fields")]
    pub extended: bool,
    /// Extended fields with the open flags by name (O_WRONLY|O_CREAT|...)
    #[arg(short = 'E', long = "format-extended-fields")]
    pub format_extended: bool,
    #[command(flatten)]
    pub path: PathArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    opensnoop             # trace all open() syscalls
    opensnoop -T          # include timestamps
    opensnoop -U          # include UID
    opensnoop -P          # include the parent's PID
    opensnoop -x          # only show failed opens
    opensnoop -p 181      # only trace PID 181
    opensnoop -t 123      # only trace TID 123
    opensnoop -u 1000     # only trace UID 1000
    opensnoop -d 10       # trace for 10 seconds only
    opensnoop -c cat      # only trace processes named exactly cat (in the kernel)
    opensnoop -n main     # only print processes whose name contains \"main\"
    opensnoop -e          # show extended fields (flags and mode)
    opensnoop -E          # extended fields, flags by name
    opensnoop -F          # relative paths in full (from the directory they start in)
    opensnoop --json      # one JSON object per line, with cgroup and container_id
    opensnoop -G          # a CONTAINER column (short container id, or cgroup)
    opensnoop --cgroup /sys/fs/cgroup/system.slice/docker-<id>.scope
                          # only one container (any cgroup v2 directory, and below)";

/// One open(2), openat(2) or openat2(2) call.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Open {
    #[serde(flatten)]
    pub task: Task,
    /// The file descriptor opened, or -1
    pub fd: i32,
    /// The errno of a failed open, else 0
    pub err: i32,
    /// The open flags as passed
    pub flags: i32,
    /// The flags by name (-E), as O_WRONLY|O_CREAT
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_names: Option<String>,
    /// The mode as passed (with O_CREAT)
    pub mode: u32,
    #[serde(flatten)]
    pub path: ShownPath,
}

/// bcc's columns: `[UID] [PPID] PID COMM FD ERR [FLAGS MODE] PATH`.
pub fn table(args: &Args) -> Table {
    let octal_flags = args.extended && !args.format_extended;
    Table::new()
        .column_if(args.snoop.print_uid, Task::uid_column())
        .column_if(args.print_ppid, Task::ppid_column())
        .column(Task::pid_column())
        .column(Task::comm_column())
        .column(Column::right("fd", "FD", 3))
        .column(Column::right("err", "ERR", 3))
        .column_if(octal_flags, Column::left("flags", "FLAGS", 8).octal(8))
        .column_if(args.format_extended, Column::left("flag_names", "FLAGS", 8))
        .column_if(
            args.extended || args.format_extended,
            Column::left("mode", "MODE", 5).octal(4),
        )
        .column(Column::last("path", "PATH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_bcc_columns() {
        let args = TOOL
            .parse_from::<Args, _>(["opensnoop", "-U", "-P", "-e"].map(Into::into))
            .unwrap();
        let header = table(&args).header();
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            ["UID", "PPID", "PID", "COMM", "FD", "ERR", "FLAGS", "MODE", "PATH"]
        );
    }
}
