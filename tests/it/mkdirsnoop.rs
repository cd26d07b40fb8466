//! mkdirsnoop against directories the test itself creates (catalogue row: mkdirsnoop).

use crate::helpers::*;

const MKDIRSNOOP: &str = env!("CARGO_BIN_EXE_mkdirsnoop");

/// Runs mkdirsnoop (`-c COMM` plus `args`) while a workload named COMM creates `path`
/// twice with mode 0750: the first call succeeds, the second fails with EEXIST.
fn mkdir_twice(args: &[&str], tag: &str) -> (u32, String, String, Finished) {
    let comm = unique_name(tag);
    let path = unique_path(tag);
    let mut tool_args = vec!["-c", comm.as_str()];
    tool_args.extend_from_slice(args);
    let tracer = Tracer::start(MKDIRSNOOP, &tool_args);
    let workload = PendingWorkload::spawn(&comm, &["mkdir", "750", &path, &path]);
    let pid = workload.pid();
    let said = workload.go();
    assert!(said.contains(&format!("{path} ok")), "{said}");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    std::fs::remove_dir(&path).unwrap();
    (pid, comm, path, finished)
}

/// PID COMM MODE RET PATH rows.
fn rows(stdout: &str) -> Vec<(u32, String, String, i32, String)> {
    table_cells(stdout)
        .into_iter()
        .filter_map(|f| {
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.to_string(),
                f.get(2)?.to_string(),
                f.get(3)?.parse().ok()?,
                f.get(4..)?.join(" "),
            ))
        })
        .collect()
}

#[test]
fn a_new_directory_shows_its_mode_and_ret_0_and_a_second_one_eexist() {
    tracer_test!();
    let (pid, comm, path, finished) = mkdir_twice(&[], "md");
    let rows = rows(&finished.stdout);
    let mode = "0750".to_string();
    assert!(
        rows.contains(&(pid, comm.clone(), mode.clone(), 0, path.clone())),
        "{rows:?}"
    );
    assert!(rows.contains(&(pid, comm, mode, -17, path)), "{rows:?}");
}

#[test]
fn failed_flag_shows_only_the_failed_mkdir() {
    tracer_test!();
    let (_, _, path, finished) = mkdir_twice(&["-x"], "mx");
    let rets: Vec<i32> = rows(&finished.stdout)
        .into_iter()
        .filter(|row| row.4 == path)
        .map(|row| row.3)
        .collect();
    assert_eq!(rets, [-17], "{}", finished.stdout);
}

#[test]
fn json_lines_carry_the_mode_as_a_number() {
    tracer_test!(any_kernel);
    let (pid, comm, path, finished) = mkdir_twice(&["--json", "-U"], "mj");
    let created = finished
        .json_lines()
        .into_iter()
        .find(|event| event["path"] == path.as_str() && event["ret"] == 0)
        .unwrap_or_else(|| panic!("{path} not in {}", finished.stdout));
    assert_eq!(created["mode"], 0o750);
    assert_eq!(created["pid"], pid);
    assert_eq!(created["comm"], comm.as_str());
    assert_eq!(created["uid"], nix::unistd::getuid().as_raw());
}

#[test]
fn a_long_path_is_whole_and_a_relative_one_in_full_with_f() {
    tracer_test!();
    let long = LongDir::created("mlong", 1500);
    let made = format!("{}/new", long.deep);
    let events = json_events_of(
        MKDIRSNOOP,
        &[],
        ("mlong", &["mkdir", "750", &made][..], || {
            let _ = std::fs::remove_dir(&made);
        }),
        has_path(&made),
    );
    assert_eq!(event_with_path(&events, &made)["ret"], 0);

    let dir = LongDir::created("mrel", 1);
    let work = ["--cwd", &dir.deep, "mkdir", "700", "rel"];
    let rel = format!("{}/rel", dir.deep);
    let events = json_events_of(
        MKDIRSNOOP,
        &["-F"],
        ("mrel", &work[..], || {
            let _ = std::fs::remove_dir(&rel);
        }),
        has_path(&rel),
    );
    let event = event_with_path(&events, &rel);
    assert_eq!(
        (event["ret"].as_i64(), event["mode"].as_u64()),
        (Some(0), Some(0o700))
    );
}

record_test!(mkdirsnoop, |tool, stop, comm| {
    let path = unique_path("recpath");
    let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
        run_workload(&comm, &["mkdir", "750", &path]);
    });
    let _ = std::fs::remove_dir(&path);
    Shown::Event(lines, "path", path.into())
});
