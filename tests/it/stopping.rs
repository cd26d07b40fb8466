//! Every way a tool stops (SIGINT, SIGTERM, --duration, a reader that closes the pipe)
//! is an ordinary exit 0 that leaves none of its BPF programs behind.
//!
//! Every tool is proven to stop cleanly in records.rs, by the signal `stop_for` gives
//! it. Here the other three ways are proven on one tool of each kind of hook and
//! output: a fexit-or-tracepoint event tool, a kprobe tool (its tracepoint fallback on a kernel
//! without kprobes), trace_pipe, a counting tool, BPF LSM and XDP.

use std::io::BufRead;
use std::io::BufReader;

use crate::helpers::*;
use crate::records::stop_for;

/// A tool with the arguments it needs besides the options under test.
fn start(tool: &str, extra: &[&str]) -> Tracer {
    let mut args: Vec<&str> = match tool {
        "xdp_drop_count" => vec!["lo"],
        // A file nobody runs: the other tests, running alongside, must not be refused.
        "execguard" => vec!["--deny", "/etc/os-release"],
        _ => vec![],
    };
    args.extend_from_slice(extra);
    Tracer::start(&tool_binary(tool), &args)
}

/// `tool` stopped in each way but the one records.rs already proves on it.
fn stops_cleanly_every_other_way(tool: &str) {
    let _turn = match tool {
        "hello" => Some(exclusive(Resource::TracePipe)),
        "xdp_drop_count" => Some(exclusive(Resource::LoopbackXdp)),
        _ => None,
    };
    let proven = Some(stop_for(tool));
    for how in Stop::ALL.into_iter().filter(|how| Some(*how) != proven) {
        let tracer = match how {
            Stop::Duration => start(tool, &["-d", "2"]),
            Stop::ClosedStdout => {
                // The first line read, then the pipe closed: the tool must notice even
                // if it has nothing more to write.
                let mut tracer = start(tool, &[]);
                let mut stdout = BufReader::new(tracer.take_stdout());
                let mut first = String::new();
                stdout.read_line(&mut first).unwrap();
                assert!(!first.is_empty(), "{tool} printed no header");
                tracer
            }
            Stop::Interrupt | Stop::Terminate => start(tool, &[]),
        };
        tracer.stop_cleanly(how);
    }
}

#[test]
fn opensnoop_stops_cleanly() {
    tracer_test!(any_kernel);
    stops_cleanly_every_other_way("opensnoop");
}

#[test]
fn unlinksnoop_stops_cleanly() {
    tracer_test!();
    stops_cleanly_every_other_way("unlinksnoop");
}

#[test]
fn hello_stops_cleanly() {
    tracer_test!(any_kernel);
    stops_cleanly_every_other_way("hello");
}

#[test]
fn kmalloc_bytes_stops_cleanly() {
    tracer_test!(any_kernel);
    stops_cleanly_every_other_way("kmalloc_bytes");
}

#[test]
fn execguard_stops_cleanly() {
    tracer_test!();
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    stops_cleanly_every_other_way("execguard");
}

#[test]
fn xdp_drop_count_stops_cleanly() {
    tracer_test!();
    stops_cleanly_every_other_way("xdp_drop_count");
}
