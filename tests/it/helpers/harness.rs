//! What every test that loads BPF programs goes through (`tracer_test!`): the skip
//! check, its scope (which kernels it must run on), its time, and the machine-wide
//! resources tests take turns with.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Instant;

/// Which kernels a test must run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// What it proves goes through code that depends on the kernel (CO-RE reads,
    /// kprobe targets, tracepoint formats, attach modes, fallbacks): every kernel.
    KernelDependent,
    /// What it proves is the tool's own user-space work (serving metrics, cgroup paths,
    /// signals, output): the host and the oldest and newest guest kernels are enough.
    AnyKernel,
}

/// Set by a guest that runs only the kernel-dependent tests (scripts/vmtest-guest.sh on
/// the middle kernels).
pub const KERNEL_DEPENDENT_ONLY: &str = "EBPF_TRACERS_KERNEL_DEPENDENT_ONLY";

/// Set inside the vmtest guests (scripts/vmtest-guest.sh): checks of user-space text
/// that cost seconds under software emulation are left to the host (promtool).
pub const IN_GUEST: &str = "EBPF_TRACERS_IN_GUEST";

thread_local! {
    /// The test this thread runs (libtest runs each test on a thread of its own).
    static CURRENT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A test that runs: on drop (passed or failed) it prints its time, for the guests'
/// summary of the slowest tests.
pub struct TestRun {
    name: String,
    started: Instant,
}

impl Drop for TestRun {
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            " (failed)"
        } else {
            ""
        };
        let seconds = self.started.elapsed().as_secs_f64();
        say(&format!("TEST-TIME {seconds:.1}s {}{outcome}", self.name));
    }
}

/// The start of test `name` (module path below the crate): None, after saying why,
/// when it does not run here: outside its scope, or without the privileges to load BPF
/// programs (then, with EBPF_TRACERS_REQUIRE_ROOT=1 as in CI, it fails instead).
pub fn begin(name: &str, scope: Scope) -> Option<TestRun> {
    CURRENT.with(|current| *current.borrow_mut() = name.to_string());
    if scope == Scope::AnyKernel && std::env::var_os(KERNEL_DEPENDENT_ONLY).is_some() {
        say(&format!(
            "NOT-RUN-HERE {name}: it does not depend on the kernel (the host and the \
             oldest and newest guest kernels run it)"
        ));
        return None;
    }
    if !can_trace(name) {
        return None;
    }
    Some(TestRun {
        name: name.to_string(),
        started: Instant::now(),
    })
}

/// The name `begin` was given on this thread: the running test.
pub fn test_name() -> String {
    CURRENT.with(|current| current.borrow().clone())
}

/// True when the test may load BPF programs. Otherwise says loudly that it is skipped;
/// with EBPF_TRACERS_REQUIRE_ROOT=1 (CI) a skip is a failure instead.
fn can_trace(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    if std::env::var("EBPF_TRACERS_REQUIRE_ROOT").as_deref() == Ok("1") {
        panic!("{test}: needs root to load BPF programs, and EBPF_TRACERS_REQUIRE_ROOT=1");
    }
    report_skip(
        test,
        "needs root (or CAP_BPF+CAP_PERFMON) to load BPF programs",
    );
    false
}

/// Says a test was skipped, and why, where it is always seen: the test harness
/// captures eprintln! of passing tests, but not direct writes to stderr.
pub fn report_skip(test: &str, reason: &str) {
    say(&format!("SKIPPED {test}: {reason}"));
}

/// One line on stderr for the summaries to find, in one write and on a line of its
/// own: stderr is unbuffered, and libtest's "... ok" lines share the guests' console.
fn say(line: &str) {
    let _ = std::io::stderr().write_all(format!("\n{line}\n").as_bytes());
}

/// What only one test may use at a time on the whole machine. Tests run in parallel in
/// one process: whoever needs one of these holds its turn for as long as it uses it.
#[derive(Debug, Clone, Copy)]
pub enum Resource {
    /// trace_pipe takes one reader at a time (hello).
    TracePipe,
    /// key_pressed sees every keyboard: two tests typing at once would count each
    /// other's keys.
    Keyboard,
    /// An interface takes one XDP program at a time (xdp_drop_count on lo).
    LoopbackXdp,
}

/// This test's turn with `resource`, until the guard is dropped.
pub fn exclusive(resource: Resource) -> MutexGuard<'static, ()> {
    static TURNS: [Mutex<()>; 3] = [Mutex::new(()), Mutex::new(()), Mutex::new(())];
    // A test that failed while holding its turn does not spoil it for the others.
    TURNS[resource as usize]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
