//! filetop: reads and writes per process and file, the busiest first, every interval.
//! The kernel side is bpf/filetop.bpf.c.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup::Cgroup;
use crate::cli::ByCgroupArgs;
use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::ReportArgs;
use crate::cli::TopArgs;
use crate::kernel::counters;
use crate::kernel::counters::Counters;
use crate::kernel::maps;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::model::paths::ShownPath;
use crate::kernel::preflight::KernelFunction;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Hooks;
use crate::kernel::load::Loading;
use crate::tools::Tool;

use skel::FiletopSkelBuilder;
use skel::types::file_id;
use skel::types::file_key;
use skel::types::file_stat;
use skel::types::path_buf;

// The generated skeleton of bpf/filetop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    filetop, OpenFiletopSkel => FiletopSkel,
    aggregating,
    plain[file_key, file_stat, file_id, path_buf],
    path_buf
);

pub const TOOL: Tool = Tool::counts::<Args, FileOfThread, FileIo>(
    "filetop",
    "Show reads and writes per process and file, the busiest first.",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "reads",
            name: "filetop_reads_total",
            help: "read(2) and pread64(2) calls, per thread and file",
        },
        CounterSeries {
            field: "writes",
            name: "filetop_writes_total",
            help: "write(2) and pwrite64(2) calls, per thread and file",
        },
        CounterSeries {
            field: "read_bytes",
            name: "filetop_read_bytes_total",
            help: "Bytes asked to read, per thread and file",
        },
        CounterSeries {
            field: "write_bytes",
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

// Bytes are counted as the kernel counts them, and shown in KiB (in_kib).
crate::kernel::counters::counters! {
    /// The counters of struct file_stat (bpf/filetop.h), bytes in KiB.
    pub struct FileIo from file_stat {
        /// read/pread64 calls
        reads,
        /// write/pwrite64 calls
        writes,
        /// KiB asked to read
        #[serde(rename = "r_kb", serialize_with = "in_kib")]
        read_bytes,
        /// KiB asked to write
        #[serde(rename = "w_kb", serialize_with = "in_kib")]
        write_bytes,
    }
}

/// Bytes as whole KiB (bcc's R_Kb and W_Kb).
fn in_kib<S: serde::Serializer>(bytes: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(bytes / 1024)
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

/// Paths kept in the kernel's map at once with -F (each 4.4 KiB, preallocated): the
/// regular files first counted in one report's interval. A file beyond them shows as
/// ".../name", marked cut.
const FULL_PATHS: u32 = 2048;

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = HOOKS.choose(&args.mode, &args.report.run)?;
        let by_cgroup = args.grouping.by_cgroup;
        let loading = Loading::report(&args.filters, &args.report)
            .probes(&probes)
            .by_cgroup(by_cgroup);
        let tracing = kernel::load::<FiletopSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
            rodata.all_files = args.all_files;
            rodata.full_path = args.full_path;
            if args.full_path {
                open.maps
                    .paths
                    .set_max_entries(FULL_PATHS)
                    .context("cannot size the paths map")?;
            }
            Ok(())
        })?;
        let table = FileIo::table().cgroup_first(by_cgroup);
        let ranking = Ranking::top_by(args.top.top, sort_weight(args.sort));
        let spec = ReportSpec::new(&probes.what, table, ranking);
        let mut taker = Taker::new(args.full_path);
        report::run_reports::<FileOfThread, FileIo>(&args.report, spec, |counts| {
            let maps = &tracing.maps;
            counts.per_key.add(taker.take(&maps.files, &maps.paths)?);
            let missed = counters::per_cpu_number(&maps.not_counted)?;
            counts.set_not_counted(missed, maps.files.max_entries());
            Ok(())
        })
    })
}

/// What -s ranks by, from reads, writes, bytes read, bytes written.
fn sort_weight(sort: SortBy) -> impl Fn(&FileIo) -> u64 {
    move |io: &FileIo| match sort {
        SortBy::All => io.read_bytes.saturating_add(io.write_bytes),
        SortBy::Reads => io.reads,
        SortBy::Writes => io.writes,
        SortBy::Rbytes => io.read_bytes,
        SortBy::Wbytes => io.write_bytes,
    }
}

/// Hands the kernel's counts over, report by report.
struct Taker {
    full_path: bool,
    /// Before 5.14 hash maps cannot look up and delete in one call: once that fails,
    /// each entry is taken in two calls instead of trying again for every key.
    two_calls: bool,
    /// -F: the paths taken this report and the last (a file first counted while its
    /// path was being taken finds it here).
    paths: HashMap<FileId, ShownPath>,
    last_paths: HashMap<FileId, ShownPath>,
}

/// A file whichever thread uses it: (device, inode).
type FileId = (u32, u64);

impl Taker {
    fn new(full_path: bool) -> Self {
        Self {
            full_path,
            two_calls: false,
            paths: HashMap::new(),
            last_paths: HashMap::new(),
        }
    }

    /// Reads and removes every entry, so that the kernel's maps hold only what happened
    /// since the last report (and never fill up with files long closed).
    fn take(
        &mut self,
        files: &dyn MapCore,
        paths: &dyn MapCore,
    ) -> Result<Vec<(FileOfThread, FileIo)>> {
        self.last_paths = std::mem::take(&mut self.paths);
        let mut taken: HashMap<FileOfThread, FileIo> = HashMap::new();
        for raw_key in files.keys() {
            let Some(value) = self.take_entry(files, &raw_key)? else {
                continue;
            };
            let (Some(key), Some(stat)) = (
                maps::decode::<file_key>(&raw_key),
                maps::decode::<file_stat>(&value),
            ) else {
                continue;
            };
            // The tool's own reads (of tracefs, while it attaches) are noise.
            if key.tgid == crate::run::own_pid() {
                continue;
            }
            let kind = char::from_u32(stat.kind).unwrap_or('?');
            let name = escape(c_bytes(&stat.name));
            let shown = if self.full_path && kind == 'R' {
                self.path_of((key.dev, key.ino), &name, paths)?
            } else {
                ShownPath {
                    path: name,
                    path_cut: false,
                }
            };
            let file = FileOfThread {
                cgroup: Cgroup::of(key.cgroup_id),
                tid: key.tid,
                comm: escape(c_bytes(&stat.comm)),
                t: kind,
                file: shown.path,
                path_cut: shown.path_cut,
            };
            // Two inodes of one name (or path) in one thread are one row.
            taken
                .entry(file)
                .or_default()
                .add(&FileIo::from_kernel(&stat));
        }
        Ok(taken.into_iter().collect())
    }

    /// Looks up and removes one entry; None if it is gone already.
    fn take_entry(&mut self, map: &dyn MapCore, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if !self.two_calls {
            if let Ok(value) = map.lookup_and_delete(key) {
                return Ok(value);
            }
            self.two_calls = true;
        }
        let value = map.lookup(key, MapFlags::ANY)?;
        let _ = map.delete(key);
        Ok(value)
    }

    /// A regular file's path: taken from the kernel's map (where the first thread to
    /// count it this interval put it), else known from this report or the last; else
    /// its name, marked as cut.
    fn path_of(&mut self, id: FileId, name: &str, paths: &dyn MapCore) -> Result<ShownPath> {
        if let Some(known) = self.paths.get(&id) {
            return Ok(known.clone());
        }
        let file_id = file_id {
            dev: id.0,
            ino: id.1,
            ..Default::default()
        };
        // file_id is repr(C) of u32, u32, u64: no padding, every byte set.
        let raw_id = maps::bytes_of(&file_id);
        let walked = self
            .take_entry(paths, raw_id)?
            .and_then(|value| maps::decode::<path_buf>(&value))
            .map(|path| path.decoded().shown());
        let shown = walked
            .or_else(|| self.last_paths.get(&id).cloned())
            .unwrap_or_else(|| ShownPath {
                path: format!(".../{name}"),
                path_cut: true,
            });
        self.paths.insert(id, shown.clone());
        Ok(shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_weights_pick_the_chosen_counter() {
        let io = FileIo {
            reads: 1,
            writes: 9,
            read_bytes: 2048,
            write_bytes: 4096,
        };
        assert_eq!(sort_weight(SortBy::All)(&io), 6144);
        assert_eq!(sort_weight(SortBy::Writes)(&io), 9);
        assert_eq!(sort_weight(SortBy::Rbytes)(&io), 2048);
        // Shown as bcc shows them: KiB.
        let json = serde_json::to_string(&io).unwrap();
        assert_eq!(json, r#"{"reads":1,"writes":9,"r_kb":2,"w_kb":4}"#);
    }
}
