//! What the integration tests share: running a tracer until its readiness line, making
//! events with the `workload` helper, stopping the tracer, and finding the programs it
//! loaded. Every test filters on names and pids only it uses: tests run in parallel
//! and every tracer sees the whole machine.
#![allow(dead_code)]

pub mod cgroups;
pub mod keyboard;
pub mod metrics;
pub mod terminal;

use std::io::BufRead;
use std::io::BufReader;
use std::io::Write;
use std::process::Child;
use std::process::ChildStdin;
use std::process::ChildStdout;
use std::process::Command;
use std::process::ExitStatus;
use std::process::Stdio;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;

pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// True when the test may load BPF programs. Otherwise says loudly that it is skipped;
/// with EBPF_TRACERS_REQUIRE_ROOT=1 (CI) a skip is a failure instead.
pub fn can_trace(test: &str) -> bool {
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
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// A name no other test uses, short enough for a comm (15 bytes).
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let name = format!("{prefix}{}_{n}", std::process::id() % 100_000);
    assert!(name.len() <= 15, "comm {name} too long");
    name
}

/// A path under the temp dir that nothing else uses.
pub fn unique_path(tag: &str) -> String {
    format!(
        "{}/ebpf_tracers_{}",
        std::env::temp_dir().display(),
        unique_name(tag)
    )
}

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
                        let _ = tx.send(());
                    }
                }
                seen.push_str(&line);
                line.clear();
            }
            seen
        });
        if ready_rx.recv_timeout(READY_TIMEOUT).is_err() {
            let _ = child.kill();
            let status = child.wait().expect("wait failed");
            let stderr = stderr_reader.join().unwrap_or_default();
            panic!(
                "{bin} {args:?} never printed its readiness line; it ended with {status:?}\nstderr:\n{stderr}"
            );
        }
        Tracer {
            tool: tool_of(bin, args),
            started,
            stdout: child.stdout.take(),
            child,
            stdout_reader: None,
            stdout_lines: None,
            stderr_reader,
        }
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

/// Program ids among a process's open fds (fdinfo has `prog_id:` for BPF programs and
/// for the perf events / links that hold them).
pub fn prog_ids_of(pid: u32) -> Vec<u32> {
    let mut ids = Vec::new();
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return ids;
    };
    for entry in entries.flatten() {
        let Ok(info) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for line in info.lines() {
            if let Some(id) = line.strip_prefix("prog_id:") {
                if let Ok(id) = id.trim().parse() {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
    }
    ids.sort();
    ids
}

/// True while `bpftool prog show id ID` still finds the program.
pub fn prog_exists(id: u32) -> bool {
    Command::new("bpftool")
        .args(["prog", "show", "id", &id.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or_else(|err| panic!("cannot run bpftool: {err}"))
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
            panic!("{how}: BPF programs {left:?} outlived the tracer (bpftool prog show)");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Runs the workload helper to completion and returns its stdout.
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
    let Err(why) = ebpf_tracers::preflight::check_bpf_lsm() else {
        return true;
    };
    let reason = format!("{why:#}");
    if std::env::var("EBPF_TRACERS_EXPECT_LSM").as_deref() == Ok("1") {
        panic!("{test}: {reason}, and EBPF_TRACERS_EXPECT_LSM=1");
    }
    report_skip(test, &reason);
    false
}

/// A table's rows under its header line, each split into its whitespace-separated
/// cells.
pub fn table_cells(stdout: &str) -> Vec<Vec<&str>> {
    stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .collect()
}

pub fn run_workload(comm: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_workload"))
        .arg("--comm")
        .arg(comm)
        .args(args)
        .output()
        .expect("cannot run workload");
    assert!(output.status.success(), "workload failed: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A workload that has started (its pid is known) but waits for `go()` to act.
pub struct PendingWorkload {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl PendingWorkload {
    pub fn spawn(comm: &str, args: &[&str]) -> PendingWorkload {
        let mut child = Command::new(env!("CARGO_BIN_EXE_workload"))
            .arg("--comm")
            .arg(comm)
            .arg("--wait-stdin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run workload");
        let stdin = child.stdin.take();
        PendingWorkload { child, stdin }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn go(mut self) -> String {
        let mut stdin = self.stdin.take().unwrap();
        stdin.write_all(b"go\n").unwrap();
        drop(stdin);
        let output = self.child.wait_with_output().expect("workload wait failed");
        assert!(output.status.success(), "workload failed: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// A workload that runs (named COMM) until dropped, when it is killed.
pub struct Background(Child);

impl Background {
    /// Returns once the workload has printed its first line (it has begun).
    pub fn spawn(comm: &str, args: &[&str]) -> Background {
        let mut child = Command::new(env!("CARGO_BIN_EXE_workload"))
            .arg("--comm")
            .arg(comm)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run workload");
        let mut first = String::new();
        let stdout = child.stdout.take().unwrap();
        let read = BufReader::new(stdout).read_line(&mut first);
        let background = Background(child);
        assert!(
            matches!(read, Ok(n) if n > 0),
            "workload {args:?} did not begin"
        );
        background
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Copies a binary to a unique path (its name becomes the comm of what runs it).
pub fn unique_copy_of(binary: &str, name: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = unique_path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{dir}/{name}");
    std::fs::copy(binary, &path).unwrap_or_else(|e| panic!("cannot copy {binary}: {e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The last JSON report of an aggregating tool (scope "total"); every line of its
/// output must have the fields and types its record declares.
pub fn total_report(finished: &Finished) -> serde_json::Value {
    finished
        .json_lines()
        .into_iter()
        .rev()
        .find(|report| report["scope"] == "total")
        .unwrap_or_else(|| panic!("no total report in:\n{}", finished.stdout))
}

/// The registry's name of the tool a command runs: the binary's name, or the first
/// argument that names a tool (`ip netns exec NS xdp_drop_count ...`).
pub fn tool_of(bin: &str, args: &[&str]) -> String {
    let name = |path: &str| {
        std::path::Path::new(path)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    std::iter::once(bin)
        .chain(args.iter().copied())
        .map(name)
        .find(|name| ebpf_tracers::tools::find(name).is_some())
        .unwrap_or_else(|| name(bin))
}

/// Fails unless `line` (one JSON line of `tool`) has exactly the fields its record
/// declares (ebpf_tracers::tools: the JSON Schema derived from the record struct), each
/// of its declared JSON type, and every field the declaration requires. Reports (with a
/// "scope") are checked against the tool's report record, other lines against its event
/// record. `time` is the runtime's, on every line: RFC 3339, UTC, nanoseconds; it is
/// returned.
pub fn assert_declared(tool: &str, line: &serde_json::Value) -> SystemTime {
    let registered = ebpf_tracers::tools::find(tool)
        .unwrap_or_else(|| panic!("{tool} is not in the tool registry"));
    let schema = if line.get("scope").is_some() {
        registered.report_schema()
    } else {
        registered.event_schema()
    };
    let schema = schema.unwrap_or_else(|| panic!("{tool} declares no record for {line}"));
    let root = schema.as_value();
    let mut line = line.clone();
    let time = line
        .as_object_mut()
        .and_then(|object| object.remove("time"))
        .unwrap_or_else(|| panic!("{tool}: no time in {line}"));
    let time = time.as_str().unwrap_or_default();
    // 2026-11-23T10:04:05.123456789Z: UTC, nine digits of fraction.
    let shaped = time.len() == 30 && time.ends_with('Z') && time.as_bytes()[19] == b'.';
    let parsed = humantime::parse_rfc3339(time).ok().filter(|_| shaped);
    let time = parsed.unwrap_or_else(|| panic!("{tool}: time {time:?} is not RFC 3339 UTC ns"));
    if let Err(why) = conforms(root, &line, root) {
        panic!("{tool}: {why}\nline: {line}\nschema: {root}");
    }
    time
}

/// Whether `value` has the shape `schema` declares (the JSON Schema subset schemars
/// derives: $ref, anyOf/oneOf, type, enum, properties/required, items).
fn conforms(
    schema: &serde_json::Value,
    value: &serde_json::Value,
    root: &serde_json::Value,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return conforms(&root["$defs"][name], value, root);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            return match branches.iter().any(|b| conforms(b, value, root).is_ok()) {
                true => Ok(()),
                false => Err(format!("{value} matches none of {schema}")),
            };
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits =
            allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !fits {
            return Err(format!("{value} is {actual}, declared {allowed:?}"));
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.contains(value) {
            return Err(format!("{value} is not one of {choices:?}"));
        }
    }
    if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
        for item in values {
            conforms(items, item, root)?;
        }
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(properties) = properties {
            for (name, field) in fields {
                let declared = properties
                    .get(name)
                    .ok_or_else(|| format!("field {name:?} is not declared"))?;
                conforms(declared, field, root).map_err(|why| format!("{name}: {why}"))?;
            }
        }
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !fields.contains_key(required) {
                return Err(format!("declared field {required:?} is missing"));
            }
        }
    }
    Ok(())
}

/// The rows of a JSON report whose `key` field equals `value`.
pub fn report_rows<'a>(
    report: &'a serde_json::Value,
    key: &str,
    value: &str,
) -> Vec<&'a serde_json::Value> {
    report["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {report}"))
        .iter()
        .filter(|row| row[key] == value)
        .collect()
}

/// Two network namespaces joined by a veth pair, made for one test and removed when
/// dropped. Addresses exist only inside the namespaces; traffic stays there.
pub struct VethPair {
    pub ns_a: String,
    pub ns_b: String,
    pub dev_a: String,
    pub dev_b: String,
    pub ip_a: &'static str,
    pub ip_b: &'static str,
}

impl VethPair {
    pub fn create(tag: &str) -> VethPair {
        let base = unique_name(tag);
        let pair = VethPair {
            ns_a: format!("ebpf_tracers_{base}a"),
            ns_b: format!("ebpf_tracers_{base}b"),
            dev_a: format!("{base}a"),
            dev_b: format!("{base}b"),
            ip_a: "10.254.0.1",
            ip_b: "10.254.0.2",
        };
        assert!(
            pair.dev_a.len() <= 15,
            "interface name {} too long",
            pair.dev_a
        );
        let ip = |args: &[&str]| {
            let output = Command::new("ip")
                .args(args)
                .output()
                .expect("cannot run ip");
            assert!(
                output.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        ip(&["netns", "add", &pair.ns_a]);
        ip(&["netns", "add", &pair.ns_b]);
        ip(&[
            "link",
            "add",
            &pair.dev_a,
            "netns",
            &pair.ns_a,
            "type",
            "veth",
            "peer",
            "name",
            &pair.dev_b,
            "netns",
            &pair.ns_b,
        ]);
        for (ns, dev, addr) in [
            (&pair.ns_a, &pair.dev_a, pair.ip_a),
            (&pair.ns_b, &pair.dev_b, pair.ip_b),
        ] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        pair
    }

    /// `work`'s result, done on a thread that has entered namespace B (a tool served
    /// there on B's loopback is reached so).
    pub fn within_b<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        use std::os::fd::AsRawFd;
        let ns = std::fs::File::open(format!("/run/netns/{}", self.ns_b))
            .unwrap_or_else(|err| panic!("namespace {}: {err}", self.ns_b));
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: a namespace descriptor; only this thread changes namespace.
                    let entered = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
                    work()
                })
                .join()
                .expect("the thread in namespace B panicked")
        })
    }

    /// A command that runs inside namespace A.
    pub fn in_a(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns_a, program]);
        command
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the pair, and with it the other end.
        for ns in [&self.ns_a, &self.ns_b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Runs a binary as an unprivileged user (nobody) and returns its output.
pub fn run_as_nobody(bin: &str, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    Command::new(bin)
        .args(args)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {bin} as nobody: {err}"))
}

/// Runs a binary and returns its output (for usage errors, which need no privileges).
pub fn run(bin: &str, args: &[&str]) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"))
}

/// A fresh directory (removed with all it holds on drop) and, below it, a path of at
/// least `len` bytes made of 200-byte names: `deep` (not created: `workload --cwd
/// DEEP --make-cwd` enters it one name at a time, as a path longer than PATH_MAX must be).
pub struct LongDir {
    pub top: String,
    pub deep: String,
}

impl LongDir {
    pub fn new(tag: &str, len: usize) -> LongDir {
        let top = unique_path(tag);
        std::fs::create_dir(&top).unwrap();
        let mut deep = top.clone();
        let mut level = 0;
        while deep.len() < len {
            deep.push('/');
            deep.push_str(&format!("{level:03}{}", "d".repeat(197)));
            level += 1;
        }
        LongDir { top, deep }
    }

    /// `new`, with `deep` created (it must be shorter than PATH_MAX).
    pub fn created(tag: &str, len: usize) -> LongDir {
        let dir = LongDir::new(tag, len);
        std::fs::create_dir_all(&dir.deep).unwrap();
        dir
    }
}

impl Drop for LongDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}

/// The JSON events `bin` (with `--json -c COMM` and `args`) shows while a workload
/// named COMM runs `work` (workload arguments); the tracer must exit cleanly.
pub fn json_events_of(
    bin: &str,
    args: &[&str],
    tag: &str,
    work: &[&str],
) -> Vec<serde_json::Value> {
    let comm = unique_name(tag);
    let mut tool_args = vec!["--json", "-c", comm.as_str()];
    tool_args.extend_from_slice(args);
    let tracer = Tracer::start(bin, &tool_args);
    run_workload(&comm, work);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    finished.json_lines()
}

/// The one event of `events` whose path is `path`, which must not be marked cut.
pub fn event_with_path<'a>(events: &'a [serde_json::Value], path: &str) -> &'a serde_json::Value {
    let event = events
        .iter()
        .find(|event| event["path"] == path)
        .unwrap_or_else(|| {
            panic!(
                "no event with the path {path} ({} bytes) in {events:?}",
                path.len()
            )
        });
    assert!(event.get("path_cut").is_none(), "{event}");
    event
}
