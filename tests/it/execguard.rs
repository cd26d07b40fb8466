//! execguard against copies of /bin/true the test makes and runs itself (catalogue row:
//! execguard). Needs BPF LSM active (`bpf` in /sys/kernel/security/lsm): this host
//! and the vmtest guests (booted with lsm=...,bpf) have it.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::process::Output;

use crate::helpers::*;

const EXECGUARD: &str = env!("CARGO_BIN_EXE_execguard");
const WORKLOAD: &str = env!("CARGO_BIN_EXE_workload");
/// The dynamic loader of x86_64 programs.
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// tracer_test!(...), then the test returns (skipped, saying why) where BPF LSM is not
/// active.
macro_rules! lsm_test {
    ($($scope:tt)*) => {
        tracer_test!($($scope)*);
        if !bpf_lsm_active(&test_name()) {
            return;
        }
    };
}

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

/// A cgroup of the test's own and Binaries (None: the test is skipped, as said).
fn with_a_cgroup(tag: &str) -> Option<(crate::helpers::cgroups::DockerCgroup, Binaries)> {
    let cgroup = crate::helpers::cgroups::DockerCgroup::create(&test_name())?;
    Some((cgroup, Binaries::new(tag)))
}

/// `command` spawned with its stdin, stdout and stderr piped, once its first line is
/// `first` (else the test fails with `what`); its stdout, to read the rest.
fn started(
    command: &mut Command,
    first: &str,
    what: &str,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line.trim_end(), first, "{what}");
    (child, stdout)
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
    lsm_test!();
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
    lsm_test!();
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
fn the_table_has_time_pid_ppid_uid_comm_action_route_path() {
    lsm_test!(any_kernel);
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
            .eq(["TIME", "PID", "PPID", "UID", "COMM", "ACTION", "ROUTE", "PATH"]),
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
            "exec",
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
    lsm_test!();
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
    // An allowlist for the whole host, or for a cgroup this tool is in: a lockout.
    let mut allowlists = vec![(vec!["--allow", "/bin/true"], "without --cgroup")];
    let mount = ebpf_tracers::model::cgroup::cgroup2_mount();
    let mount = mount.as_ref().and_then(|mount| mount.to_str());
    if let Some(mount) = mount {
        let args = vec!["--allow", "/bin/true", "--cgroup", mount];
        allowlists.push((args, "it holds this tool"));
    }
    for (args, why) in allowlists {
        let output = run(EXECGUARD, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(
            stderr.contains(why) && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    // --allow and --deny are two policies: not both at once; and more usage errors.
    for args in [
        &["--allow", "/bin/true", "--deny", "/bin/ls"][..],
        &["--deny-fileless", "--allow-libraries"],
        // A filter narrower than the cgroup: a fork or a setuid would step outside.
        &["--allow", "/bin/true", "-u", "0"],
    ] {
        let output = run(EXECGUARD, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert_eq!(
            output.stderr.split(|&b| b == b'\n').count(),
            2,
            "{output:?}"
        );
    }
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
    lsm_test!(any_kernel);
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

/// The routes around exec: the dynamic loader run on the file (`ld.so FILE`), a
/// PROT_EXEC map of it, a PROT_READ map made executable (mprotect), and a new file put
/// at its path, written then renamed over it (as dpkg does) or moved there by `mv`:
/// each refused and reported once, with its route. Reading it stays allowed, and
/// /bin/true runs.
#[test]
fn the_loader_executable_maps_and_a_file_renamed_over_are_refused() {
    lsm_test!();
    let bins = Binaries::new("egr");
    let guard = Tracer::start(EXECGUARD, &["--json", "--deny", &bins.copy]);
    // (pid, route, matched) of each attempt.
    let mut attempts: Vec<(u32, &str, &str)> = Vec::new();
    if std::path::Path::new(LOADER).exists() {
        let child = Command::new(LOADER)
            .arg(&bins.copy)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let loader = child.wait_with_output().unwrap();
        assert!(!loader.status.success(), "{LOADER} ran it: {loader:?}");
        attempts.push((pid, "mmap", "file"));
    }
    for (flags, route) in [(vec![], "mmap"), (vec!["--mprotect"], "mprotect")] {
        let mut args = vec!["--comm", "egmap", "map-exec"];
        args.extend(flags);
        args.push(&bins.copy);
        let child = Command::new(WORKLOAD)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // Read, yes; executable, no (EPERM).
        assert_eq!(stdout, "read-mapped\nerrno 1\n", "{route}: {output:?}");
        attempts.push((pid, route, "file"));
    }
    // A new file written beside it and renamed over it, then one moved there by mv.
    // Files are written by cp, not here: a file this process held open for writing
    // could be inherited by another test's fork for a moment, and exec then fails with
    // ETXTBSY instead.
    let cp = |to: &str| {
        assert!(Command::new("cp")
            .args(["/bin/true", to])
            .status()
            .unwrap()
            .success())
    };
    let fresh = format!("{}/fresh", bins.dir);
    cp(&fresh);
    std::fs::rename(&fresh, &bins.copy).unwrap();
    let (pid, output) = try_exec(&unique_name("egw"), "exec-in-place", &bins.copy);
    assert_refused(&output, "the file renamed over the denied path");
    attempts.push((pid, "exec", "path"));
    let elsewhere = unique_path("egm");
    cp(&elsewhere);
    let moved = Command::new("mv")
        .args([&elsewhere, &bins.copy])
        .status()
        .unwrap();
    assert!(moved.success());
    let (pid, output) = try_exec(&unique_name("egv"), "exec-in-place", &bins.copy);
    assert_refused(&output, "the file moved over the denied path by mv");
    attempts.push((pid, "exec", "path"));
    assert!(Command::new("/bin/true").status().unwrap().success());
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    for (pid, route, matched) in &attempts {
        let of_pid: Vec<_> = events.iter().filter(|e| e["pid"] == *pid).collect();
        assert_eq!(
            of_pid.len(),
            1,
            "{route}: one report of pid {pid}: {events:?}"
        );
        assert_eq!(of_pid[0]["route"], *route, "{}", of_pid[0]);
        assert_eq!(of_pid[0]["matched"], *matched, "{}", of_pid[0]);
        assert_eq!(of_pid[0]["action"], "deny", "{}", of_pid[0]);
        assert_eq!(of_pid[0]["path"], bins.copy.as_str(), "{}", of_pid[0]);
    }
    assert_eq!(events.len(), attempts.len(), "{events:?}");
}

/// --deny-fileless: a memfd holding /bin/true's bytes, run by fexecve, is refused and
/// reported with the memfd's name; without the flag the same runs.
#[test]
fn deny_fileless_refuses_a_memfd_copy() {
    lsm_test!();
    let run_copy = |comm: &str| try_exec(comm, "memfd-exec", "/bin/true");
    let (_, output) = run_copy(&unique_name("egn"));
    assert!(output.status.success(), "without execguard: {output:?}");
    let guard = Tracer::start(EXECGUARD, &["--json", "--deny-fileless"]);
    let comm = unique_name("egn");
    let (pid, output) = run_copy(&comm);
    assert_refused(&output, "fexecve of a memfd copy of /bin/true");
    assert!(Command::new("/bin/true").status().unwrap().success());
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    let events = finished.json_lines();
    let of_pid: Vec<_> = events.iter().filter(|e| e["pid"] == pid).collect();
    assert_eq!(of_pid.len(), 1, "{events:?}");
    let event = of_pid[0];
    assert_eq!(event["route"], "exec", "{event}");
    assert_eq!(event["matched"], "fileless", "{event}");
    assert_eq!(event["rule"], "--deny-fileless", "{event}");
    assert_eq!(event["comm"], comm.as_str(), "{event}");
    assert!(
        event["path"]
            .as_str()
            .is_some_and(|p| p.contains("memfd:workload-copy")),
        "{event}"
    );
}

/// A file that gets the inode number of the deleted denied file is another file (its
/// generation differs, on ext4, which reuses numbers): it runs. On a loop-mounted ext4
/// image the test makes.
#[test]
fn a_reused_inode_number_is_not_the_denied_file() {
    lsm_test!();
    let fs = match Ext4Image::mount(&unique_path("egi")) {
        Ok(fs) => fs,
        Err(why) => {
            let why = format!("no ext4 on a loop device here: {why}");
            // Every machine of CI's, and every guest, has loop devices and ext4.
            if std::env::var("EBPF_TRACERS_REQUIRE_ROOT").as_deref() == Ok("1") {
                panic!("{why}, and EBPF_TRACERS_REQUIRE_ROOT=1");
            }
            report_skip(&test_name(), &why);
            return;
        }
    };
    let first = format!("{}/d1/true_a", fs.mount);
    std::fs::create_dir_all(format!("{}/d1", fs.mount)).unwrap();
    std::fs::create_dir_all(format!("{}/d2", fs.mount)).unwrap();
    let cp = |to: &str| {
        assert!(Command::new("cp")
            .args(["/bin/true", to])
            .status()
            .unwrap()
            .success())
    };
    cp(&first);
    let ino = std::fs::metadata(&first).unwrap().ino();
    let guard = Tracer::start(EXECGUARD, &["--json", "--deny", &first]);
    let (_, output) = try_exec(&unique_name("egi"), "exec-in-place", &first);
    assert_refused(&output, "the denied file on ext4");
    std::fs::remove_file(&first).unwrap();
    // Another directory, so that only the inode number could match.
    let second = format!("{}/d2/true_b", fs.mount);
    cp(&second);
    let reused = std::fs::metadata(&second).unwrap().ino();
    let (_, output) = try_exec(&unique_name("egj"), "exec-in-place", &second);
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    assert_eq!(
        reused, ino,
        "ext4 did not reuse the inode number: nothing was proven"
    );
    assert!(
        output.status.success(),
        "the file with the reused number was refused: {output:?}"
    );
    assert_eq!(finished.json_lines().len(), 1, "{}", finished.stdout);
}

/// A small ext4 file system on a loop device, mounted at `mount`; all undone on drop.
struct Ext4Image {
    image: String,
    device: String,
    mount: String,
}

impl Ext4Image {
    /// The file system, or why it could not be made (the step that failed).
    fn mount(base: &str) -> Result<Ext4Image, String> {
        let image = format!("{base}.img");
        let mount = format!("{base}.mnt");
        let file = std::fs::File::create(&image).map_err(|err| format!("{image}: {err}"))?;
        file.set_len(16 << 20)
            .map_err(|err| format!("{image}: {err}"))?;
        drop(file);
        let step = |program: &str, args: &[&str]| -> Result<String, String> {
            let output = Command::new(program)
                .args(args)
                .output()
                .map_err(|err| format!("{program}: {err}"))?;
            match output.status.success() {
                true => Ok(String::from_utf8_lossy(&output.stdout).trim().to_string()),
                false => Err(format!(
                    "{program} {args:?}: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )),
            }
        };
        if let Err(why) = step("mkfs.ext4", &["-q", "-F", &image]) {
            let _ = std::fs::remove_file(&image);
            return Err(why);
        }
        let device = match step("losetup", &["-f", "--show", &image]) {
            Ok(device) => device,
            Err(why) => {
                let _ = std::fs::remove_file(&image);
                return Err(why);
            }
        };
        std::fs::create_dir_all(&mount).map_err(|err| format!("{mount}: {err}"))?;
        let fs = Ext4Image {
            image,
            device,
            mount,
        };
        // The device's node appears in devtmpfs after losetup has returned (the
        // kernel's kdevtmpfs thread makes it): under TCG, seconds later.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !std::path::Path::new(&fs.device).exists() {
            if std::time::Instant::now() > deadline {
                return Err(format!("{}: no device node 20 s after losetup", fs.device));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        step("mount", &["-t", "ext4", &fs.device, &fs.mount])?;
        Ok(fs)
    }
}

impl Drop for Ext4Image {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
        let _ = Command::new("losetup").args(["-d", &self.device]).status();
        let _ = std::fs::remove_dir(&self.mount);
        let _ = std::fs::remove_file(&self.image);
    }
}

/// With --cgroup, a rule's path is resolved where the cgroup's processes see files: a
/// process in a mount namespace of its own (unshare -m), whose /bin/sh is a bind mount
/// of a copy of /bin/true. `--cgroup C --deny /bin/sh` refuses that copy there, while
/// the host's /bin/sh, run inside the same cgroup, runs.
#[test]
fn with_cgroup_a_rule_names_the_file_its_processes_see() {
    lsm_test!();
    let Some((cgroup, bins)) = with_a_cgroup("egns") else {
        return;
    };
    let procs = cgroup.dir.join("cgroup.procs");
    let procs = procs.to_str().unwrap();
    // In its own mount namespace: the copy over /bin/sh, into the cgroup, then wait.
    let script = format!(
        "mount --bind {copy} /bin/sh && echo $$ > {procs} && echo ready && read go && \
         exec /bin/sh -c true",
        copy = bins.copy
    );
    let (mut inside, _stdout) = started(
        Command::new("unshare").args(["-m", "--propagation", "private", "/bin/sh", "-c", &script]),
        "ready",
        "the namespaced process did not start",
    );
    let guard = Tracer::start(
        EXECGUARD,
        &["--json", "--cgroup", cgroup.dir_arg(), "--deny", "/bin/sh"],
    );
    // The host's /bin/sh, in the same cgroup: not the file the rule names.
    let host = Command::new("/bin/sh")
        .args([
            "-c",
            &format!("echo $$ > {procs} && exec /bin/sh -c 'exit 7'"),
        ])
        .status()
        .unwrap();
    assert_eq!(
        host.code(),
        Some(7),
        "the host's /bin/sh was refused in the cgroup"
    );
    let pid = inside.id();
    std::io::Write::write_all(inside.stdin.as_mut().unwrap(), b"go\n").unwrap();
    let output = inside.wait_with_output().unwrap();
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    assert!(
        !output.status.success(),
        "the namespace's /bin/sh ran: {output:?}"
    );
    let events = finished.json_lines();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["route"], "exec", "{}", events[0]);
    assert_eq!(events[0]["matched"], "file", "{}", events[0]);
    assert_eq!(events[0]["action"], "deny", "{}", events[0]);
    // unshare execs the shell in place: the same process.
    assert_eq!(events[0]["pid"], pid, "{}", events[0]);
}

/// `--allow /bin/true --allow-libraries --cgroup C`: inside C, /bin/true runs (its
/// loader and libc allowed with it), while /bin/ls and a copy of /bin/true are refused
/// and reported as unlisted, the copy run through the allowed loader too (route mmap);
/// outside C both run.
#[test]
fn an_allowlist_runs_only_its_files_in_the_cgroup() {
    lsm_test!();
    let Some((cgroup, bins)) = with_a_cgroup("egal") else {
        return;
    };
    let procs = cgroup.dir.join("cgroup.procs");
    // A shell in the cgroup before execguard starts (the rules' root is a member's);
    // after "go", each command's status on a line of its own.
    let script = format!(
        "echo $$ > {procs} && echo ready && read go && /bin/true; echo true=$?; \
         /bin/ls / >/dev/null 2>&1; echo ls=$?; {copy}; echo copy=$?; \
         {loader} {copy} 2>/dev/null; echo loader=$?",
        procs = procs.display(),
        copy = bins.copy,
        loader = LOADER,
    );
    let (mut inside, mut stdout) = started(
        Command::new("/bin/sh").args(["-c", &script]),
        "ready",
        "the shell in the cgroup did not start",
    );
    let guard = Tracer::start(
        EXECGUARD,
        &[
            "--json",
            "--cgroup",
            cgroup.dir_arg(),
            "--allow",
            "/bin/true",
            "--allow-libraries",
        ],
    );
    assert!(
        guard.ready_line().contains("any file but"),
        "{}",
        guard.ready_line()
    );
    // Outside the cgroup everything runs.
    for program in ["/bin/ls", bins.copy.as_str()] {
        let status = Command::new(program)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{program} outside the cgroup: {status:?}");
    }
    std::io::Write::write_all(inside.stdin.as_mut().unwrap(), b"go\n").unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut said).unwrap();
    let status = inside.wait().unwrap();
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    assert!(status.success(), "{status:?}: {said}");
    // 126: the shell could not execute the file (EPERM); the loader fails too.
    assert!(
        said.starts_with("true=0\nls=126\ncopy=126\nloader=") && !said.contains("loader=0"),
        "{said}"
    );
    let events = finished.json_lines();
    let ls = std::fs::canonicalize("/bin/ls").unwrap();
    let mut refused: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| Some((e["path"].as_str()?, e["route"].as_str()?)))
        .collect();
    refused.sort_unstable();
    let mut wanted = vec![
        (ls.to_str().unwrap(), "exec"),
        (bins.copy.as_str(), "exec"),
        (bins.copy.as_str(), "mmap"),
    ];
    wanted.sort_unstable();
    assert_eq!(refused, wanted, "{events:?}");
    for event in &events {
        assert_eq!(event["action"], "deny", "{event}");
        assert_eq!(
            (&event["rule"], &event["matched"]),
            (&"--allow".into(), &"unlisted".into()),
            "{event}"
        );
    }
}

/// No window after the readiness line: a storm of runs of the denied file, started
/// before execguard and going on through its start, has not one run succeed once the
/// line is out (each run decides its side of the line before it forks), and every
/// refused run, before the line or after it, is reported. (That the maps are filled
/// before attach, kernel::load_then, is not told apart here from a fill just after
/// attach: both refuse everything after the line.)
#[test]
fn rules_are_in_place_before_the_programs_attach() {
    lsm_test!();
    let bins = Binaries::new("egst");
    let (mut storm, mut stdout) = started(
        Command::new(WORKLOAD).args(["exec-storm", "50", &bins.copy]),
        "running",
        "the storm did not start",
    );
    let guard = Tracer::start(EXECGUARD, &["--json", "--deny", &bins.copy]);
    std::io::Write::write_all(storm.stdin.as_mut().unwrap(), b"mark\n").unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut said).unwrap();
    let output = storm.wait_with_output().unwrap();
    let finished = guard.interrupt();
    finished.assert_clean_exit();
    assert!(output.status.success(), "{output:?} {said}");
    let counts: Vec<u32> = said
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    let [ran_before, refused_before, ran_after, refused_after] = counts[..] else {
        panic!("the storm said {said:?}");
    };
    assert!(ran_before > 0, "no run before execguard started: {said}");
    assert_eq!((ran_after, refused_after), (0, 50), "{said}");
    let reported = finished
        .json_lines()
        .iter()
        .filter(|event| event["path"] == bins.copy.as_str())
        .count();
    assert_eq!(
        reported as u32,
        refused_before + refused_after,
        "{said}: {}",
        finished.stdout
    );
}

record_test!(execguard, |tool, stop, comm| {
    // bpf_lsm_active says itself, loudly, when the test is skipped.
    if !bpf_lsm_active(&test_name()) {
        return Shown::SkipSaid;
    }
    let copy = unique_copy_of("/bin/true", "true");
    let args = ["--audit", "--json", "-c", &comm, "--deny", &copy];
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["exec", "1", &copy]);
    });
    Shown::Event(lines, "path", copy.as_str().into())
});
