//! filetop's identity: command line and report (what it does: src/bin/filetop.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cgroup::Cgroup;
use crate::cli::ByCgroupArgs;
use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::ReportArgs;
use crate::cli::TopArgs;
use crate::metrics::CounterSeries;
use crate::metrics::Declared;
use crate::preflight::KernelFunction;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::report::Counters;
use crate::tool::Hooks;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::counts::<Args, FileOfThread, FileIo>(
    "filetop",
    "Show reads and writes per process and file, the busiest first.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs), in the order of the kernel's counters.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            name: "filetop_reads_total",
            help: "read(2) and pread64(2) calls, per thread and file",
        },
        CounterSeries {
            name: "filetop_writes_total",
            help: "write(2) and pwrite64(2) calls, per thread and file",
        },
        CounterSeries {
            name: "filetop_read_bytes_total",
            help: "Bytes asked to read, per thread and file",
        },
        CounterSeries {
            name: "filetop_written_bytes_total",
            help: "Bytes asked to write, per thread and file",
        },
    ],
    histogram: None,
};

/// The two ways into the kernel: kprobes where the kernel has them, else tracepoints.
pub const HOOKS: Hooks = Hooks::new(
    "file I/O",
    &[
        KernelFunction::new(&["vfs_read"], &["struct file *", "char *", "size_t"]),
        KernelFunction::new(&["vfs_write"], &["struct file *", "char *", "size_t"]),
    ],
    "kprobes",
    "tracepoints sys_enter_read/write",
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Count sockets, pipes and devices too, not only regular files
    #[arg(short = 'a', long = "all-files")]
    pub all_files: bool,
    /// Show each regular file's full path, not only its name (found by the kernel,
    /// from the file's directories, once per file and report)
    #[arg(short = 'F', long = "full-path")]
    pub full_path: bool,
    /// What "busiest" means
    #[arg(short = 's', long = "sort", value_enum, default_value_t = SortBy::All)]
    pub sort: SortBy,
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub top: TopArgs,
    #[command(flatten)]
    pub grouping: ByCgroupArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    filetop                   # the 20 busiest files every second
    filetop -p 181 -i 5       # one process, every five seconds
    filetop -a -s wbytes      # sockets and pipes too, by bytes written
    filetop -F                # full paths, not only names
    filetop --mode tracepoint # the syscall tracepoints even where kprobes work

READS/WRITES count calls of read, write, pread64 and pwrite64; R_KB/W_KB the KiB
they asked for. T is R (regular file), S (socket) or O (other). FILE is the
file's own name or, with -F, a regular file's path from the process's root
(\"...\" where it was cut: over 4096 bytes or 64 directories deep). Each report
shows what happened since the last one; the one at the stop, everything since the
start.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// bytes read and written
    All,
    Reads,
    Writes,
    Rbytes,
    Wbytes,
}

/// One file of one thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct FileOfThread {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    pub tid: u32,
    pub comm: String,
    /// R (regular file), S (socket) or O (other)
    pub t: char,
    /// The file's own name (its dentry) or, with -F, a regular file's full path
    pub file: String,
    /// With -F, true when `file` is not the whole path ("..." stands where bytes are
    /// missing); absent otherwise
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_cut: bool,
}

/// The counters of struct file_stat (bpf/filetop.h), bytes in KiB.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileIo {
    /// read/pread64 calls
    pub reads: u64,
    /// write/pwrite64 calls
    pub writes: u64,
    /// KiB asked to read
    pub r_kb: u64,
    /// KiB asked to write
    pub w_kb: u64,
}

impl Counters for FileIo {
    fn from_counts(counts: &[u64]) -> Self {
        let at = |i: usize| counts.get(i).copied().unwrap_or(0);
        Self {
            reads: at(0),
            writes: at(1),
            r_kb: at(2) / 1024,
            w_kb: at(3) / 1024,
        }
    }
}

impl FileIo {
    /// `TID COMM T READS WRITES R_KB W_KB FILE`, as bcc's filetop.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("tid", "TID", 7))
            .column(Task::comm_column())
            .column(Column::left("t", "T", 1))
            .column(Column::last("file", "FILE"))
            .counters_before_last(
                Table::new()
                    .column(Column::right("reads", "READS", 10))
                    .column(Column::right("writes", "WRITES", 10))
                    .column(Column::right("r_kb", "R_KB", 10))
                    .column(Column::right("w_kb", "W_KB", 10)),
            )
    }
}
