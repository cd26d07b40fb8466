//! filetop against writes the test itself makes (catalogue row: filetop).

mod common;

use common::*;

const FILETOP: &str = env!("CARGO_BIN_EXE_filetop");

/// Runs filetop on a workload that writes 64 KiB (16 calls) to a unique file; returns
/// the workload's pid, the file's name and the final report's rows for it.
fn write_64_kib(mode_args: &[&str], tag: &str) -> (u32, Vec<serde_json::Value>, Finished) {
    let path = unique_path(tag);
    // Started first: the pid is known to -p before the tool attaches.
    let workload = PendingWorkload::spawn(&unique_name(tag), &["write", &path, "64"]);
    let pid = workload.pid().to_string();
    let mut args = vec!["-p", pid.as_str(), "--json", "-i", "3600"];
    args.extend_from_slice(mode_args);
    let tracer = Tracer::start(FILETOP, &args);
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    std::fs::remove_file(&path).unwrap();
    let name = path.rsplit('/').next().unwrap().to_string();
    let report = total_report(&finished);
    let rows = report_rows(&report, "file", &name)
        .into_iter()
        .cloned()
        .collect();
    (pid.parse().unwrap(), rows, finished)
}

fn assert_64_kib_in_16_writes(pid: u32, rows: &[serde_json::Value], finished: &Finished) {
    assert_eq!(rows.len(), 1, "{}", finished.stdout);
    let row = &rows[0];
    assert_eq!(row["tid"], pid);
    assert_eq!(row["t"], "R");
    assert_eq!(
        (row["writes"].as_u64(), row["w_kb"].as_u64()),
        (Some(16), Some(64)),
        "{row}"
    );
    assert_eq!(row["reads"], 0);
}

#[test]
fn writes_to_a_file_are_counted_exactly_for_the_pid() {
    if !can_trace("filetop::writes_to_a_file_are_counted_exactly_for_the_pid") {
        return;
    }
    let (pid, rows, finished) = write_64_kib(&[], "ft");
    let hooks = if kernel_has_kprobes() {
        "via kprobes"
    } else {
        "via tracepoints"
    };
    assert!(finished.stderr.contains(hooks), "{}", finished.stderr);
    assert_64_kib_in_16_writes(pid, &rows, &finished);
}

#[test]
fn tracepoint_mode_finds_the_file_from_the_descriptor() {
    if !can_trace("filetop::tracepoint_mode_finds_the_file_from_the_descriptor") {
        return;
    }
    let (pid, rows, finished) = write_64_kib(&["--mode", "tracepoint"], "fu");
    assert_64_kib_in_16_writes(pid, &rows, &finished);
}
