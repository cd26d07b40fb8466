//! hello against an exec the test itself causes (catalogue row: hello).

use crate::helpers::*;

const HELLO: &str = env!("CARGO_BIN_EXE_hello");

/// One test: trace_pipe takes one reader at a time, so two hellos cannot run at once
/// (records and stopping run hello too, each in its turn).
#[test]
fn an_exec_writes_hello_world_under_the_process_that_called_it() {
    tracer_test!();
    let _turn = exclusive(Resource::TracePipe);
    json_line_names_the_caller();
    table_shows_pid_comm_cpu_and_message();
    a_second_reader_is_refused_clearly();
}

fn json_line_names_the_caller() {
    let comm = unique_name("hw");
    let binary = unique_copy_of("/bin/true", &unique_name("hwt"));
    let tracer = Tracer::start(HELLO, &["--json", "-c", &comm]);
    // The workload itself becomes `binary`: the execve is its own, under its pid.
    let workload = PendingWorkload::spawn(&comm, &["exec-in-place", &binary]);
    let pid = workload.pid();
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let lines: Vec<serde_json::Value> = finished.json_lines();
    assert_eq!(
        lines.len(),
        1,
        "-c {comm} let other execs through: {lines:?}"
    );
    assert_eq!(lines[0]["pid"], pid);
    assert_eq!(lines[0]["message"], "hello world");
}

fn table_shows_pid_comm_cpu_and_message() {
    let comm = unique_name("hx");
    let binary = unique_copy_of("/bin/true", &unique_name("hxt"));
    let tracer = Tracer::start(HELLO, &["-c", &comm]);
    let workload = PendingWorkload::spawn(&comm, &["exec-in-place", &binary]);
    let pid = workload.pid();
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let lines = finished.lines();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["PID", "COMM", "CPU", "MESSAGE"]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[0], pid.to_string(), "{lines:?}");
    assert_eq!(row[row.len() - 2..], ["hello", "world"], "{lines:?}");
}

fn a_second_reader_is_refused_clearly() {
    let first = Tracer::start(HELLO, &[]);
    let output = run(HELLO, &["-d", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("trace_pipe is busy"), "{stderr}");
    first.interrupt().assert_clean_exit();
}

record_test!(hello, |tool, stop, comm| {
    let _turn = exclusive(Resource::TracePipe);
    let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
        run_workload(&comm, &["exec", "1", "/bin/true"]);
    });
    Shown::Event(lines, "message", "hello world".into())
});
