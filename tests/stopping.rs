//! Every way a tool stops (SIGINT, SIGTERM, --duration, a reader that closes the pipe)
//! is an ordinary exit 0 that leaves none of its BPF programs behind.

mod common;

use std::io::BufRead;
use std::io::BufReader;

use common::*;

const TOOLS: [(&str, &str); 14] = [
    ("opensnoop", env!("CARGO_BIN_EXE_opensnoop")),
    ("kmalloc_bytes", env!("CARGO_BIN_EXE_kmalloc_bytes")),
    ("unlinksnoop", env!("CARGO_BIN_EXE_unlinksnoop")),
    ("openat_count", env!("CARGO_BIN_EXE_openat_count")),
    ("execve_count", env!("CARGO_BIN_EXE_execve_count")),
    ("sendrecv_count", env!("CARGO_BIN_EXE_sendrecv_count")),
    ("sendto_by_ip", env!("CARGO_BIN_EXE_sendto_by_ip")),
    ("execs_by_user", env!("CARGO_BIN_EXE_execs_by_user")),
    ("netpkt_count", env!("CARGO_BIN_EXE_netpkt_count")),
    ("netdev_trace", env!("CARGO_BIN_EXE_netdev_trace")),
    ("execsnoop", env!("CARGO_BIN_EXE_execsnoop")),
    ("mkdirsnoop", env!("CARGO_BIN_EXE_mkdirsnoop")),
    ("hello", env!("CARGO_BIN_EXE_hello")),
    ("bashreadline", env!("CARGO_BIN_EXE_bashreadline")),
];

/// trace_pipe takes one reader at a time: the tests, which run in parallel, take
/// turns with hello.
static TRACE_PIPE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn each_tool(test: &str, stop: impl Fn(&str, &str) -> (Vec<u32>, Finished)) {
    if !can_trace(test) {
        return;
    }
    for (name, bin) in TOOLS {
        let _turn = (name == "hello").then(|| TRACE_PIPE.lock().unwrap_or_else(|e| e.into_inner()));
        let (ids, finished) = stop(name, bin);
        assert!(
            finished.status.success(),
            "{name} ({test}) exited with {:?}: {}",
            finished.status,
            finished.stderr
        );
        assert_progs_gone(&ids, &format!("{name} after {test}"));
    }
}

#[test]
fn sigint_detaches_everything() {
    each_tool("stopping::sigint", |_, bin| {
        let tracer = Tracer::start(bin, &[]);
        let ids = tracer.prog_ids();
        (ids, tracer.interrupt())
    });
}

#[test]
fn sigterm_detaches_everything() {
    each_tool("stopping::sigterm", |_, bin| {
        let tracer = Tracer::start(bin, &[]);
        let ids = tracer.prog_ids();
        tracer.signal(libc::SIGTERM);
        (ids, tracer.wait())
    });
}

#[test]
fn duration_detaches_everything() {
    each_tool("stopping::duration", |_, bin| {
        let tracer = Tracer::start(bin, &["-d", "0.5"]);
        let ids = tracer.prog_ids();
        (ids, tracer.wait())
    });
}

#[test]
fn closed_stdout_detaches_everything() {
    // Like `tool | head -1`: read the first line, then close the pipe. The tool must
    // notice even if it has nothing more to write.
    each_tool("stopping::closed_stdout", |name, bin| {
        let mut tracer = Tracer::start(bin, &[]);
        let ids = tracer.prog_ids();
        let mut first = String::new();
        let mut stdout = BufReader::new(tracer.take_stdout());
        stdout.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{name} printed no header");
        drop(stdout);
        (ids, tracer.wait())
    });
}
