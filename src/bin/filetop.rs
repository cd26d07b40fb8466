//! filetop: reads and writes per process and file, the busiest first, every interval.
//! The kernel side is bpf/filetop.bpf.c.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::filetop::types::file_key;
use ebpf_tracers::skel::filetop::types::file_stat;
use ebpf_tracers::skel::filetop::FiletopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::filetop;
use ebpf_tracers::tools::filetop::Args;
use ebpf_tracers::tools::filetop::FileIo;
use ebpf_tracers::tools::filetop::FileOfThread;
use ebpf_tracers::tools::filetop::SortBy;
use ebpf_tracers::tools::filetop::TOOL;

fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let (mode, what) = filetop::HOOKS.choose(&args.mode, &args.report.run)?;
        let by_cgroup = args.grouping.by_cgroup;
        let loading = Loading::report(&args.filters, &args.report)
            .probes(mode)
            .by_cgroup(by_cgroup);
        let tracing = tool::load::<FiletopSkelBuilder>(loading, |rodata| {
            rodata.all_files = args.all_files;
            Ok(())
        })?;
        let table = FileIo::table().cgroup_first(by_cgroup);
        let ranking = Ranking::top_by(args.top.top, sort_weight(args.sort));
        let spec = ReportSpec::new(&what, table, ranking);
        report::run_reports::<FileOfThread, FileIo>(&args.report, spec, |counts| {
            counts.per_key.add(take_counts(&tracing.maps.files)?);
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

/// Reads and removes every entry, so that the kernel's map holds only what happened
/// since the last report (and never fills up with files long closed).
fn take_counts(map: &dyn MapCore) -> Result<Vec<(FileOfThread, Vec<u64>)>> {
    // Before 5.14 hash maps cannot look up and delete in one call: once that fails,
    // the tool takes each entry in two calls instead of trying again for every key.
    static TWO_CALLS: AtomicBool = AtomicBool::new(false);
    let mut taken: HashMap<FileOfThread, [u64; 4]> = HashMap::new();
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
            maps::decode::<file_key>(&raw_key),
            value.and_then(|v| maps::decode::<file_stat>(&v)),
        ) else {
            continue;
        };
        // The tool's own reads (of tracefs, while it attaches) are noise.
        if key.tgid == ebpf_tracers::run::own_pid() {
            continue;
        }
        let file = FileOfThread {
            cgroup: Cgroup::of(key.cgroup_id),
            tid: key.tid,
            comm: escape(c_bytes(&stat.comm)),
            t: char::from_u32(stat.kind).unwrap_or('?'),
            file: escape(c_bytes(&stat.name)),
        };
        // Two inodes of one name in one thread are one row.
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
