//! Every way a tool stops (SIGINT, SIGTERM, --duration, a reader that closes the pipe)
//! is an ordinary exit 0 that leaves none of its BPF programs behind.

mod common;

use std::io::BufRead;
use std::io::BufReader;

use common::*;

const TOOLS: [(&str, &str); 19] = [
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
    ("xdp_drop_count", env!("CARGO_BIN_EXE_xdp_drop_count")),
    ("filetop", env!("CARGO_BIN_EXE_filetop")),
    ("arpsnoop", env!("CARGO_BIN_EXE_arpsnoop")),
    ("key_pressed", env!("CARGO_BIN_EXE_key_pressed")),
    ("execguard", env!("CARGO_BIN_EXE_execguard")),
];

/// Tools that need kprobes, with no tracepoint to fall back on.
const KPROBES_ONLY: [&str; 1] = ["key_pressed"];

/// What a tool needs on its command line besides the options under test.
fn required_args(name: &str) -> &'static [&'static str] {
    match name {
        "xdp_drop_count" => &["lo"],
        // A file nobody runs: the other tests, running alongside, must not be refused.
        "execguard" => &["--deny", "/etc/os-release"],
        _ => &[],
    }
}

/// `bin` started with its required arguments and `extra`.
fn start(name: &str, bin: &str, extra: &[&str]) -> Tracer {
    let mut args = required_args(name).to_vec();
    args.extend_from_slice(extra);
    Tracer::start(bin, &args)
}

/// Tools of which one runs at a time: trace_pipe takes one reader (hello), an
/// interface one XDP program (xdp_drop_count). The tests, which run in parallel, take
/// turns with them.
const ONE_AT_A_TIME: [&str; 2] = ["hello", "xdp_drop_count"];
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn each_tool(test: &str, stop: impl Fn(&str, &str) -> (Vec<u32>, Finished)) {
    if !can_trace(test) {
        return;
    }
    for (name, bin) in TOOLS {
        if KPROBES_ONLY.contains(&name) && !kernel_has_kprobes() {
            report_skip(&format!("{test} ({name})"), "this kernel has no kprobes");
            continue;
        }
        if name == "execguard" && !bpf_lsm_active(&format!("{test} ({name})")) {
            continue;
        }
        let _turn = ONE_AT_A_TIME
            .contains(&name)
            .then(|| TURN.lock().unwrap_or_else(|e| e.into_inner()));
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
    each_tool("stopping::sigint", |name, bin| {
        let tracer = start(name, bin, &[]);
        let ids = tracer.prog_ids();
        (ids, tracer.interrupt())
    });
}

#[test]
fn sigterm_detaches_everything() {
    each_tool("stopping::sigterm", |name, bin| {
        let tracer = start(name, bin, &[]);
        let ids = tracer.prog_ids();
        tracer.signal(libc::SIGTERM);
        (ids, tracer.wait())
    });
}

#[test]
fn duration_detaches_everything() {
    each_tool("stopping::duration", |name, bin| {
        let tracer = start(name, bin, &["-d", "0.5"]);
        let ids = tracer.prog_ids();
        (ids, tracer.wait())
    });
}

#[test]
fn closed_stdout_detaches_everything() {
    // Like `tool | head -1`: read the first line, then close the pipe. The tool must
    // notice even if it has nothing more to write.
    each_tool("stopping::closed_stdout", |name, bin| {
        let mut tracer = start(name, bin, &[]);
        let ids = tracer.prog_ids();
        let mut first = String::new();
        let mut stdout = BufReader::new(tracer.take_stdout());
        stdout.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{name} printed no header");
        drop(stdout);
        (ids, tracer.wait())
    });
}
