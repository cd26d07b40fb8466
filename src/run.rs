//! Running a tool until it should stop: Ctrl-C, SIGTERM/SIGHUP, --duration, or a reader
//! that went away (`| head -1`). Every stop is an ordinary return from main, so the
//! skeleton and its links drop and every program is detached.

use std::io;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;
use std::time::Instant;

use anyhow::Result;
use libbpf_rs::PrintLevel;

static TOOL_NAME: OnceLock<&'static str> = OnceLock::new();
static STOP: AtomicBool = AtomicBool::new(false);
static LAST_LIBBPF_WARNING: Mutex<Option<String>> = Mutex::new(None);

/// Where a tool's start goes, for -v: each step and when it ended, in order, from
/// `init_libbpf_log` (the first thing a tool does after parsing its command line) to
/// the readiness line.
static START_STEPS: Mutex<Vec<(&'static str, Instant)>> = Mutex::new(Vec::new());
static START: OnceLock<Instant> = OnceLock::new();
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// The longest a loop waits before it looks at the stop conditions again.
pub const POLL_SLICE: Duration = Duration::from_millis(100);

/// Names the running tool, for messages on stderr (`notice`, errors).
pub fn set_tool_name(tool: &'static str) {
    let _ = TOOL_NAME.set(tool);
}

/// This process's id, asked of the kernel once: getpid is a system call each time, and
/// the streaming tools compare it with every record.
pub fn own_pid() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// A note for the user on stderr, named by the tool ("opensnoop: ..."): what the tool
/// chose for them (a fallback, a substitute), never an error.
pub fn notice(message: &str) {
    eprintln!("{}: {message}", tool_name());
}

/// A notice only with -v: a choice made for the user that costs or changes nothing
/// they see.
pub fn verbose_notice(message: &str) {
    if VERBOSE.load(Ordering::Relaxed) {
        notice(message);
    }
}

/// The running tool's name, for messages on stderr.
pub fn tool_name() -> &'static str {
    TOOL_NAME.get().copied().unwrap_or("ebpf-tracers")
}

/// Runs a tool's body and turns its outcome into the exit status the README documents:
/// 0 on a normal stop (including a closed stdout), 2 for bad input (BadInput), 1 with
/// one line on stderr otherwise.
/// Ctrl-C/SIGTERM handling is installed first, so a stop during load is orderly too.
pub fn main_with(tool: &str, body: impl FnOnce() -> Result<()>) -> ExitCode {
    match install_stop_handler().and_then(|()| body()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.is::<BadInput>() => {
            eprintln!("{tool}: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            let mut line = format!("{tool}: {err:#}");
            if let Some(warning) = LAST_LIBBPF_WARNING.lock().ok().and_then(|w| w.clone()) {
                line.push_str(&format!(
                    " (libbpf: {warning}; rerun with -v for its full log)"
                ));
            }
            eprintln!("{}", line.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

/// Bad input found after the command line parsed (a file that does not exist, a rule
/// refused): one line and exit status 2, as a usage error.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// An error that exits 2 (see BadInput).
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    BadInput(message.into()).into()
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Routes libbpf's messages: all of them to stderr with -v; otherwise only the last
/// warning is kept, to explain a failure if one follows.
pub fn init_libbpf_log(verbose: bool) {
    START.get_or_init(Instant::now);
    VERBOSE.store(verbose, Ordering::Relaxed);
    // Each line carries the time since the start, so that the parts of a load (kernel
    // BTF, CO-RE relocation, each program's verification) can be told apart.
    fn to_stderr(_level: PrintLevel, message: String) {
        let since = START.get().map(Instant::elapsed).unwrap_or_default();
        eprint!("[{:9.3} ms] {message}", since.as_secs_f64() * 1000.0);
    }
    fn keep_last_warning(level: PrintLevel, message: String) {
        if level == PrintLevel::Warn {
            if let Ok(mut last) = LAST_LIBBPF_WARNING.lock() {
                *last = Some(message.trim().to_string());
            }
        }
    }
    if verbose {
        libbpf_rs::set_print(Some((PrintLevel::Debug, to_stderr)));
    } else {
        libbpf_rs::set_print(Some((PrintLevel::Warn, keep_last_warning)));
    }
}

/// Marks the end of a step of the start (-v shows each with the readiness line).
pub fn start_step(step: &'static str) {
    if !VERBOSE.load(Ordering::Relaxed) {
        return;
    }
    if let Ok(mut steps) = START_STEPS.lock() {
        steps.push((step, Instant::now()));
    }
}

/// With -v, the line that says where the start went: "start took 14.1 ms: preflight
/// 0.9, open 1.2, load (...) 10.3, attach 1.7, until ready 0.1 (ms)".
pub fn start_summary() -> Option<String> {
    if !VERBOSE.load(Ordering::Relaxed) {
        return None;
    }
    let start = *START.get()?;
    let now = Instant::now();
    let mut steps = START_STEPS.lock().ok()?.clone();
    steps.push(("until ready", now));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut previous = start;
    let parts: Vec<String> = steps
        .iter()
        .map(|&(step, ended)| {
            let took = ended.saturating_duration_since(previous);
            previous = ended;
            format!("{step} {:.1}", ms(took))
        })
        .collect();
    Some(format!(
        "start took {:.1} ms: {} (ms)",
        ms(now - start),
        parts.join(", ")
    ))
}

/// Forgets libbpf warnings that turned out harmless (e.g. about a program that was
/// skipped on purpose), so that a later error is not blamed on them.
pub fn clear_libbpf_warning() {
    if let Ok(mut last) = LAST_LIBBPF_WARNING.lock() {
        *last = None;
    }
}

/// Installs the SIGINT/SIGTERM/SIGHUP handler. The handler only raises a flag and wakes
/// the main thread; the main loop does the orderly shutdown.
pub fn install_stop_handler() -> Result<()> {
    let main_thread = thread::current();
    ctrlc::set_handler(move || {
        STOP.store(true, Ordering::SeqCst);
        main_thread.unpark();
    })
    .map_err(|err| anyhow::anyhow!("cannot install the Ctrl-C handler: {err}"))
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Asks the loop to stop, as a signal would (used when stdout closes).
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// The stop conditions of one run.
#[derive(Debug, Clone, Copy)]
pub struct StopConditions {
    deadline: Option<Instant>,
}

impl StopConditions {
    /// Starts the --duration clock now (call it right after attach).
    pub fn start(duration: Option<Duration>) -> Self {
        Self {
            deadline: duration.map(|d| Instant::now() + d),
        }
    }

    /// True once a signal came, the duration ran out or stdout was closed.
    pub fn reached(&self) -> bool {
        if stop_requested() {
            return true;
        }
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return true;
        }
        if stdout_closed() {
            request_stop();
            return true;
        }
        false
    }

    /// How long a poll may block: a slice, cut short by the deadline.
    pub fn next_wait(&self) -> Duration {
        match self.deadline {
            Some(deadline) => deadline
                .saturating_duration_since(Instant::now())
                .min(POLL_SLICE),
            None => POLL_SLICE,
        }
    }

    /// Sleeps until `until` or until a stop condition; true if `until` was reached.
    pub fn sleep_until(&self, until: Instant) -> bool {
        loop {
            if self.reached() {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            thread::park_timeout((until - now).min(self.next_wait()));
        }
    }
}

/// True when stdout is a pipe whose reader has gone (e.g. `| head -1` finished): the
/// tool stops then rather than waiting for its next write to fail.
pub fn stdout_closed() -> bool {
    let mut pollfd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let ready = unsafe { libc::poll(&mut pollfd, 1, 0) };
    ready > 0 && pollfd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}
