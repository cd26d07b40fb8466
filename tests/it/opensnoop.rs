//! opensnoop against opens the test itself causes (catalogue row: opensnoop).

use crate::helpers::*;

const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
/// Every tool in one binary: what make install, make deb and make static ship.
const MULTI_CALL: &str = env!("CARGO_BIN_EXE_ebpf-tracers");

/// One table row: PID COMM FD ERR PATH.
#[derive(Debug, PartialEq)]
struct Row {
    pid: u32,
    comm: String,
    fd: i32,
    err: i32,
    path: String,
}

fn rows(stdout: &str) -> Vec<Row> {
    stdout
        .lines()
        .skip_while(|line| !line.starts_with("PID"))
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 5 {
                return None;
            }
            Some(Row {
                pid: fields[0].parse().ok()?,
                comm: fields[1].to_string(),
                fd: fields[2].parse().ok()?,
                err: fields[3].parse().ok()?,
                path: fields[4..].join(" "),
            })
        })
        .collect()
}

fn row_for<'a>(rows: &'a [Row], path: &str) -> Option<&'a Row> {
    rows.iter().find(|row| row.path == path)
}

/// An existing file (removed with its guard, passed or panicked) and a path that does
/// not exist, both unique to the test.
fn existing_and_missing(tag: &str) -> (Scratch, String) {
    (Scratch::file(tag, b"x"), unique_path(&format!("{tag}m")))
}

/// Runs opensnoop with `args` while a workload named `comm` opens `paths`; returns the
/// workload's pid and the table rows the tool printed.
fn trace_opens(args: &[&str], comm: &str, paths: &[&str]) -> (u32, Vec<Row>) {
    let (pid, finished) = trace_opens_raw(args, comm, paths);
    (pid, rows(&finished.stdout))
}

fn trace_opens_raw(args: &[&str], comm: &str, paths: &[&str]) -> (u32, Finished) {
    trace_opens_by(OPENSNOOP, args, comm, paths)
}

/// As trace_opens_raw, with opensnoop run as `bin args`.
fn trace_opens_by(bin: &str, args: &[&str], comm: &str, paths: &[&str]) -> (u32, Finished) {
    let tracer = Tracer::start(bin, args);
    let mut workload_args = vec!["open"];
    workload_args.extend_from_slice(paths);
    let workload = PendingWorkload::spawn(comm, &workload_args);
    let pid = workload.pid();
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    (pid, finished)
}

#[test]
fn shows_existing_path_with_fd_and_missing_path_with_enoent() {
    tracer_test!();
    let (existing, missing) = existing_and_missing("os");
    let comm = unique_name("os");
    let (pid, rows) = trace_opens(&[], &comm, &[&existing, &missing]);

    let opened = row_for(&rows, &existing).expect("existing path not traced");
    assert_eq!(
        (opened.pid, opened.comm.as_str(), opened.err),
        (pid, comm.as_str(), 0)
    );
    assert!(opened.fd >= 0, "{opened:?}");
    let failed = row_for(&rows, &missing).expect("missing path not traced");
    assert_eq!(
        (failed.pid, failed.comm.as_str(), failed.fd, failed.err),
        (pid, comm.as_str(), -1, 2)
    );
}

#[test]
fn the_multi_call_binary_runs_opensnoop_by_name_and_as_first_argument() {
    tracer_test!(any_kernel);
    // As installed: a link named opensnoop-rs to the multi-call binary.
    let dir = unique_path("mcl");
    std::fs::create_dir_all(&dir).unwrap();
    let link = format!("{dir}/opensnoop-rs");
    std::os::unix::fs::symlink(MULTI_CALL, &link).unwrap();
    for (bin, first) in [(link.as_str(), None), (MULTI_CALL, Some("opensnoop"))] {
        let (existing, missing) = existing_and_missing("mc");
        let comm = unique_name("mc");
        let mut args: Vec<&str> = first.into_iter().collect();
        args.extend(["-x", "-c", &comm]);
        let (pid, finished) = trace_opens_by(bin, &args, &comm, &[&existing, &missing]);
        let rows = rows(&finished.stdout);
        let failed = row_for(&rows, &missing).expect("missing path not traced");
        assert_eq!(
            (failed.pid, failed.comm.as_str(), failed.fd, failed.err),
            (pid, comm.as_str(), -1, 2),
            "{bin} {args:?}"
        );
        assert!(
            row_for(&rows, &existing).is_none(),
            "-x let a success through: {rows:?}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failed_flag_shows_only_the_failed_open() {
    tracer_test!();
    let (existing, missing) = existing_and_missing("ox");
    let comm = unique_name("ox");
    let (_, rows) = trace_opens(&["-x", "-c", &comm], &comm, &[&existing, &missing]);

    assert_eq!(
        row_for(&rows, &missing).map(|r| (r.fd, r.err)),
        Some((-1, 2))
    );
    assert!(
        row_for(&rows, &existing).is_none(),
        "-x printed a successful open"
    );
}

#[test]
fn pid_filter_shows_that_process_only() {
    tracer_test!();
    let (existing, missing) = existing_and_missing("op");
    let comm = unique_name("op");
    let traced = PendingWorkload::spawn(&comm, &["open", &existing]);
    let other = PendingWorkload::spawn(&comm, &["open", &missing]);
    let tracer = Tracer::start(OPENSNOOP, &["-p", &traced.pid().to_string()]);
    let traced_pid = traced.pid();
    traced.go();
    other.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let rows = rows(&finished.stdout);

    assert_eq!(row_for(&rows, &existing).map(|r| r.pid), Some(traced_pid));
    assert!(
        row_for(&rows, &missing).is_none(),
        "-p let another pid through"
    );
    assert!(
        rows.iter().all(|r| r.pid == traced_pid),
        "-p let other pids through: {rows:?}"
    );
}

#[test]
fn pid_filter_on_another_process_hides_both_opens() {
    tracer_test!(any_kernel);
    let (existing, missing) = existing_and_missing("oq");
    let comm = unique_name("oq");
    // The test process itself opens neither path.
    let own_pid = std::process::id().to_string();
    let (_, rows) = trace_opens(&["-p", &own_pid], &comm, &[&existing, &missing]);

    assert!(row_for(&rows, &existing).is_none() && row_for(&rows, &missing).is_none());
}

#[test]
fn comm_filter_selects_in_the_kernel() {
    tracer_test!();
    let (existing, missing) = existing_and_missing("oc");
    let wanted = unique_name("oc");
    let unwanted = unique_name("oc");
    let tracer = Tracer::start(OPENSNOOP, &["-c", &wanted]);
    run_workload(&wanted, &["open", &existing]);
    run_workload(&unwanted, &["open", &missing]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let rows = rows(&finished.stdout);

    assert_eq!(
        row_for(&rows, &existing).map(|r| r.comm.as_str()),
        Some(wanted.as_str())
    );
    assert!(
        row_for(&rows, &missing).is_none(),
        "-c let another comm through"
    );
    assert!(rows.iter().all(|r| r.comm == wanted), "{rows:?}");
}

#[test]
fn json_lines_parse_and_carry_the_table_fields() {
    tracer_test!(any_kernel);
    let (existing, missing) = existing_and_missing("oj");
    let comm = unique_name("oj");
    let (pid, finished) = trace_opens_raw(
        &["--json", "-T", "-c", &comm],
        &comm,
        &[&existing, &missing],
    );

    let events: Vec<serde_json::Value> = finished.json_lines();
    let find = |path: &str| {
        events
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in {events:?}"))
    };
    let opened = find(&existing);
    assert_eq!(opened["pid"], pid);
    assert_eq!(opened["comm"], comm.as_str());
    assert_eq!(opened["err"], 0);
    assert!(opened["fd"].as_i64().unwrap() >= 0);
    let failed = find(&missing);
    assert_eq!(
        (failed["fd"].as_i64(), failed["err"].as_i64()),
        (Some(-1), Some(2))
    );
    assert_eq!(failed["pid"], pid);
}

#[test]
fn parent_pid_and_flag_names_on_request() {
    tracer_test!();
    let (existing, _) = existing_and_missing("op");
    let comm = unique_name("op");
    // The workload is this test's child and opens with O_RDONLY alone.
    let (pid, finished) =
        trace_opens_raw(&["--json", "-P", "-E", "-c", &comm], &comm, &[&existing]);
    let opened = finished
        .json_lines()
        .into_iter()
        .find(|event| event["path"] == existing.as_str())
        .unwrap_or_else(|| panic!("{existing} not in {}", finished.stdout));
    assert_eq!(opened["pid"], pid);
    assert_eq!(opened["ppid"], std::process::id());
    assert_eq!(opened["flag_names"], "O_RDONLY");
}

#[test]
fn perf_buffer_gives_the_same_events() {
    tracer_test!();
    // On the tracepoints and by whatever --mode auto takes (fexit in the guests).
    for mode in ["tracepoint", "auto"] {
        let (existing, missing) = existing_and_missing("of");
        let comm = unique_name("of");
        let (pid, rows) = trace_opens(
            &["--perf-buffer", "-c", &comm, "--mode", mode],
            &comm,
            &[&existing, &missing],
        );

        let opened = row_for(&rows, &existing).expect("existing path not traced");
        assert_eq!((opened.pid, opened.err), (pid, 0), "{mode}");
        assert!(opened.fd >= 0);
        let failed = row_for(&rows, &missing).expect("missing path not traced");
        assert_eq!((failed.pid, failed.fd, failed.err), (pid, -1, 2), "{mode}");
    }
}

/// The perf buffer is open before the programs attach: opens made all along while the
/// tool starts are all delivered, none lost (when it opened after attaching, an event
/// that found its CPU's slot still empty was gone: 2-4 per start at 3,000 opens a
/// second).
#[test]
fn perf_buffer_loses_nothing_while_the_tool_starts() {
    tracer_test!();
    let comm = unique_name("ops");
    let _opener = Background::spawn(&comm, &["open-paced", "5000", "/etc/hostname"]);
    for _ in 0..3 {
        let mut tracer = Tracer::start(OPENSNOOP, &["--perf-buffer", "--json", "-c", &comm]);
        // Until an open shows (a slow guest may take a while to make one).
        let seen = tracer.wait_for_line(std::time::Duration::from_secs(30), |line| {
            line.contains("\"path\":\"/etc/hostname\"")
        });
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        assert!(seen.is_some(), "no open seen:\n{}", finished.stdout);
        // Nothing dropped on the way (runs the kernel itself skipped are another
        // matter, said on a line of their own).
        assert!(
            !finished.stderr.contains("the buffer was full"),
            "{}",
            finished.stderr
        );
        // Every line is an event with the time and fields opensnoop declares.
        assert!(!finished.json_lines().is_empty());
    }
}

#[test]
fn escape_sequences_in_paths_are_printed_escaped() {
    tracer_test!(any_kernel);
    let comm = unique_name("oe");
    let base = unique_path("oe");
    let hostile = format!("{base}\x1b[31mred");
    let (_, finished) = trace_opens_raw(&["-c", &comm], &comm, &[&hostile]);

    assert!(
        finished.stdout.contains(&format!("{base}\\x1b[31mred")),
        "escaped path missing:\n{}",
        finished.stdout
    );
    assert!(!finished.stdout.contains('\x1b'), "raw ESC reached stdout");
}

/// A path that displays as another: a right-to-left override makes "...\u{202e}txt.exe"
/// show as "...exe.txt", and a zero-width space and an isolate hide in it. The table
/// shows each by its code; the JSON keeps the path exact.
#[test]
fn bidi_and_zero_width_characters_in_paths_are_shown_by_code_json_exact() {
    tracer_test!(any_kernel);
    let comm = unique_name("ob");
    let base = unique_path("ob");
    let hostile = format!("{base}\u{202e}txt.exe\u{200b}\u{2066}");
    let (_, table) = trace_opens_raw(&["-c", &comm], &comm, &[&hostile]);
    assert!(
        table
            .stdout
            .contains(&format!("{base}\\u{{202e}}txt.exe\\u{{200b}}\\u{{2066}}")),
        "the table does not show the codes:\n{}",
        table.stdout
    );
    for raw in ['\u{202e}', '\u{200b}', '\u{2066}'] {
        assert!(!table.stdout.contains(raw), "{raw:?} reached the table");
    }
    let (_, json) = trace_opens_raw(&["-c", &comm, "--json"], &comm, &[&hostile]);
    let events = json.json_lines();
    assert!(
        events.iter().any(|event| event["path"] == hostile.as_str()),
        "no JSON event with the exact path:\n{}",
        json.stdout
    );
}

#[test]
fn events_show_while_the_tool_runs_not_only_at_exit() {
    tracer_test!(any_kernel);
    // One event is far below the ring buffer's wakeup batch: it must still come out
    // within a poll timeout, not wait for the batch or the exit.
    let comm = unique_name("ol");
    let missing = unique_path("olm");
    let mut tracer = Tracer::start(OPENSNOOP, &["-c", &comm]);
    run_workload(&comm, &["open", &missing]);
    let line = tracer.wait_for_line(std::time::Duration::from_secs(10), |line| {
        line.contains(&missing)
    });
    assert!(
        line.is_some(),
        "the open of {missing} did not show within 10 s while tracing"
    );
    tracer.interrupt().assert_clean_exit();
}

#[test]
fn the_tools_own_opens_are_not_shown() {
    tracer_test!(any_kernel);
    // While it attaches, the tool itself opens tracefs files with its first programs
    // already live; those opens are its own noise, not the system's.
    let tracer = Tracer::start(OPENSNOOP, &[]);
    let own = tracer.pid();
    let (existing, _) = existing_and_missing("self");
    PendingWorkload::spawn(&unique_name("self"), &["open", &existing]).go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let rows = rows(&finished.stdout);
    assert!(
        row_for(&rows, &existing).is_some(),
        "the workload's open is missing"
    );
    assert!(
        rows.iter().all(|row| row.pid != own),
        "opensnoop showed its own opens: {rows:?}"
    );
}

#[test]
fn full_path_shows_where_a_relative_path_starts() {
    tracer_test!();
    // A directory of the test's own; resolved, since the kernel reports the real one
    // (TMPDIR may hold a symbolic link).
    let dir = unique_path("fpd");
    std::fs::create_dir(&dir).unwrap();
    let dir = std::fs::canonicalize(&dir).unwrap().display().to_string();
    let name = unique_name("fpf");
    std::fs::write(format!("{dir}/{name}"), b"x").unwrap();
    // On the tracepoints and by whatever --mode auto takes (fexit in the guests).
    for mode in ["tracepoint", "auto"] {
        let comm = unique_name("fp");
        let tracer = Tracer::start(OPENSNOOP, &["--json", "-F", "-c", &comm, "--mode", mode]);
        // Relative to the working directory, and relative to a directory fd.
        run_workload(&comm, &["--cwd", &dir, "open", &name]);
        run_workload(&comm, &["openat", &dir, &name]);
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let full = format!("{dir}/{name}");
        let shown: Vec<serde_json::Value> = finished
            .json_lines()
            .into_iter()
            .filter(|event| event["path"] == full.as_str())
            .collect();
        assert_eq!(
            shown.len(),
            2,
            "{mode}: {full} not shown twice: {}",
            finished.stdout
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn paths_up_to_path_max_are_whole_and_longer_ones_marked_cut() {
    tracer_test!();
    // 1,500 bytes, absolute: whole, as passed.
    let long = LongDir::created("olong", 1500);
    let file = format!("{}/f", long.deep);
    std::fs::write(&file, b"x").unwrap();
    let events = json_events_of(
        OPENSNOOP,
        &[],
        ("olong", &["open", &file][..], || {}),
        has_path(&file),
    );
    assert_eq!(event_with_path(&events, &file)["err"], 0);

    // With -F, a relative path whose full path passes PATH_MAX: cut at the root end,
    // marked in the path ("...") and in JSON (path_cut).
    let deep = LongDir::new("odeep", 4600);
    let work = ["--cwd", &deep.deep, "--make-cwd", "open", "f"];
    let of_f = format!("{}/f", &deep.deep[deep.deep.len() - 1000..]);
    let opens_f = |e: &serde_json::Value| e["path"].as_str().is_some_and(|p| p.ends_with(&of_f));
    let events = json_events_of(OPENSNOOP, &["-F"], ("odeep", &work[..], || {}), opens_f);
    let cut = events.iter().find(|e| opens_f(e)).unwrap();
    let path = cut["path"].as_str().unwrap();
    assert!(path.starts_with(".../") && path.len() <= 4096 + 3, "{path}");
    assert_eq!(cut["path_cut"], true, "{cut}");
    assert_eq!(cut["err"], 2, "{cut}");
}

record_test!(opensnoop, |tool, stop, comm| {
    let path = unique_path("recopen");
    let args = ["--json", "-P", "-E", "-c", &comm];
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["open", &path]);
    });
    Shown::Event(lines, "path", path.into())
});

/// In-flight opens are kept where -v says (bpf/inflight.bpf.h): in task storage, or in
/// the hash by thread id where the kernel cannot (5.10) or EBPF_TRACERS_INFLIGHT=hash
/// says so; only that map of the pair is created, and an open is traced either way.
#[test]
fn in_flight_opens_are_kept_where_it_says() {
    tracer_test!();
    const HASH: u32 = libbpf_sys::BPF_MAP_TYPE_HASH;
    const TASK_STORAGE: u32 = libbpf_sys::BPF_MAP_TYPE_TASK_STORAGE;
    for forced in [None, Some("hash")] {
        let env: Vec<(&str, &str)> = forced.map(|v| ("EBPF_TRACERS_INFLIGHT", v)).into_iter().collect();
        let comm = unique_name("oif");
        let missing = unique_path("oifm");
        let tracer = Tracer::start_with_env(
            OPENSNOOP,
            &["-v", "-x", "-c", &comm, "--mode", "tracepoint"],
            &env,
        );
        let types = crate::helpers::bpf_objects::map_types_of(tracer.pid());
        run_workload(&comm, &["open", &missing]);
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let traced = row_for(&rows(&finished.stdout), &missing).map(|row| row.err);
        assert_eq!(traced, Some(2), "{forced:?}: {}", finished.stdout);
        let said = |what: &str| finished.stderr.contains(&format!("in-flight calls kept in {what}"));
        let has = |kind: u32| types.contains(&kind);
        match (said("task storage"), said("a hash")) {
            (true, false) if forced.is_none() => {
                assert!(has(TASK_STORAGE) && !has(HASH), "{types:?}")
            }
            (false, true) => assert!(has(HASH) && !has(TASK_STORAGE), "{types:?}"),
            _ => panic!("{forced:?}: not the one choice expected:\n{}", finished.stderr),
        }
    }
}

/// Where BPF trampolines work, one fexit program on do_sys_openat2 and no in-flight map;
/// elsewhere the tracepoints, said with -v, and `--mode fexit` refused in one line.
/// The vmtest guests (Debian kernels) expect fexit (EBPF_TRACERS_EXPECT_FEXIT=1).
#[test]
fn one_fexit_program_where_trampolines_work_else_tracepoints() {
    tracer_test!();
    const TRACING: u32 = libbpf_sys::BPF_PROG_TYPE_TRACING;
    const TRACEPOINT: u32 = libbpf_sys::BPF_PROG_TYPE_TRACEPOINT;
    let (existing, missing) = existing_and_missing("ofx");
    let comm = unique_name("ofx");
    let tracer = Tracer::start(OPENSNOOP, &["-v", "-c", &comm]);
    let programs = crate::helpers::bpf_objects::prog_types_of(tracer.pid());
    let program_ids = crate::helpers::bpf_objects::prog_ids_of(tracer.pid());
    let maps = crate::helpers::bpf_objects::map_types_of(tracer.pid());
    let workload = PendingWorkload::spawn(&comm, &["open", existing.as_str(), &missing]);
    let pid = workload.pid();
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let rows = rows(&finished.stdout);
    let opened = row_for(&rows, existing.as_str()).map(|row| (row.pid, row.fd >= 0, row.err));
    let failed = row_for(&rows, &missing).map(|row| (row.pid, row.fd, row.err));
    assert_eq!((opened, failed), (Some((pid, true, 0)), Some((pid, -1, 2))), "{}", finished.stdout);
    let fexit = finished.stderr.contains("file opens via fexit do_sys_openat2");
    if std::env::var("EBPF_TRACERS_EXPECT_FEXIT").as_deref() == Ok("1") {
        assert!(fexit, "EBPF_TRACERS_EXPECT_FEXIT=1: {}", finished.stderr);
    }
    if fexit {
        assert_eq!(program_ids.len(), 1, "one program: {programs:?}");
        assert!(programs.iter().all(|&kind| kind == TRACING), "fexit: {programs:?}");
        for in_flight in [libbpf_sys::BPF_MAP_TYPE_HASH, libbpf_sys::BPF_MAP_TYPE_TASK_STORAGE] {
            assert!(!maps.contains(&in_flight), "no in-flight map: {maps:?}");
        }
        return;
    }
    assert!(
        finished.stderr.contains("falling back to tracepoints"),
        "{}",
        finished.stderr
    );
    assert!(
        !programs.is_empty() && programs.iter().all(|&kind| kind == TRACEPOINT),
        "{programs:?}"
    );
    let output = run(OPENSNOOP, &["--mode", "fexit", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--mode fexit:") && stderr.contains("use --mode tracepoint"), "{stderr}");
}
