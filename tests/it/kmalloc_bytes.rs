//! kmalloc_bytes against allocations the test itself causes (catalogue row:
//! kmalloc_bytes). Each pipe kmallocs its ring of 16 struct pipe_buffer (640 bytes on
//! x86_64, every kernel since 5.x) plus its pipe_inode_info.

use crate::helpers::*;
use serde_json::Value;

const KMALLOC_BYTES: &str = env!("CARGO_BIN_EXE_kmalloc_bytes");
const PIPES: u64 = 1000;
const PIPE_RING_BYTES: u64 = 640;

fn counters(v: &Value) -> (u64, u64, u64) {
    (
        v["calls"].as_u64().unwrap(),
        v["bytes_req"].as_u64().unwrap(),
        v["bytes_alloc"].as_u64().unwrap(),
    )
}

#[test]
fn pipe_churn_raises_calls_and_bytes_for_its_comm() {
    tracer_test!();
    let comm = unique_name("kb");
    // No filter: the whole machine is counted and the workload's comm must stand out.
    let tracer = Tracer::start(
        KMALLOC_BYTES,
        &["--by-comm", "--top", "1000000", "--json", "-i", "3600"],
    );
    run_workload(&comm, &["pipes", &PIPES.to_string()]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let report = total_report(&finished);

    let (calls, req, alloc) = counters(&report["total"]);
    assert!(alloc >= req, "total bytes_alloc {alloc} < bytes_req {req}");
    let pipes = at_least(&report, PIPES);
    assert!(calls >= pipes, "{calls} calls for {PIPES} pipes: {report}");
    let row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["comm"] == comm.as_str())
        .unwrap_or_else(|| panic!("{comm} not in {report}"));
    let (calls, req, alloc) = counters(row);
    assert!(calls >= pipes, "{comm}: {calls} calls for {PIPES} pipes");
    assert!(
        req >= pipes * PIPE_RING_BYTES,
        "{comm}: {req} bytes requested"
    );
    assert!(
        alloc >= req,
        "{comm}: bytes_alloc {alloc} < bytes_req {req}"
    );
}

#[test]
fn comm_filter_counts_that_comm_only_and_hist_sees_the_pipe_rings() {
    tracer_test!();
    let comm = unique_name("kc");
    let other = unique_name("kc");
    let tracer = Tracer::start(
        KMALLOC_BYTES,
        &["-c", &comm, "--by-comm", "--hist", "--json", "-i", "3600"],
    );
    run_workload(&comm, &["pipes", &PIPES.to_string()]);
    run_workload(&other, &["pipes", &PIPES.to_string()]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let report = total_report(&finished);

    let comms = report["rows"].as_array().unwrap();
    assert_eq!(comms.len(), 1, "-c let other names through: {report}");
    assert_eq!(comms[0]["comm"], comm.as_str());
    // With the filter in the kernel, the grand total is exactly that one name's.
    assert_eq!(counters(&report["total"]), counters(&comms[0]));
    let (calls, req, _) = counters(&report["total"]);
    // The kernel may skip a run of the program (see at_least): never more than it said.
    let pipes = at_least(&report, PIPES);
    assert!(calls >= pipes && req >= pipes * PIPE_RING_BYTES, "{report}");
    // 640-byte rings fall in the 512..=1023 bucket.
    let ring_bucket = report["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .find(|bucket| bucket["low"] == 512 && bucket["high"] == 1023)
        .map(|bucket| bucket["count"].as_u64().unwrap());
    assert!(
        ring_bucket >= Some(pipes),
        "512..=1023 has {ring_bucket:?}: {report}"
    );
}

#[test]
fn table_output_has_interval_and_total_rows() {
    tracer_test!(any_kernel);
    let comm = unique_name("kt");
    let tracer = Tracer::start(KMALLOC_BYTES, &["-c", &comm, "-i", "0.2", "-d", "30"]);
    run_workload(&comm, &["pipes", &PIPES.to_string()]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let lines = finished.lines();

    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SCOPE", "CALLS", "BYTES_REQ", "BYTES_ALLOC"]
    );
    let total: Vec<u64> = lines
        .iter()
        .rev()
        .find(|line| line.starts_with("total"))
        .expect("no total row")
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    let pipes = PIPES.saturating_sub(finished.skipped_runs_said());
    assert!(
        total[0] >= pipes && total[1] >= pipes * PIPE_RING_BYTES && total[2] >= total[1],
        "{total:?}, {pipes} pipes at least"
    );
    // The intervals add up to the total.
    let interval_sum: u64 = lines
        .iter()
        .filter(|line| line.starts_with("interval"))
        .map(|line| {
            line.split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert!(
        interval_sum <= total[0],
        "intervals {interval_sum} > total {}",
        total[0]
    );
}

record_test!(kmalloc_bytes, |tool, stop, comm| {
    let mut args = vec!["-c", &comm, "--by-comm", "--hist"];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["pipes", "10"]);
    });
    assert!(total(&lines)["histogram"].is_array(), "{lines:?}");
    Shown::Event(lines, "comm", comm.clone().into())
});
