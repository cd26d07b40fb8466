//! The programs a tool attached, and what the kernel keeps about each (bpf_prog_info):
//! the runs it skipped, and its run count and time while BPF stats are on. Noted once
//! attached (load.rs); read by the reports, the event stream's end and the metrics.

use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use libbpf_rs::Object;

/// The kernel's fixed-size information on a program (no arrays asked for).
pub type ProgramInfo = libbpf_sys::bpf_prog_info;

static PROGRAMS: OnceLock<Vec<(String, OwnedFd)>> = OnceLock::new();

/// Notes the object's programs that were loaded (once, when attached).
pub fn note(object: &Object) {
    let programs = object
        .progs()
        .filter(|prog| prog.autoload())
        .filter_map(|prog| {
            let fd = prog.as_fd().try_clone_to_owned().ok()?;
            Some((prog.name().to_string_lossy().into_owned(), fd))
        })
        .collect();
    let _ = PROGRAMS.set(programs);
}

fn noted() -> &'static [(String, OwnedFd)] {
    PROGRAMS.get().map(Vec::as_slice).unwrap_or_default()
}

/// How many programs the tool attached.
pub fn attached() -> usize {
    noted().len()
}

/// Each attached program's name and information, now.
pub fn infos() -> Vec<(&'static str, ProgramInfo)> {
    noted()
        .iter()
        .filter_map(|(name, fd)| Some((name.as_str(), info(fd)?)))
        .collect()
}

/// Runs of the tool's programs that the kernel skipped so far (bpf_prog_info's
/// recursion_misses, summed). A program does not run twice at once on a CPU: when an
/// event comes while it is already running there, the kernel skips it. Since 6.13 a
/// syscall tracepoint's program can be preempted, so another task's event on that CPU
/// meets it running; before, only an event inside the program itself could (a helper's
/// own tracepoint). Whatever a skipped run would have counted or reported is lost.
pub fn runs_skipped() -> u64 {
    infos().iter().map(|(_, info)| info.recursion_misses).sum()
}

/// Whether the kernel keeps run counts and times (kernel.bpf_stats_enabled).
pub fn stats_enabled() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/bpf_stats_enabled")
        .is_ok_and(|text| text.trim() == "1")
}

fn info(fd: &OwnedFd) -> Option<ProgramInfo> {
    let mut info = ProgramInfo::default();
    let mut len = std::mem::size_of::<ProgramInfo>() as u32;
    // SAFETY: `info` is a zeroed bpf_prog_info of `len` bytes; with every array pointer
    // zero the kernel writes only into the struct itself.
    let err = unsafe { libbpf_sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len) };
    (err == 0).then_some(info)
}
