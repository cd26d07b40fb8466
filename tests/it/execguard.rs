//! execguard against copies of /bin/true the test makes and runs itself (catalogue row:
//! execguard). Needs BPF LSM active (`bpf` in /sys/kernel/security/lsm): this host
//! and the vmtest guests (booted with lsm=...,bpf) have it.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::process::Output;

use crate::helpers::*;

const EXECGUARD: &str = env!("CARGO_BIN_EXE_execguard");
const WORKLOAD: &str = env!("CARGO_BIN_EXE_workload");

/// A directory of the test's own with a copy of /bin/true in it, a hard link to the
/// copy and a symlink to it.
struct Binaries {
    dir: String,
    copy: String,
    link: String,
    symlink: String,
}

impl Binaries {
    fn new(tag: &str) -> Binaries {
        let dir = unique_path(tag);
        std::fs::create_dir_all(&dir).unwrap();
        let copy = format!("{dir}/true_copy");
        std::fs::copy("/bin/true", &copy).unwrap();
        let link = format!("{dir}/hard_link");
        std::fs::hard_link(&copy, &link).unwrap();
        let symlink = format!("{dir}/sym_link");
        std::os::unix::fs::symlink(&copy, &symlink).unwrap();
        Binaries {
            dir,
            copy,
            link,
            symlink,
        }
    }
}

impl Drop for Binaries {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The workload, named `comm`, tries to become `how` PATH (exec-in-place: execv;
/// fexecve: open + execveat(fd, "", AT_EMPTY_PATH)). Returns its pid and output.
fn try_exec(comm: &str, how: &str, path: &str) -> (u32, Output) {
    let child = Command::new(WORKLOAD)
        .args(["--comm", comm, how, path])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot run workload");
    let pid = child.id();
    (pid, child.wait_with_output().expect("workload wait failed"))
}

/// The exec was refused with EPERM: the workload is still itself and says so.
fn assert_refused(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("EPERM"),
        "{what} was not refused with EPERM: {output:?}"
    );
}

/// The one event of `pid`, which must name `path` with `action`.
fn assert_attempt(
    events: &[serde_json::Value],
    pid: u32,
    comm: &str,
    path: &str,
    action: &str,
    rule: &str,
) {
    let of_pid: Vec<_> = events.iter().filter(|e| e["pid"] == pid).collect();
    assert_eq!(
        of_pid.len(),
        1,
        "one attempt of pid {pid} expected: {events:?}"
    );
    let event = of_pid[0];
    assert_eq!(event["comm"], comm, "{event}");
    assert_eq!(event["path"], path, "{event}");
    assert_eq!(event["action"], action, "{event}");
    assert_eq!(event["rule"], rule, "{event}");
    assert_eq!(event["ppid"], std::process::id(), "{event}");
    assert_eq!(event["uid"], 0, "{event}");
}

#[test]
fn a_copy_its_hard_link_symlink_and_fexecve_are_refused_while_bin_true_runs() {
    tracer_test!();
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    let bins = Binaries::new("eg");
    let guard = Tracer::start(EXECGUARD, &["--json", "--deny", &bins.copy]);
    let mut attempts = Vec::new();
    for (how, path, tag) in [
        ("exec-in-place", &bins.copy, "egc"),
        ("exec-in-place", &bins.link, "egl"),
        ("exec-in-place", &bins.symlink, "egs"),
        ("fexecve", &bins.copy, "egf"),
    ] {
        let comm = unique_name(tag);
        let (pid, output) = try_exec(&comm, how, path);
        assert_refused(&output, &format!("{how} {path}"));
        attempts.push((pid, comm, path.clone()));
    }
    let true_status = Command::new("/bin/true").status().unwrap();
    assert!(
        true_status.success(),
        "/bin/true itself must run: {true_status:?}"
    );
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    for (pid, comm, path) in &attempts {
        // The path reported is the file's own: a symlink's target, a hard link's name.
        let shown = if path == &bins.symlink {
            &bins.copy
        } else {
            path
        };
        assert_attempt(&events, *pid, comm, shown, "deny", &bins.copy);
    }
    assert_eq!(events.len(), attempts.len(), "{events:?}");
}

#[test]
fn audit_reports_each_attempt_and_refuses_none() {
    tracer_test!();
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    let bins = Binaries::new("ega");
    let guard = Tracer::start(EXECGUARD, &["--audit", "--json", "--deny", &bins.copy]);
    let comm = unique_name("ega");
    let (pid, output) = try_exec(&comm, "exec-in-place", &bins.link);
    // It became the copy of /bin/true, which exits 0.
    assert!(output.status.success(), "audit refused: {output:?}");
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    assert!(
        finished.stderr.contains("audit: refusing none"),
        "{}",
        finished.stderr
    );
    let events = finished.json_lines();
    assert_attempt(&events, pid, &comm, &bins.link, "audit", &bins.copy);
}

#[test]
fn the_table_has_time_pid_ppid_uid_comm_action_path() {
    tracer_test!(any_kernel);
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    let bins = Binaries::new("egt");
    let guard = Tracer::start(EXECGUARD, &["--deny", &bins.copy]);
    let comm = unique_name("egt");
    let (pid, output) = try_exec(&comm, "exec-in-place", &bins.copy);
    assert_refused(&output, "exec of the copy");
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    let lines = finished.lines();
    assert!(
        lines[0]
            .split_whitespace()
            .eq(["TIME", "PID", "PPID", "UID", "COMM", "ACTION", "PATH"]),
        "{}",
        finished.stdout
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    let pid = pid.to_string();
    let ppid = std::process::id().to_string();
    assert_eq!(
        row[1..],
        [
            pid.as_str(),
            ppid.as_str(),
            "0",
            comm.as_str(),
            "deny",
            bins.copy.as_str()
        ],
        "{}",
        finished.stdout
    );
}

/// Every way execguard can stop leaves nothing: the copy runs again and none of its
/// programs is left (bpftool prog show / list).
#[test]
fn no_stop_leaves_the_policy_behind_sigint_sigterm_sigkill() {
    tracer_test!();
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    let bins = Binaries::new("egk");
    for (signal, name) in [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGKILL, "SIGKILL"),
    ] {
        let guard = Tracer::start(EXECGUARD, &["--deny", &bins.copy]);
        let ids = guard.prog_ids();
        let (_, output) = try_exec(&unique_name("egk"), "exec-in-place", &bins.copy);
        assert_refused(&output, &format!("exec of the copy before {name}"));
        guard.signal(signal);
        let finished = guard.wait();
        if signal == libc::SIGKILL {
            assert_eq!(finished.status.signal(), Some(libc::SIGKILL));
        } else {
            finished.assert_clean_exit();
        }
        assert_progs_gone(&ids, &format!("execguard stopped by {name}"));
        let listed = Command::new("bpftool")
            .args(["prog", "list"])
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout);
        for id in &ids {
            assert!(
                !listed
                    .lines()
                    .any(|line| line.starts_with(&format!("{id}:"))),
                "after {name}, bpftool prog list still shows program {id}:\n{listed}"
            );
        }
        let ran = Command::new(&bins.copy).status().unwrap();
        assert!(
            ran.success(),
            "after {name} the copy is still refused: {ran:?}"
        );
    }
}

/// Bad input is one line and exit status 2, before anything is loaded.
#[test]
fn bad_inputs_and_lockout_rules_exit_2() {
    let bins = Binaries::new("egb");
    let pid1_exe = std::fs::read_link("/proc/1/exe").ok();
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (vec![format!("{}/missing", bins.dir)], "No such file"),
        (vec![bins.dir.clone()], "not a regular file"),
        (vec!["/dev/null".into()], "not a regular file"),
        (vec![EXECGUARD.into()], "this tool's own binary"),
    ];
    if let Some(exe) = &pid1_exe {
        cases.push((vec![exe.display().to_string()], "PID 1"));
    }
    for (files, why) in cases {
        let mut args = vec!["--deny".to_string()];
        args.extend(files);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run(EXECGUARD, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(
            stderr.contains(why) && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    // The shell execguard was started from: its own executable is refused.
    let output = Command::new("/bin/sh")
        .args([
            "-c",
            "\"$0\" --deny \"$(readlink -f /proc/$$/exe)\"; echo \"status $?\"",
        ])
        .arg(EXECGUARD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("status 2"), "{stdout} {stderr}");
    assert!(stderr.contains("which this tool runs under"), "{stderr}");
    // The login shell too ($SHELL), unless --allow-lockout says otherwise.
    let output = Command::new(EXECGUARD)
        .args(["--deny", &bins.copy])
        .env("SHELL", &bins.copy)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-lockout"));
}

#[test]
fn allow_lockout_lets_a_critical_rule_through() {
    tracer_test!(any_kernel);
    if !bpf_lsm_active(&test_name()) {
        return;
    }
    let bins = Binaries::new("egf");
    let guard = Tracer::start_with_env(
        EXECGUARD,
        &["--allow-lockout", "--deny", &bins.copy],
        &[("SHELL", &bins.copy)],
    );
    let (_, output) = try_exec(&unique_name("egf"), "exec-in-place", &bins.copy);
    assert_refused(&output, "exec of the copy named by $SHELL");
    guard.interrupt().assert_clean_exit();
}
