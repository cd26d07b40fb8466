//! unlinksnoop against unlinks the test itself causes (catalogue row: unlinksnoop).
//! Where the kernel has kprobes (the vmtest guests) it must use them; on a kernel
//! without (the 6.18 build machine) it must fall back to the tracepoints and say so.

use crate::helpers::*;

const UNLINKSNOOP: &str = env!("CARGO_BIN_EXE_unlinksnoop");
/// The function's name depends on the kernel: 7.2 renamed do_unlinkat.
const KPROBE_READY: [&str; 2] = [
    "Tracing unlinks via kprobe do_unlinkat",
    "Tracing unlinks via kprobe filename_unlinkat",
];
const TRACEPOINT_READY: &str = "Tracing unlinks via tracepoints";

/// PID COMM RET PATH rows.
fn rows(stdout: &str) -> Vec<(u32, String, i32, String)> {
    table_cells(stdout)
        .into_iter()
        .filter_map(|f| {
            if f.len() < 4 {
                return None;
            }
            Some((
                f[0].parse().ok()?,
                f[1].to_string(),
                f[2].parse().ok()?,
                f[3..].join(" "),
            ))
        })
        .collect()
}

/// The workload's unlink of `existing` shows RET 0, that of `missing` RET -2 (ENOENT).
fn assert_unlinked(finished: &Finished, pid: u32, comm: String, existing: String, missing: String) {
    let rows = rows(&finished.stdout);
    assert!(rows.contains(&(pid, comm.clone(), 0, existing)), "{rows:?}");
    assert!(rows.contains(&(pid, comm, -2, missing)), "{rows:?}");
}

fn unlink_existing_and_missing(
    mode_args: &[&str],
    tag: &str,
) -> (Finished, u32, String, String, String) {
    let comm = unique_name(tag);
    let existing = unique_path(tag);
    let missing = unique_path(&format!("{tag}m"));
    std::fs::write(&existing, b"x").unwrap();
    let mut args = vec!["-c", comm.as_str()];
    args.extend_from_slice(mode_args);
    let tracer = Tracer::start(UNLINKSNOOP, &args);
    let workload = PendingWorkload::spawn(&comm, &["unlink", &existing, &missing]);
    let pid = workload.pid();
    let said = workload.go();
    assert!(said.contains(&format!("{existing} ok")), "{said}");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    (finished, pid, comm, existing, missing)
}

#[test]
fn unlinks_show_path_and_result_using_kprobes_where_available() {
    tracer_test!();
    let (finished, pid, comm, existing, missing) = unlink_existing_and_missing(&[], "ul");
    if kernel_has_kprobes() {
        assert!(
            KPROBE_READY
                .iter()
                .any(|ready| finished.stderr.contains(ready)),
            "{}",
            finished.stderr
        );
    } else {
        assert!(
            finished.stderr.contains(TRACEPOINT_READY),
            "{}",
            finished.stderr
        );
        assert!(
            finished.stderr.contains("falling back"),
            "{}",
            finished.stderr
        );
    }
    assert_unlinked(&finished, pid, comm, existing, missing);
}

#[test]
fn tracepoint_mode_works_on_every_kernel() {
    tracer_test!();
    let (finished, pid, comm, existing, missing) =
        unlink_existing_and_missing(&["--mode", "tracepoint", "--perf-buffer"], "ut");
    assert!(
        finished.stderr.contains(TRACEPOINT_READY),
        "{}",
        finished.stderr
    );
    assert_unlinked(&finished, pid, comm, existing, missing);
}

#[test]
fn kprobe_mode_is_refused_clearly_without_kprobes() {
    tracer_test!();
    if kernel_has_kprobes() {
        report_skip(
            "unlinksnoop::kprobe_mode_is_refused_clearly_without_kprobes",
            "this kernel has kprobes",
        );
        return;
    }
    let output = run(UNLINKSNOOP, &["--mode", "kprobe", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("kernel has no kprobes (CONFIG_KPROBES)"),
        "{stderr}"
    );
}

#[test]
fn json_lines_carry_pid_comm_ret_and_path() {
    tracer_test!(any_kernel);
    let (finished, pid, comm, existing, _) = unlink_existing_and_missing(&["--json"], "uj");
    let event: serde_json::Value = finished
        .json_lines()
        .into_iter()
        .find(|e| e["path"] == existing.as_str())
        .unwrap_or_else(|| panic!("{existing} not in {}", finished.stdout));
    assert_eq!(
        (event["pid"].as_u64(), event["ret"].as_i64()),
        (Some(pid.into()), Some(0))
    );
    assert_eq!(event["comm"], comm.as_str());
}

#[test]
fn failed_flag_shows_only_the_failed_unlink() {
    tracer_test!();
    let (finished, pid, comm, existing, missing) = unlink_existing_and_missing(&["-x"], "ux");
    let rows = rows(&finished.stdout);
    assert!(rows.contains(&(pid, comm, -2, missing)), "{rows:?}");
    assert!(
        rows.iter().all(|(_, _, _, path)| *path != existing),
        "-x showed a success: {rows:?}"
    );
}

#[test]
fn a_long_path_is_whole_and_a_relative_one_in_full_with_f() {
    tracer_test!();
    let long = LongDir::created("ulong", 1500);
    let file = format!("{}/f", long.deep);
    let events = json_events_of(
        UNLINKSNOOP,
        &[],
        ("ulong", &["unlink", &file][..], || {
            std::fs::write(&file, b"x").unwrap();
        }),
        has_path(&file),
    );
    assert_eq!(event_with_path(&events, &file)["ret"], 0);

    let dir = LongDir::created("urel", 1);
    let work = ["--cwd", &dir.deep, "unlink", "rel"];
    let rel = format!("{}/rel", dir.deep);
    let events = json_events_of(
        UNLINKSNOOP,
        &["-F"],
        ("urel", &work[..], || {
            std::fs::write(&rel, b"x").unwrap();
        }),
        has_path(&rel),
    );
    assert_eq!(event_with_path(&events, &rel)["ret"], 0);
}

record_test!(unlinksnoop, |tool, stop, comm| {
    let path = unique_path("recpath");
    let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
        run_workload(&comm, &["unlink", &path]);
    });
    let _ = std::fs::remove_dir(&path);
    Shown::Event(lines, "path", path.into())
});
