//! filetop: reads and writes per process and file, the busiest first, every interval.
//! The kernel side is bpf/filetop.bpf.c.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use anyhow::Result;
use clap::Parser;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ModeArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps::top_n;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Scope;
use ebpf_tracers::skel::filetop::types::file_key;
use ebpf_tracers::skel::filetop::types::file_stat;
use ebpf_tracers::skel::filetop::FiletopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Hooks;
use ebpf_tracers::tool::Loading;

/// Show reads and writes per process and file, the busiest first.
#[derive(Debug, Parser)]
#[command(name = "filetop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    /// Count sockets, pipes and devices too, not only regular files
    #[arg(short = 'a', long = "all-files")]
    all_files: bool,
    /// What "busiest" means
    #[arg(short = 's', long = "sort", value_enum, default_value_t = SortBy::All)]
    sort: SortBy,
    #[command(flatten)]
    mode: ModeArgs,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    filetop                   # the 20 busiest files every second
    filetop -p 181 -i 5       # one process, every five seconds
    filetop -a -s wbytes      # sockets and pipes too, by bytes written
    filetop --mode tracepoint # the syscall tracepoints even where kprobes work

READS/WRITES count calls of read, write, pread64 and pwrite64; R_KB/W_KB the KiB
they asked for. T is R (regular file), S (socket) or O (other). FILE is the
file's own name, not its path. Each report shows what happened since the last
one; the one at the stop, everything since the start.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SortBy {
    /// bytes read and written
    All,
    Reads,
    Writes,
    Rbytes,
    Wbytes,
}

const COLUMNS: Columns = Columns::new(
    &["TID", "COMM", "T", "FILE"],
    &["READS", "WRITES", "R_KB", "W_KB"],
)
.path_last();

const HOOKS: Hooks = Hooks::new(
    "file I/O",
    "vfs_read",
    "kprobes vfs_read/vfs_write",
    "tracepoints sys_enter_read/write",
);

/// One file of one thread: what the row shows besides the counters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct FileOfThread {
    tid: u32,
    comm: String,
    kind: char,
    name: String,
}

/// reads, writes, bytes read, bytes written.
type Counters = [u64; 4];

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("filetop", |args: &Args| {
        let (mode, what) = HOOKS.choose(&args.mode, &args.report.run)?;
        let loading = Loading::report(&args.filters, &args.report).probes(mode);
        let tracing = tool::load::<FiletopSkelBuilder>(loading, |rodata| {
            rodata.all_files = args.all_files;
            Ok(())
        })?;
        let mut totals: HashMap<FileOfThread, Counters> = HashMap::new();
        report::run_reports(&args.report, COLUMNS, &what, |scope| {
            let taken = take_counts(&tracing.maps.files)?;
            for (file, counters) in &taken {
                let sums = totals.entry(file.clone()).or_default();
                for (sum, n) in sums.iter_mut().zip(counters) {
                    *sum += n;
                }
            }
            let shown = match scope {
                Scope::Interval => taken,
                Scope::Total => totals.clone().into_iter().collect(),
            };
            Ok(rows(shown, args.sort, args.top.top as usize))
        })
    })
}

/// Reads and removes every entry, so that the kernel's map holds only what happened
/// since the last report (and never fills up with files long closed).
fn take_counts(map: &dyn MapCore) -> Result<Vec<(FileOfThread, Counters)>> {
    // Before 5.14 hash maps cannot look up and delete in one call: once that fails,
    // the tool takes each entry in two calls instead of trying again for every key.
    static TWO_CALLS: AtomicBool = AtomicBool::new(false);
    let mut taken: HashMap<FileOfThread, Counters> = HashMap::new();
    for raw_key in map.keys() {
        let combined = if TWO_CALLS.load(Ordering::Relaxed) {
            None
        } else {
            map.lookup_and_delete(&raw_key).ok()
        };
        let value = match combined {
            Some(value) => value,
            None => {
                TWO_CALLS.store(true, Ordering::Relaxed);
                let value = map.lookup(&raw_key, MapFlags::ANY)?;
                let _ = map.delete(&raw_key);
                value
            }
        };
        let (Some(key), Some(stat)) = (
            decode::<file_key>(&raw_key),
            value.and_then(|v| decode::<file_stat>(&v)),
        ) else {
            continue;
        };
        // The tool's own reads (of tracefs, while it attaches) are noise.
        if key.tgid == ebpf_tracers::run::own_pid() {
            continue;
        }
        let file = FileOfThread {
            tid: key.tid,
            comm: escape(until_nul(&stat.comm.map(|c| c as u8))),
            kind: char::from_u32(stat.kind).unwrap_or('?'),
            name: escape(until_nul(&stat.name.map(|c| c as u8))),
        };
        // Two inodes of one name in one thread are one row.
        let sums = taken.entry(file).or_default();
        let counters = [stat.reads, stat.writes, stat.read_bytes, stat.write_bytes];
        for (sum, n) in sums.iter_mut().zip(counters) {
            *sum += n;
        }
    }
    Ok(taken.into_iter().collect())
}

fn decode<T: plain::Plain + Default + Copy>(bytes: &[u8]) -> Option<T> {
    let mut value = T::default();
    plain::copy_from_bytes(&mut value, bytes).ok()?;
    Some(value)
}

/// The busiest `limit` files by `sort`, as table rows (bytes shown in KiB).
fn rows(counts: Vec<(FileOfThread, Counters)>, sort: SortBy, limit: usize) -> Vec<Row> {
    let weight = |c: &Counters| match sort {
        SortBy::All => c[2] + c[3],
        SortBy::Reads => c[0],
        SortBy::Writes => c[1],
        SortBy::Rbytes => c[2],
        SortBy::Wbytes => c[3],
    };
    top_n(counts, limit, |(file, c)| (weight(c), file.clone()))
        .into_iter()
        .map(|(file, c)| Row {
            keys: vec![
                file.tid.to_string(),
                file.comm,
                file.kind.to_string(),
                file.name,
            ],
            counts: vec![c[0], c[1], c[2] / 1024, c[3] / 1024],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> FileOfThread {
        FileOfThread {
            tid: 1,
            comm: "w".into(),
            kind: 'R',
            name: name.into(),
        }
    }

    #[test]
    fn rows_are_sorted_by_the_chosen_column_and_show_kib() {
        let counts = vec![(file("a"), [1, 9, 2048, 0]), (file("b"), [5, 1, 0, 8192])];
        let by_bytes = rows(counts.clone(), SortBy::All, 10);
        assert_eq!(by_bytes[0].keys[3], "b");
        assert_eq!(by_bytes[0].counts, vec![5, 1, 0, 8]);
        let by_writes = rows(counts.clone(), SortBy::Writes, 1);
        assert_eq!(by_writes.len(), 1);
        assert_eq!(by_writes[0].keys[3], "a");
        assert_eq!(by_writes[0].counts, vec![1, 9, 2, 0]);
    }
}
