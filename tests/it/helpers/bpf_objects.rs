//! The BPF programs a process holds, as the kernel tells them: their ids from the
//! process's fd table, whether they still exist, and their run statistics.
//!
//! Shared: the tests (`helpers::tracer`) and the bench (`bench/compare.rs` includes this
//! file) read programs the same way.

/// The fdinfo text of each of a process's open fds.
pub fn fdinfos(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}

/// Program ids among a process's open fds (fdinfo has `prog_id:` for BPF programs and
/// for the perf events / links that hold them), each once, in order.
pub fn prog_ids_of(pid: u32) -> Vec<u32> {
    let mut ids: Vec<u32> = fdinfos(pid)
        .iter()
        .flat_map(|info| info.lines())
        .filter_map(|line| line.strip_prefix("prog_id:")?.trim().parse().ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The types (enum bpf_map_type) of the BPF maps among a process's open fds.
pub fn map_types_of(pid: u32) -> Vec<u32> {
    fdinfo_numbers(pid, "map_type:")
}

/// The types (enum bpf_prog_type) of the BPF programs among a process's open fds.
pub fn prog_types_of(pid: u32) -> Vec<u32> {
    fdinfo_numbers(pid, "prog_type:")
}

/// The number after `key` on each fdinfo line that starts with it, over a process's fds.
fn fdinfo_numbers(pid: u32, key: &str) -> Vec<u32> {
    fdinfos(pid)
        .iter()
        .flat_map(|info| info.lines())
        .filter_map(|line| line.strip_prefix(key)?.trim().parse().ok())
        .collect()
}

/// True while the kernel still has program `id` (what `bpftool prog show id ID` asks,
/// without a process per question).
pub fn prog_exists(id: u32) -> bool {
    // SAFETY: a plain syscall wrapper; the fd it may return is closed at once.
    let fd = unsafe { libbpf_sys::bpf_prog_get_fd_by_id(id) };
    if fd >= 0 {
        // SAFETY: our own fd, just opened.
        unsafe { libc::close(fd) };
        return true;
    }
    false
}

/// What the kernel counts for a set of programs (bpf_prog_info), summed over them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProgStats {
    /// Time spent in the programs (counted while kernel.bpf_stats_enabled is 1).
    pub run_time_ns: u64,
    /// Runs (counted while kernel.bpf_stats_enabled is 1).
    pub run_cnt: u64,
    /// Runs the kernel skipped (recursion_misses): a program whose CPU was already
    /// running a tracing program is not run. Since 6.13 the syscall tracepoints'
    /// programs can be preempted, so under load another task's event on that CPU is
    /// skipped (seen on sid's 7.2: 10 of 3,000).
    pub skipped: u64,
}

/// `ProgStats` of the programs `ids` (those gone meanwhile count nothing).
pub fn prog_stats(ids: &[u32]) -> ProgStats {
    let mut stats = ProgStats::default();
    for &id in ids {
        // SAFETY: a plain syscall wrapper; the fd is closed below.
        let fd = unsafe { libbpf_sys::bpf_prog_get_fd_by_id(id) };
        if fd < 0 {
            continue;
        }
        let mut info = libbpf_sys::bpf_prog_info::default();
        let mut len = std::mem::size_of::<libbpf_sys::bpf_prog_info>() as u32;
        // SAFETY: a zeroed bpf_prog_info of `len` bytes, no arrays asked for; our fd.
        let err = unsafe { libbpf_sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
        // SAFETY: our own fd.
        unsafe { libc::close(fd) };
        if err == 0 {
            stats.run_time_ns += info.run_time_ns;
            stats.run_cnt += info.run_cnt;
            stats.skipped += info.recursion_misses;
        }
    }
    stats
}
