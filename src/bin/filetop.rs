//! filetop: reads and writes per process and file, the busiest first, every interval.
//! The kernel side is bpf/filetop.bpf.c.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::paths::ShownPath;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::filetop::types::file_id;
use ebpf_tracers::skel::filetop::types::file_key;
use ebpf_tracers::skel::filetop::types::file_stat;
use ebpf_tracers::skel::filetop::types::path_buf;
use ebpf_tracers::skel::filetop::FiletopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::filetop;
use ebpf_tracers::tools::filetop::Args;
use ebpf_tracers::tools::filetop::FileIo;
use ebpf_tracers::tools::filetop::FileOfThread;
use ebpf_tracers::tools::filetop::SortBy;
use ebpf_tracers::tools::filetop::TOOL;

/// Paths kept in the kernel's map at once with -F (each 4.4 KiB, preallocated): the
/// regular files first counted in one report's interval. A file beyond them shows as
/// ".../name", marked cut.
const FULL_PATHS: u32 = 2048;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = filetop::HOOKS.choose(&args.mode, &args.report.run)?;
        let by_cgroup = args.grouping.by_cgroup;
        let paths = [("paths", FULL_PATHS)];
        let loading = Loading::report(&args.filters, &args.report)
            .probes(&probes)
            .by_cgroup(by_cgroup)
            .map_sizes(if args.full_path { &paths } else { &[] });
        let tracing = tool::load::<FiletopSkelBuilder>(loading, |rodata| {
            rodata.all_files = args.all_files;
            rodata.full_path = args.full_path;
            Ok(())
        })?;
        let table = FileIo::table().cgroup_first(by_cgroup);
        let ranking = Ranking::top_by(args.top.top, sort_weight(args.sort));
        let spec = ReportSpec::new(&probes.what, table, ranking);
        let mut taker = Taker::new(args.full_path);
        report::run_reports::<FileOfThread, FileIo>(&args.report, spec, |counts| {
            let maps = &tracing.maps;
            counts.per_key.add(taker.take(&maps.files, &maps.paths)?);
            let missed = ebpf_tracers::maps::not_counted(&maps.not_counted)?;
            counts.set_not_counted(missed, maps.files.max_entries());
            Ok(())
        })
    })
}

/// What -s ranks by, from reads, writes, bytes read, bytes written.
fn sort_weight(sort: SortBy) -> impl Fn(&[u64]) -> u64 {
    move |c: &[u64]| {
        let at = |i: usize| c.get(i).copied().unwrap_or(0);
        match sort {
            SortBy::All => at(2) + at(3),
            SortBy::Reads => at(0),
            SortBy::Writes => at(1),
            SortBy::Rbytes => at(2),
            SortBy::Wbytes => at(3),
        }
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
    ) -> Result<Vec<(FileOfThread, Vec<u64>)>> {
        self.last_paths = std::mem::take(&mut self.paths);
        let mut taken: HashMap<FileOfThread, [u64; 4]> = HashMap::new();
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
            if key.tgid == ebpf_tracers::run::own_pid() {
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
            let sums = taken.entry(file).or_default();
            let counters = [stat.reads, stat.writes, stat.read_bytes, stat.write_bytes];
            for (sum, n) in sums.iter_mut().zip(counters) {
                *sum += n;
            }
        }
        Ok(taken
            .into_iter()
            .map(|(file, counters)| (file, counters.to_vec()))
            .collect())
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
        let counters = [1, 9, 2048, 4096];
        assert_eq!(sort_weight(SortBy::All)(&counters), 6144);
        assert_eq!(sort_weight(SortBy::Writes)(&counters), 9);
        assert_eq!(sort_weight(SortBy::Rbytes)(&counters), 2048);
    }
}
