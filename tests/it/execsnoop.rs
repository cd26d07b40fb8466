//! execsnoop against executions the test itself causes (catalogue row: execsnoop).

use crate::helpers::*;
use serde_json::Value;

const EXECSNOOP: &str = env!("CARGO_BIN_EXE_execsnoop");

/// The name the kernel gives a program: its file name, cut to 15 bytes.
fn comm_of(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.chars().take(15).collect()
}

/// Runs execsnoop (`--json -c COMM` plus `args`) while a workload named COMM runs
/// `workload`; returns the workload's pid and the JSON events printed.
fn trace_execs(args: &[&str], workload: &[&str]) -> (u32, Vec<Value>, Finished) {
    let comm = unique_name("xs");
    let mut tool_args = vec!["--json", "-c", comm.as_str()];
    tool_args.extend_from_slice(args);
    let tracer = Tracer::start(EXECSNOOP, &tool_args);
    let pending = PendingWorkload::spawn(&comm, workload);
    let pid = pending.pid();
    pending.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    (pid, events, finished)
}

fn event_running<'a>(events: &'a [Value], path: &str) -> Option<&'a Value> {
    events.iter().find(|event| event["args"][0] == path)
}

#[test]
fn a_success_shows_the_new_program_its_arguments_and_ret_0() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xt"));
    let marker = unique_name("arg");
    let (pid, events, _) = trace_execs(&[], &["exec", "1", &binary, &marker, "two words"]);
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(
        ran["args"],
        serde_json::json!([binary, marker, "two words"])
    );
    assert_eq!(ran["ret"], 0);
    assert_eq!(ran["comm"], comm_of(&binary).as_str());
    // The workload forks a child that calls execve: the child's parent is the workload.
    assert_eq!(ran["ppid"], pid);
    assert_eq!(ran["args_cut"], 0);
}

#[test]
fn a_failure_shows_the_caller_and_ret_minus_errno() {
    tracer_test!();
    let missing = unique_path("xf");
    let (pid, events, _) = trace_execs(&[], &["exec", "2", &missing]);
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["args"][0] == missing.as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{events:?}");
    for event in failed {
        assert_eq!(event["ret"], -2);
        assert_eq!(event["ppid"], pid);
    }
}

/// The most ordinary exec there is: fork, and in the child `execl("/path", "name",
/// "arg", NULL)` with string literals (a page the child never touched, so a no-fault
/// read at the syscall's entry fails), and the same by fexecve of a descriptor opened
/// before the fork, and of a missing path: every exec is shown with its path and every
/// argument.
#[test]
fn execs_of_literals_from_a_forked_child_are_seen_whole() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xl"));
    let real = std::fs::canonicalize(&binary).unwrap();
    let real = real.to_str().unwrap();
    let missing = unique_path("xlm");
    let comm = unique_name("xs");
    let tracer = Tracer::start(EXECSNOOP, &["--json", "-c", &comm]);
    let literals = |extra: &[&str]| {
        let mut args = vec!["fork-exec-literals"];
        args.extend_from_slice(extra);
        run_workload(&comm, &args);
    };
    literals(&["3", &binary, "argv0", "a1", "two words"]);
    literals(&["--fexecve", "3", &binary, "argv0", "b1"]);
    literals(&["2", &missing, "argv0", "m1"]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    let with = |args: serde_json::Value, ret: i64| -> usize {
        events
            .iter()
            .filter(|event| event["args"] == args && event["ret"] == ret)
            .filter(|event| event.get("args_unreadable").is_none())
            .count()
    };
    let execl = serde_json::json!([binary, "a1", "two words"]);
    let fexecve = serde_json::json!([real, "b1"]);
    let failed = serde_json::json!([missing, "m1"]);
    // All, or short by no more than the runs the tool says the kernel skipped.
    let seen = [with(execl, 0), with(fexecve, 0), with(failed, -2)];
    let short: usize = seen
        .iter()
        .zip([3, 3, 2])
        .map(|(&n, want)| want - n.min(want))
        .sum();
    assert!(
        seen.iter().zip([3, 3, 2]).all(|(&n, want)| n <= want)
            && short as u64 <= finished.skipped_runs_said(),
        "{seen:?} of (3, 3, 2): {events:?} {}",
        finished.stderr
    );
}

#[test]
fn failed_flag_shows_only_the_failures() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xx"));
    let missing = unique_path("xxm");
    let comm = unique_name("xs");
    let tracer = Tracer::start(EXECSNOOP, &["--json", "-x", "-c", &comm]);
    run_workload(&comm, &["exec", "1", &binary]);
    // A literal missing path from a forked child: the name is read at the exit.
    run_workload(&comm, &["fork-exec-literals", "1", &missing, "argv0"]);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    assert!(event_running(&events, &missing).is_some(), "{events:?}");
    assert!(
        event_running(&events, &binary).is_none(),
        "-x showed a success: {events:?}"
    );
}

#[test]
fn an_exec_from_a_non_leader_thread_is_shown() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xn"));
    let (pid, events, _) = trace_execs(&[], &["exec-from-thread", &binary]);
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(ran["ret"], 0);
    // The process keeps its id; the thread that called execve takes it over.
    assert_eq!(ran["pid"], pid);
    assert_eq!(ran["tid"], pid);
}

#[test]
fn max_args_keeps_the_first_arguments_and_says_more_were_cut() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xa"));
    let (_, events, _) = trace_execs(
        &["--max-args", "3"],
        &["exec", "1", &binary, "a1", "a2", "a3", "a4"],
    );
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(ran["args"], serde_json::json!([binary, "a1", "a2"]));
    assert_eq!(ran["args_cut"], 1);
}

#[test]
fn the_table_has_the_bcc_columns() {
    tracer_test!(any_kernel);
    let binary = unique_copy_of("/bin/true", &unique_name("xb"));
    let comm = unique_name("xs");
    let tracer = Tracer::start(EXECSNOOP, &["-c", &comm, "-q"]);
    let pending = PendingWorkload::spawn(&comm, &["exec", "1", &binary, "x y"]);
    let pid = pending.pid();
    pending.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let lines = finished.lines();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["PCOMM", "PID", "PPID", "RET", "ARGS"]);
    let row: Vec<&str> = lines
        .iter()
        .find(|line| line.contains(binary.as_str()))
        .unwrap_or_else(|| panic!("{lines:?}"))
        .split_whitespace()
        .collect();
    assert_eq!(row[0], comm_of(&binary));
    assert_eq!(row[2], pid.to_string());
    assert_eq!(row[3], "0");
    assert_eq!(row[4..].join(" "), format!("\"{binary}\" \"x y\""));
}

#[test]
fn ksyscall_reads_the_arguments_from_a_kprobe_or_is_refused_clearly() {
    tracer_test!();
    if !kernel_has_kprobes() {
        let output = run(EXECSNOOP, &["--ksyscall", "-d", "1"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("--ksyscall: kernel has no kprobes"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        return;
    }
    let binary = unique_copy_of("/bin/true", &unique_name("xk"));
    let marker = unique_name("karg");
    let (_, events, finished) = trace_execs(&["--ksyscall"], &["exec", "1", &binary, &marker]);
    assert!(
        finished.stderr.contains("execveat via ksyscall"),
        "{}",
        finished.stderr
    );
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(ran["args"], serde_json::json!([binary, marker]));
    assert_eq!(ran["ret"], 0);
}

#[test]
fn fexecve_and_a_dirfd_relative_execveat_show_the_file_that_ran() {
    tracer_test!();
    let binary = unique_copy_of("/bin/true", &unique_name("xf"));
    let (dir, name) = binary.rsplit_once('/').unwrap();
    let marker = unique_name("arg");
    // fexecve(3): execveat(fd, "", AT_EMPTY_PATH), by the workload itself.
    let (pid, events, _) = trace_execs(&[], &["fexecve", &binary, &marker]);
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(ran["args"], serde_json::json!([binary, marker]));
    assert_eq!(
        (ran["ret"].as_i64(), ran["pid"].as_u64()),
        (Some(0), Some(pid.into()))
    );
    // The kernel names the new program after the file; older kernels (5.10) after the
    // "/dev/fd/N" it makes up for it: the descriptor's number.
    let comm = ran["comm"].as_str().unwrap();
    assert!(
        comm == comm_of(&binary) || comm.parse::<u32>().is_ok(),
        "{ran}"
    );
    // execveat(dirfd, NAME): named in full, from the directory the descriptor holds.
    let (pid, events, _) = trace_execs(&[], &["execveat", dir, name, &marker]);
    let ran = event_running(&events, &binary).unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(ran["args"], serde_json::json!([binary, marker]));
    assert_eq!(
        (ran["ret"].as_i64(), ran["pid"].as_u64()),
        (Some(0), Some(pid.into()))
    );
}

record_test!(execsnoop, |tool, stop, comm| {
    let marker = unique_name("recarg");
    let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
        run_workload(&comm, &["exec", "1", "/bin/true", &marker]);
    });
    Shown::Event(lines, "args", serde_json::json!(["/bin/true", marker]))
});
