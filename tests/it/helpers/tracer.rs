//! A tool run as a test runs it: started until its readiness line, stopped by a signal,
//! its output collected; the BPF programs it held, and proof that they went with it.

use std::io::BufRead;
use std::io::BufReader;
use std::process::Child;
use std::process::ChildStdout;
use std::process::Command;
use std::process::ExitStatus;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;

pub use super::bpf_objects::prog_exists;
pub use super::bpf_objects::prog_ids_of;
use super::bpf_objects::prog_stats;
use super::output::assert_declared;
use super::output::tool_of;

pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// A tracer that has printed its readiness line.
pub struct Tracer {
    /// The tool's name in the registry (its binary's name).
    tool: String,
    /// The test's clock before the tracer started.
    started: SystemTime,
    child: Child,
    stdout: Option<ChildStdout>,
    stdout_reader: Option<thread::JoinHandle<String>>,
    stdout_lines: Option<mpsc::Receiver<String>>,
    stderr_reader: thread::JoinHandle<String>,
    /// The readiness line, as printed.
    ready_line: String,
}

/// A binary cargo built beside the tools (a tool's, or a helper's), by name.
pub fn tool_binary(name: &str) -> String {
    std::path::Path::new(env!("CARGO_BIN_EXE_opensnoop"))
        .with_file_name(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `round` (a tracer's run and the check that it showed what the test caused) up
/// to three times. A round that misses what it wanted returns the run as `Err`; it is run
/// again only when the tool said the kernel skipped runs of its programs in it (since
/// 6.13 a preempted syscall tracepoint's program skips another task's event on its CPU:
/// lost to every BPF tool, and said so). A miss with nothing skipped, or a third miss,
/// fails the test with all the tool printed.
pub fn unless_skipped<T>(what: &str, mut round: impl FnMut() -> Result<T, Finished>) -> T {
    const ROUNDS: usize = 3;
    for attempt in 1..=ROUNDS {
        let finished = match round() {
            Ok(value) => return value,
            Err(finished) => finished,
        };
        let skipped = finished.skipped_runs_said();
        if skipped == 0 || attempt == ROUNDS {
            panic!(
                "{what} (round {attempt}, {skipped} runs skipped):\n{}\nstderr:\n{}",
                finished.stdout, finished.stderr
            );
        }
        eprintln!("{what}: round {attempt} lost it to {skipped} skipped runs; again");
    }
    unreachable!()
}

/// The ways a user stops a tool. Each must be an ordinary exit 0 that leaves none of
/// the tool's BPF programs behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C.
    Interrupt,
    /// SIGTERM, as systemd and kill(1) stop it.
    Terminate,
    /// `-d SECS` runs out.
    Duration,
    /// The reader closes the pipe after the first line (`tool | head -1`).
    ClosedStdout,
}

impl Stop {
    pub const ALL: [Stop; 4] = [
        Stop::Interrupt,
        Stop::Terminate,
        Stop::Duration,
        Stop::ClosedStdout,
    ];
}

/// What a tracer printed, and how it ended.
#[derive(Debug)]
pub struct Finished {
    pub tool: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The test's clock just before the tracer started and just after it ended: every
    /// JSON `time` it printed lies between them.
    pub span: (SystemTime, SystemTime),
}

impl Finished {
    /// The runs of its programs the tool said the kernel skipped (an event tool's line
    /// at its end: "N runs of its BPF programs skipped by the kernel ..."; a counting
    /// tool's lines per interval, whose sum its total's line "... in all" says), or 0.
    pub fn skipped_runs_said(&self) -> u64 {
        let said: Vec<(u64, bool)> = self
            .stderr
            .lines()
            .filter_map(|line| {
                let (before, after) =
                    line.split_once(" runs of its BPF programs skipped by the kernel")?;
                let runs = before.rsplit(' ').next()?.parse::<u64>().ok()?;
                Some((runs, after.starts_with(" in all")))
            })
            .collect();
        match said.iter().find(|(_, in_all)| *in_all) {
            Some((total, _)) => *total,
            None => said.iter().map(|(runs, _)| runs).sum(),
        }
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Every line of stdout as JSON: a line that does not parse, does not have the
    /// fields and types the tool's record declares (`assert_declared`), or whose `time`
    /// is not within the tracer's run (`span`), fails the test.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        let (started, ended) = self.span;
        self.stdout
            .lines()
            .map(|line| {
                let value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
                let time = assert_declared(&self.tool, &value);
                assert!(
                    started <= time && time <= ended,
                    "{}: time {} is outside the run, {} to {}",
                    self.tool,
                    value["time"],
                    humantime::format_rfc3339_nanos(started),
                    humantime::format_rfc3339_nanos(ended)
                );
                value
            })
            .collect()
    }

    pub fn assert_clean_exit(&self) {
        assert!(
            self.status.success(),
            "tracer exited with {:?}\nstderr:\n{}\nstdout:\n{}",
            self.status,
            self.stderr,
            self.stdout
        );
    }
}

impl Tracer {
    pub fn start(bin: &str, args: &[&str]) -> Tracer {
        Self::start_with_env(bin, args, &[])
    }

    /// As `start`, with these environment variables set for the tracer only.
    pub fn start_with_env(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Tracer {
        let started = SystemTime::now();
        let mut child = Command::new(bin)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"));
        let stderr = child.stderr.take().unwrap();
        let (ready_tx, ready_rx) = mpsc::channel();
        let stderr_reader = thread::spawn(move || {
            let mut seen = String::new();
            let mut reader = BufReader::new(stderr);
            let mut line = String::new();
            let mut ready_tx = Some(ready_tx);
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if line.starts_with("Tracing ") {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(line.trim_end().to_string());
                    }
                }
                seen.push_str(&line);
                line.clear();
            }
            seen
        });
        let Ok(ready_line) = ready_rx.recv_timeout(READY_TIMEOUT) else {
            let _ = child.kill();
            let status = child.wait().expect("wait failed");
            let stderr = stderr_reader.join().unwrap_or_default();
            panic!(
                "{bin} {args:?} never printed its readiness line; it ended with {status:?}\nstderr:\n{stderr}"
            );
        };
        Tracer {
            tool: tool_of(bin, args),
            started,
            stdout: child.stdout.take(),
            child,
            stdout_reader: None,
            stdout_lines: None,
            stderr_reader,
            ready_line,
        }
    }

    /// The readiness line ("Tracing ... Hit Ctrl-C to end.", and where metrics are).
    pub fn ready_line(&self) -> &str {
        &self.ready_line
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Collects stdout in the background from now on (for tools that stream); each
    /// line is also passed on, for `wait_for_line`.
    pub fn collect_stdout(&mut self) {
        if let Some(stdout) = self.stdout.take() {
            let (tx, rx) = mpsc::channel();
            self.stdout_lines = Some(rx);
            self.stdout_reader = Some(thread::spawn(move || {
                let mut text = String::new();
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let _ = tx.send(line.clone());
                    text.push_str(&line);
                    line.clear();
                }
                text
            }));
        }
    }

    /// Waits, while the tracer runs, for a stdout line that `wanted` accepts.
    pub fn wait_for_line(
        &mut self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<String> {
        self.collect_stdout();
        let lines = self.stdout_lines.as_ref()?;
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// Takes stdout for a test that reads it itself (e.g. to close it early).
    pub fn take_stdout(&mut self) -> ChildStdout {
        self.stdout.take().expect("stdout already taken")
    }

    /// The ids of the BPF programs this tracer holds, from its fd table.
    pub fn prog_ids(&self) -> Vec<u32> {
        prog_ids_of(self.pid())
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(self.pid() as i32, signal) };
    }

    /// Sends SIGINT (Ctrl-C) and waits for the tracer to finish.
    pub fn interrupt(self) -> Finished {
        self.signal(libc::SIGINT);
        self.wait()
    }

    /// Stops the tracer `how` (a signal; Duration and ClosedStdout only wait for the
    /// tool to notice, the test having started it with `-d` or closed its stdout) and
    /// proves it stopped cleanly: exit 0, and every BPF program it held is gone.
    pub fn stop_cleanly(self, how: Stop) -> Finished {
        let ids = self.prog_ids();
        let what = format!("{} stopped by {how:?}", self.tool);
        let finished = match how {
            Stop::Interrupt => self.interrupt(),
            Stop::Terminate => {
                self.signal(libc::SIGTERM);
                self.wait()
            }
            Stop::Duration | Stop::ClosedStdout => self.wait(),
        };
        assert!(
            finished.status.success(),
            "{what}: exited with {:?}\nstderr:\n{}",
            finished.status,
            finished.stderr
        );
        assert_progs_gone(&ids, &what);
        finished
    }

    pub fn wait(mut self) -> Finished {
        self.collect_stdout();
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait failed") {
                break status;
            }
            if Instant::now() > deadline {
                let finished = self.kill_and_collect();
                panic!(
                    "tracer did not exit within {EXIT_TIMEOUT:?}; stderr:\n{}",
                    finished.stderr
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        Finished {
            tool: self.tool.clone(),
            span: (self.started, SystemTime::now()),
            status,
            stdout: self
                .stdout_reader
                .take()
                .map(|r| r.join().unwrap())
                .unwrap_or_default(),
            stderr: self.stderr_reader.join().unwrap(),
        }
    }

    fn kill_and_collect(&mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait failed");
        drop(self.stdout.take());
        Finished {
            tool: self.tool.clone(),
            span: (self.started, SystemTime::now()),
            status,
            stdout: String::new(),
            stderr: String::new(),
        }
    }
}

/// The runs the kernel skipped, over the programs `ids` (`ProgStats::skipped`).
pub fn skipped_runs(ids: &[u32]) -> u64 {
    prog_stats(ids).skipped
}

/// Runs `work` and returns how many runs of the tracer's programs the kernel skipped
/// meanwhile (`skipped_runs`): on kernels since 6.13 a syscall tracepoint's program can
/// be preempted, and another task's event on that CPU then skips the program; those
/// events are lost to every BPF tool, and a test's exact count may fall short by that
/// many.
pub fn runs_skipped_during(tracer: &Tracer, work: impl FnOnce()) -> u64 {
    let programs = tracer.prog_ids();
    let before = skipped_runs(&programs);
    work();
    skipped_runs(&programs) - before
}

/// Waits (bounded) for the kernel to free programs whose last reference is gone: the
/// free runs asynchronously after the holder's fds close.
pub fn assert_progs_gone(ids: &[u32], how: &str) {
    assert!(
        !ids.is_empty(),
        "{how}: the tracer held no BPF programs to check"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<u32> = ids.iter().copied().filter(|&id| prog_exists(id)).collect();
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("{how}: BPF programs {left:?} outlived the tracer (bpftool prog show id)");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The capabilities the exporter unit bounds `tool` to (the CapabilityBoundingSet= lines
/// of packaging/ebpf-tracers-exporter@.service and of the tool's own drop-ins, as
/// systemd joins them), in setpriv's spelling: `-all,+bpf,+perfmon,...`.
pub fn unit_capabilities(tool: &str) -> String {
    let packaging = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging");
    let mut files = vec![format!("{packaging}/ebpf-tracers-exporter@.service")];
    let dropins = format!("{packaging}/ebpf-tracers-exporter@{tool}.service.d");
    if let Ok(entries) = std::fs::read_dir(&dropins) {
        let mut confs: Vec<String> = entries
            .filter_map(|entry| Some(entry.ok()?.path().to_str()?.to_string()))
            .filter(|path| path.ends_with(".conf"))
            .collect();
        confs.sort();
        files.extend(confs);
    }
    let mut caps = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|err| panic!("{file}: {err}"));
        for line in text.lines() {
            if let Some(set) = line.strip_prefix("CapabilityBoundingSet=") {
                caps.extend(
                    set.split_whitespace()
                        .map(|cap| format!("+{}", cap.trim_start_matches("CAP_").to_lowercase())),
                );
            }
        }
    }
    assert!(
        !caps.is_empty(),
        "{files:?}: no CapabilityBoundingSet= line"
    );
    // At perf_event_paranoid 3 (Debian's default) some kernels open perf events only
    // for CAP_SYS_ADMIN: the unit's setup sets 2 (README, Fleet), else needs it back.
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok());
    if paranoid.is_some_and(|level| level > 2) {
        eprintln!(
            "NOTE: kernel.perf_event_paranoid is above 2 here: {tool} runs with the unit's \
             capabilities and CAP_SYS_ADMIN"
        );
        caps.push("+sys_admin".to_string());
    }
    format!("-all,{}", caps.join(","))
}

/// `setpriv` arguments that run the tool `bin args` as the exporter unit runs it: with
/// exactly its capability bounding set, nothing inheritable, no new privileges. As
/// under systemd (sys-kernel-tracing.mount), tracefs is mounted first: the tool has no
/// CAP_SYS_ADMIN to mount it.
pub fn as_the_unit_runs(bin: &str, args: &[&str]) -> Vec<String> {
    ebpf_tracers::kernel::preflight::ensure_tracefs().expect("cannot mount tracefs");
    let tool = tool_of(bin, &[]);
    let mut all: Vec<String> = [
        "--bounding-set",
        &unit_capabilities(&tool),
        "--inh-caps",
        "-all",
        "--no-new-privs",
        "--",
        bin,
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    all.extend(args.iter().map(|arg| arg.to_string()));
    all
}
