//! What the kernel under test can do, asked as the tools ask it; where the run expects a
//! feature (the vmtest guests), its absence fails the test instead of skipping it.

use super::harness::report_skip;

/// Whether this kernel can take kprobes. Where the test run expects them (the vmtest
/// guests set EBPF_TRACERS_EXPECT_KPROBES=1), their absence fails the test instead.
pub fn kernel_has_kprobes() -> bool {
    let has = std::path::Path::new("/sys/bus/event_source/devices/kprobe").exists();
    if std::env::var("EBPF_TRACERS_EXPECT_KPROBES").as_deref() == Ok("1") {
        assert!(
            has,
            "EBPF_TRACERS_EXPECT_KPROBES=1 but this kernel has no kprobe PMU"
        );
    }
    has
}

/// Whether BPF LSM programs can run, for the tests of execguard: execguard's own
/// preflight (preflight::check_bpf_lsm: kernel version, securityfs mounted if nothing
/// has, `bpf` active, the kernel loads an LSM program). Otherwise says the test is
/// skipped, and why; where the run expects BPF LSM (the vmtest guests set
/// EBPF_TRACERS_EXPECT_LSM=1) it fails instead.
pub fn bpf_lsm_active(test: &str) -> bool {
    let Err(why) = ebpf_tracers::kernel::preflight::check_bpf_lsm() else {
        return true;
    };
    let reason = format!("{why:#}");
    if std::env::var("EBPF_TRACERS_EXPECT_LSM").as_deref() == Ok("1") {
        panic!("{test}: {reason}, and EBPF_TRACERS_EXPECT_LSM=1");
    }
    report_skip(test, &reason);
    false
}
