//! The configurations the bench compares, row by row: which tracer, with which
//! arguments, on which workload.

use std::fs;
use std::path::PathBuf;

use crate::tracer::bpftrace;
use crate::tracer::c_opensnoop;
use crate::tracer::c_tool;
use crate::tracer::ours;
use crate::tracer::Tracer;
use crate::tracer::C_EXECSNOOP;
use crate::tracer::EXECSNOOP;
use crate::tracer::EXECVE_COUNT;
use crate::tracer::KMALLOC_BYTES;
use crate::tracer::OPENAT_COUNT;
use crate::tracer::OPENSNOOP;

pub const BPFTRACE_OPENAT_COUNT: &str = "tracepoint:syscalls:sys_enter_openat { @c = count(); }";

pub fn open_configs(cgroups: &BenchCgroups, metrics: &str) -> Vec<(&'static str, Option<Tracer>)> {
    let (empty, root) = (cgroups.empty_arg(), cgroups.root_arg());
    vec![
        ("no tracer", None),
        (
            "bpftrace count() openat (floor)",
            Some(bpftrace("bpftrace", BPFTRACE_OPENAT_COUNT)),
        ),
        (
            "C opensnoop > file",
            Some(c_opensnoop("C opensnoop", &[], true)),
        ),
        (
            "ours opensnoop > file (ring buffer)",
            Some(ours("opensnoop", OPENSNOOP, &[], true)),
        ),
        (
            "ours opensnoop > file, metrics scraped 1/s",
            Some(ours(
                "opensnoop",
                OPENSNOOP,
                &["--metrics-addr", metrics],
                true,
            )),
        ),
        (
            "ours opensnoop --perf-buffer > file",
            Some(ours("opensnoop", OPENSNOOP, &["--perf-buffer"], true)),
        ),
        (
            "C opensnoop -p 1 (filtered out)",
            Some(c_opensnoop("C opensnoop", &["-p", "1"], false)),
        ),
        (
            "ours opensnoop -p 1 (filtered out)",
            Some(ours("opensnoop", OPENSNOOP, &["-p", "1"], false)),
        ),
        (
            "ours opensnoop --cgroup (filtered out)",
            Some(ours("opensnoop", OPENSNOOP, &["--cgroup", empty], false)),
        ),
        (
            "ours opensnoop --cgroup > file (passing)",
            Some(ours("opensnoop", OPENSNOOP, &["--cgroup", root], true)),
        ),
    ]
}

/// The cgroups of the --cgroup rows: an empty one made for the bench (the workload is
/// never in it: filtered out) and the cgroup2 root (every task is below it: passing).
/// The empty one is removed when dropped.
pub struct BenchCgroups {
    pub empty: PathBuf,
    pub root: PathBuf,
}

impl BenchCgroups {
    pub fn create() -> Result<Self, String> {
        let root = ebpf_tracers::model::cgroup::cgroup2_mount()
            .ok_or("no cgroup2 file system is mounted (the --cgroup rows need one)")?;
        let empty = root.join(format!("ebpf_tracers_bench_{}", std::process::id()));
        fs::create_dir_all(&empty).map_err(|e| format!("{}: {e}", empty.display()))?;
        Ok(Self { empty, root })
    }

    pub fn empty_arg(&self) -> &str {
        self.empty.to_str().unwrap_or_default()
    }

    pub fn root_arg(&self) -> &str {
        self.root.to_str().unwrap_or_default()
    }
}

impl Drop for BenchCgroups {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.empty);
    }
}

/// The exec tracers, unfiltered (nothing else runs during the bench), streaming to a
/// file or counting.
pub fn exec_configs() -> Vec<(&'static str, Tracer)> {
    vec![
        (
            "execs: C execsnoop",
            c_tool("execsnoop", C_EXECSNOOP, &[], true),
        ),
        (
            "execs: ours execsnoop",
            ours("execsnoop", EXECSNOOP, &[], true),
        ),
        (
            "execs: ours execve_count",
            ours("execve_count", EXECVE_COUNT, &["-i", "3600"], false),
        ),
    ]
}

pub fn aggregating_configs(metrics: &str) -> Vec<(&'static str, Option<Tracer>, &'static str)> {
    vec![
        ("pipes: no tracer", None, "pipes"),
        (
            "pipes: bpftrace kmalloc count+sum (floor)",
            Some(bpftrace(
                "bpftrace",
                "tracepoint:kmem:kmalloc { @c = count(); @b = sum(args->bytes_alloc); }",
            )),
            "pipes",
        ),
        (
            "pipes: ours kmalloc_bytes",
            Some(ours("kmalloc_bytes", KMALLOC_BYTES, &["-i", "3600"], false)),
            "pipes",
        ),
        (
            "opens: bpftrace @[comm] = count() (floor)",
            Some(bpftrace(
                "bpftrace",
                "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
            )),
            "opens",
        ),
        (
            "opens: ours openat_count",
            Some(ours("openat_count", OPENAT_COUNT, &["-i", "3600"], false)),
            "opens",
        ),
        (
            "opens: ours openat_count, metrics scraped 1/s",
            Some(ours(
                "openat_count",
                OPENAT_COUNT,
                &["--metrics-addr", metrics],
                false,
            )),
            "opens",
        ),
    ]
}

/// The pieces of a streamed open (issue 28), each row opensnoop's exit stopping one
/// piece later (its hidden --bench-stop), on the syscall tracepoints, beside bpftrace's
/// enter/exit hash pair alone: the difference between two rows is what a piece costs.
/// With `fexit` (a kernel with BPF trampolines: the guests), the one fexit program's
/// whole event as well.
pub fn piece_configs(fexit: bool) -> Vec<(&'static str, Tracer)> {
    let opensnoop = |mode: &str, stop: Option<&str>| {
        let mut args = vec!["--mode", mode];
        args.extend(
            stop.map(|piece| ["--bench-stop", piece])
                .into_iter()
                .flatten(),
        );
        ours("opensnoop", OPENSNOOP, &args, false)
    };
    let tracepoints = |stop: Option<&str>| opensnoop("tracepoint", stop);
    let mut configs = vec![
        (
            "pieces: bpftrace enter/exit hash pair only",
            bpftrace(
                "bpftrace",
                "tracepoint:syscalls:sys_enter_openat { @s[tid] = args->filename; } \
                 tracepoint:syscalls:sys_exit_openat { delete(@s[tid]); }",
            ),
        ),
        (
            "pieces: in-flight pair, hash",
            tracepoints(Some("inflight")).with_env(INFLIGHT_ENV, "hash"),
        ),
        (
            "pieces: in-flight pair, task storage",
            tracepoints(Some("inflight")),
        ),
        ("pieces: + task header", tracepoints(Some("task"))),
        ("pieces: + path read", tracepoints(Some("path"))),
        ("pieces: + time stamp", tracepoints(Some("time"))),
        ("pieces: + ring output (the whole event)", tracepoints(None)),
        (
            "pieces: the whole event, hash",
            tracepoints(None).with_env(INFLIGHT_ENV, "hash"),
        ),
    ];
    if fexit {
        configs.push((
            "pieces: fexit, the whole event (one program)",
            opensnoop("fexit", None),
        ));
    }
    configs
}

/// src/kernel/inflight.rs's FORCE_ENV.
const INFLIGHT_ENV: &str = "EBPF_TRACERS_INFLIGHT";

pub fn startup_tracers() -> Vec<Tracer> {
    vec![
        ours("ours opensnoop", OPENSNOOP, &[], false),
        ours("ours kmalloc_bytes", KMALLOC_BYTES, &[], false),
        c_opensnoop("C opensnoop", &[], false),
        bpftrace("bpftrace (openat count)", BPFTRACE_OPENAT_COUNT),
    ]
}
