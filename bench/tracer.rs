//! The tracers the bench runs, ours and those people would use instead: how each is
//! started, known to be attached, and stopped with its CPU time and peak RSS.

use std::fs::File;
use std::io::BufRead;
use std::io::BufReader;
use std::path::Path;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use std::time::Instant;

use crate::bpf_objects::prog_ids_of;

pub const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
pub const KMALLOC_BYTES: &str = env!("CARGO_BIN_EXE_kmalloc_bytes");
pub const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
pub const EXECSNOOP: &str = env!("CARGO_BIN_EXE_execsnoop");
pub const EXECVE_COUNT: &str = env!("CARGO_BIN_EXE_execve_count");
pub const EXECGUARD: &str = env!("CARGO_BIN_EXE_execguard");
pub const C_OPENSNOOP: &str = "/usr/sbin/opensnoop";
pub const C_EXECSNOOP: &str = "/usr/sbin/execsnoop";
pub const BPFTRACE: &str = "bpftrace";

/// How a tracer tells us it is attached.
#[derive(Clone, Copy)]
pub enum Readiness {
    /// Ours: "Tracing ..." on stderr, printed after attach.
    StderrTracing,
    /// C tools and bpftrace: every BPF program the process holds is attached to a
    /// tracepoint perf event of the process (BPF_TASK_FD_QUERY, as `bpftool perf`).
    AllProgramsAttached,
}

#[derive(Clone)]
pub struct Tracer {
    pub name: &'static str,
    pub argv: Vec<String>,
    pub readiness: Readiness,
    /// Streaming tools write here; the lines are counted afterwards.
    pub to_file: bool,
    /// Set for the tracer only (e.g. EBPF_TRACERS_INFLIGHT=hash).
    pub env: Vec<(&'static str, &'static str)>,
}

impl Tracer {
    /// The same tracer with `key=value` in its environment.
    pub fn with_env(mut self, key: &'static str, value: &'static str) -> Tracer {
        self.env.push((key, value));
        self
    }
}

pub struct Running {
    pub child: Child,
    pub stderr: mpsc::Receiver<String>,
    pub startup: Duration,
    pub out_path: Option<PathBuf>,
}

pub struct Stopped {
    pub stderr: String,
    pub cpu: Duration,
    pub peak_rss_kib: u64,
    pub out_path: Option<PathBuf>,
}

/// `bin` with `args`, known to be attached by `readiness`.
fn command(
    name: &'static str,
    bin: &str,
    args: &[&str],
    readiness: Readiness,
    to_file: bool,
) -> Tracer {
    let mut argv = vec![bin.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    Tracer {
        name,
        argv,
        readiness,
        to_file,
        env: Vec::new(),
    }
}

pub fn ours(name: &'static str, bin: &str, args: &[&str], to_file: bool) -> Tracer {
    command(name, bin, args, Readiness::StderrTracing, to_file)
}

pub fn bpftrace(name: &'static str, program: &str) -> Tracer {
    Tracer {
        name,
        argv: vec![BPFTRACE.into(), "-e".into(), program.into()],
        readiness: Readiness::AllProgramsAttached,
        to_file: false,
        env: Vec::new(),
    }
}

pub fn c_opensnoop(name: &'static str, args: &[&str], to_file: bool) -> Tracer {
    c_tool(name, C_OPENSNOOP, args, to_file)
}

/// A libbpf-tools program (Debian's libbpf-tools).
pub fn c_tool(name: &'static str, bin: &str, args: &[&str], to_file: bool) -> Tracer {
    command(name, bin, args, Readiness::AllProgramsAttached, to_file)
}

pub fn start(tracer: &Tracer, work: &Path) -> Result<Running, String> {
    let out_path = tracer.to_file.then(|| {
        work.join(format!(
            "out-{}-{}",
            tracer.name.replace(' ', "_"),
            Instant::now().elapsed().as_nanos()
        ))
    });
    let stdout = match &out_path {
        Some(path) => Stdio::from(File::create(path).map_err(|e| e.to_string())?),
        None => Stdio::null(),
    };
    let started = Instant::now();
    let mut child = Command::new(&tracer.argv[0])
        .args(&tracer.argv[1..])
        .envs(tracer.env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", tracer.argv[0]))?;
    let (tx, stderr) = mpsc::channel();
    let mut pipe = child.stderr.take().unwrap();
    thread::spawn(move || {
        let mut reader = BufReader::new(&mut pipe);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if tx.send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
    });
    let mut seen_stderr = String::new();
    let deadline = started + Duration::from_secs(60);
    loop {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!(
                "{} did not become ready: {seen_stderr}",
                tracer.name
            ));
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} exited early ({status}): {seen_stderr}",
                tracer.name
            ));
        }
        let ready = match tracer.readiness {
            Readiness::StderrTracing => match stderr.recv_timeout(Duration::from_millis(1)) {
                Ok(line) => {
                    seen_stderr.push_str(&line);
                    line.starts_with("Tracing")
                }
                Err(_) => false,
            },
            Readiness::AllProgramsAttached => all_programs_attached(child.id()),
        };
        if ready {
            break;
        }
        if !matches!(tracer.readiness, Readiness::StderrTracing) {
            thread::sleep(Duration::from_micros(500));
        }
    }
    let startup = started.elapsed();
    Ok(Running {
        child,
        stderr,
        startup,
        out_path,
    })
}

/// SIGINT, then wait4 for the tracer's CPU time and peak RSS.
pub fn stop(running: Running) -> Result<Stopped, String> {
    let pid = running.child.id() as i32;
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SIGINT again every 5 s: bpftrace once sat in epoll_wait after the first one and
    // never exited (bench, 2026-11-23).
    let mut next_signal = Instant::now();
    loop {
        if Instant::now() >= next_signal {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGINT) };
            next_signal += Duration::from_secs(5);
        }
        // SAFETY: pid is our child; status and usage are ours.
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        match waited {
            0 => thread::sleep(Duration::from_millis(10)),
            w if w == pid => break,
            _ => return Err(format!("wait4 failed: {}", std::io::Error::last_os_error())),
        }
    }
    let mut stderr = String::new();
    while let Ok(line) = running.stderr.recv_timeout(Duration::from_millis(200)) {
        stderr.push_str(&line);
    }
    let time = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    Ok(Stopped {
        stderr,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_rss_kib: usage.ru_maxrss as u64,
        out_path: running.out_path,
    })
}

pub fn all_programs_attached(pid: u32) -> bool {
    let programs = prog_ids_of(pid);
    if programs.is_empty() {
        return false;
    }
    let mut attached = Vec::new();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    for fd in fds.flatten() {
        let Some(fd) = fd.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let mut buf = [0 as libc::c_char; 256];
        let (mut prog_id, mut fd_type, mut offset, mut addr) = (0u32, 0u32, 0u64, 0u64);
        // SAFETY: every out-pointer is valid for the call; buf is 256 bytes.
        let err = unsafe {
            libbpf_sys::bpf_task_fd_query(
                pid as i32,
                fd as i32,
                0,
                buf.as_mut_ptr(),
                &mut (buf.len() as u32),
                &mut prog_id,
                &mut fd_type,
                &mut offset,
                &mut addr,
            )
        };
        if err == 0 && fd_type == libbpf_sys::BPF_FD_TYPE_TRACEPOINT {
            attached.push(prog_id);
        }
    }
    programs.iter().all(|p| attached.contains(p))
}

pub fn loaded_programs() -> usize {
    Command::new("bpftool")
        .args(["prog", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| {
                    l.split(':')
                        .next()
                        .is_some_and(|id| id.parse::<u32>().is_ok())
                })
                .count()
        })
        .unwrap_or(0)
}
