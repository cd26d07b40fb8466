//! Events made to order: the `workload` helper under a unique name, unique paths and
//! copies of binaries, commands run as another user.

use std::io::BufRead;
use std::io::BufReader;
use std::io::Write;
use std::process::Child;
use std::process::ChildStdin;
use std::process::Command;
use std::process::Stdio;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering;

/// A name no other test uses, short enough for a comm (15 bytes): the prefix, this
/// process (every test runs in it) and a count, both in base 36 to leave the prefix
/// room: up to 7 bytes of prefix for the first 46,656 names of a run.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let process = base36(std::process::id() % 36u32.pow(4));
    let name = format!("{prefix}{process}_{}", base36(n));
    assert!(name.len() <= 15, "comm {name} too long");
    name
}

fn base36(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(n % 36, 36).unwrap());
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// A path under the temp dir that nothing else uses.
pub fn unique_path(tag: &str) -> String {
    format!(
        "{}/ebpf_tracers_{}",
        std::env::temp_dir().display(),
        unique_name(tag)
    )
}

/// Runs the workload helper to completion and returns its stdout.
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

/// A workload that has started (its pid is known, its own start is over) but waits for
/// `go()` to act.
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
        // Its "waiting" line, read a byte at a time so that nothing after it is taken
        // from what go() returns: its start (the loader's own opens) is over.
        let mut said = Vec::new();
        let mut byte = [0u8; 1];
        let stdout = child.stdout.as_mut().unwrap();
        while said.last() != Some(&b'\n') {
            match std::io::Read::read(stdout, &mut byte) {
                Ok(1) => said.push(byte[0]),
                _ => panic!("workload {args:?} ended before it was waiting"),
            }
        }
        assert_eq!(said, b"waiting\n", "workload {args:?}");
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

/// A path made for one test (a file, or a file in a directory of its own), removed with
/// what holds it when the test is done with it, whether it passed or panicked.
pub struct Scratch {
    path: String,
    remove: String,
}

impl Scratch {
    /// A new file at a unique path holding `contents`.
    pub fn file(tag: &str, contents: &[u8]) -> Scratch {
        let path = unique_path(tag);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        Scratch {
            remove: path.clone(),
            path,
        }
    }
}

impl Scratch {
    pub fn as_str(&self) -> &str {
        &self.path
    }
}

/// As the path it is (a test's expected JSON names it).
impl serde::Serialize for Scratch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.path)
    }
}

impl std::ops::Deref for Scratch {
    type Target = str;
    fn deref(&self) -> &str {
        &self.path
    }
}

impl AsRef<str> for Scratch {
    fn as_ref(&self) -> &str {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_ref()
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        self.path.as_ref()
    }
}

impl std::fmt::Display for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let removed = std::fs::remove_dir_all(&self.remove);
        if removed.is_err() {
            let _ = std::fs::remove_file(&self.remove);
        }
    }
}

/// Copies a binary to a unique directory as `name` (which becomes the comm of what runs
/// it); the directory goes with the returned guard.
pub fn unique_copy_of(binary: &str, name: &str) -> Scratch {
    use std::os::unix::fs::PermissionsExt;
    let dir = unique_path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{dir}/{name}");
    let copy = Scratch { path, remove: dir };
    std::fs::copy(binary, &*copy).unwrap_or_else(|e| panic!("cannot copy {binary}: {e}"));
    std::fs::set_permissions(&*copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
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
