//! syscount against calls the test itself makes: a workload that calls getpid M times
//! and opens N missing paths (N failing openat), counted exactly, beside bcc's C tool.

use std::io::BufRead;
use std::io::BufReader;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::metrics::sample;
use crate::helpers::metrics::scrape_until;
use crate::helpers::metrics::served_port;
use crate::helpers::*;
use crate::records::json_while;
use crate::records::Shown;
use crate::records::COUNTING;

const SYSCOUNT: &str = env!("CARGO_BIN_EXE_syscount");
/// Debian's libbpf-tools syscount (scripts/install-deps.sh installs it on the host).
const C_SYSCOUNT: &str = "/usr/sbin/syscount";
const GETPIDS: u64 = 5;
const FAILED_OPENS: u64 = 7;

/// A workload that, once told to go, calls getpid GETPIDS times and opens
/// FAILED_OPENS paths that do not exist.
fn pending_calls(comm: &str) -> PendingWorkload {
    let missing: Vec<String> = (0..FAILED_OPENS)
        .map(|i| unique_path(&format!("scm{i}")))
        .collect();
    let count = GETPIDS.to_string();
    let mut args = vec!["getpid", count.as_str()];
    args.extend(missing.iter().map(String::as_str));
    PendingWorkload::spawn(comm, &args)
}

/// The count of the row whose `key` is `value`; 0 when there is none.
fn count_for(report: &Value, key: &str, value: &str) -> u64 {
    let rows = report_rows(report, key, value);
    assert!(rows.len() <= 1, "{value} twice: {report}");
    rows.first().map_or(0, |row| count_of(row))
}

/// Its total report with `args` and -p, the workload run while it traces.
fn total_for_workload(args: &[&str]) -> Value {
    let workload = pending_calls(&unique_name("sc"));
    let pid = workload.pid().to_string();
    let mut all = vec!["-p", pid.as_str()];
    all.extend_from_slice(args);
    all.extend(COUNTING);
    total_while(SYSCOUNT, &all, || {
        workload.go();
    })
}

#[test]
fn syscount_counts_exactly_the_calls_of_the_pid() {
    tracer_test!();
    let report = total_for_workload(&[]);
    assert_counted(
        &report,
        count_for(&report, "syscall", "getpid"),
        GETPIDS,
        "getpid",
    );
    assert_counted(
        &report,
        count_for(&report, "syscall", "openat"),
        FAILED_OPENS,
        "openat",
    );
    let getpid = &report_rows(&report, "syscall", "getpid")[0];
    assert_eq!(getpid["nr"], libc::SYS_getpid, "{report}");
}

/// -x: only the failed calls, so not one getpid; -e ENOENT the same here.
#[test]
fn syscount_failures_and_errno_count_only_the_failed_opens() {
    tracer_test!();
    for only in ["-x", "-e ENOENT"] {
        let args: Vec<&str> = only.split(' ').collect();
        let report = total_for_workload(&args);
        assert_eq!(
            count_for(&report, "syscall", "getpid"),
            0,
            "{only}: {report}"
        );
        assert_counted(
            &report,
            count_for(&report, "syscall", "openat"),
            FAILED_OPENS,
            only,
        );
    }
    // Another error: none of the opens failed with EACCES.
    let report = total_for_workload(&["-e", "EACCES"]);
    assert_eq!(count_for(&report, "syscall", "openat"), 0, "{report}");
}

/// -P -e ENOENT: one row, the workload's pid and name, with exactly its failed opens;
/// -L: the time spent in them, and the TIME column in the table.
#[test]
fn syscount_per_process_and_latency() {
    tracer_test!();
    let comm = unique_name("scp");
    let workload = pending_calls(&comm);
    let pid = workload.pid();
    let pid_arg = pid.to_string();
    let mut args = vec!["-p", pid_arg.as_str(), "-P", "-L", "-e", "ENOENT"];
    args.extend(COUNTING);
    let report = total_while(SYSCOUNT, &args, || {
        workload.go();
    });
    let rows: Vec<&Value> = report["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {report}"))
        .iter()
        .filter(|row| row["pid"] == pid)
        .collect();
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["comm"], comm.as_str(), "{report}");
    assert_counted(&report, count_of(rows[0]), FAILED_OPENS, "failed opens");
    assert!(rows[0]["total_ns"].as_u64().unwrap_or(0) > 0, "{report}");

    let workload = pending_calls(&unique_name("scl"));
    let pid = workload.pid().to_string();
    let tracer = Tracer::start(SYSCOUNT, &["-p", &pid, "-L", "-m", "-x", "-i", "3600"]);
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let header = finished.lines()[0].to_string();
    let headings: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        headings,
        ["SCOPE", "SYSCALL", "COUNT", "TIME", "(ms)"],
        "{}",
        finished.stdout
    );
    assert!(
        finished.lines().iter().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            cells.len() == 4 && cells[1] == "openat" && cells[3].parse::<f64>().is_ok()
        }),
        "{}",
        finished.stdout
    );
}

/// With --metrics-addr: the exact counts as `syscount_calls_total` per call.
#[test]
fn syscount_serves_the_exact_counts() {
    tracer_test!(any_kernel);
    let workload = pending_calls(&unique_name("scs"));
    let pid = workload.pid().to_string();
    let tracer = Tracer::start(SYSCOUNT, &["-p", &pid, "--metrics-addr", "127.0.0.1:0"]);
    let port = served_port(&tracer);
    workload.go();
    let name = "ebpf_tracers_syscount_calls_total";
    let served = |body: &str, call: &str, nr: i64| {
        sample(body, name, &[("syscall", call), ("nr", &nr.to_string())])
    };
    let body = scrape_until(port, Duration::from_secs(90), |body| {
        served(body, "openat", libc::SYS_openat) == Some(FAILED_OPENS as f64)
            && served(body, "getpid", libc::SYS_getpid) == Some(GETPIDS as f64)
    });
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let body = body.unwrap_or_else(|| panic!("never served the counts: {}", finished.stderr));
    crate::helpers::metrics::assert_promtool_accepts("syscount", &body);
}

/// bcc's C tool, run until told to stop: its counts as it prints them at the end.
struct CSyscount {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl CSyscount {
    /// Started, and attached once it says "Tracing syscalls" (its stdout, line
    /// buffered through stdbuf: it writes with printf).
    fn start(args: &[&str]) -> CSyscount {
        let mut child = Command::new("stdbuf")
            .arg("-oL")
            .arg(C_SYSCOUNT)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run stdbuf");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = lines.recv_timeout(Duration::from_secs(60));
        let c_tool = CSyscount { child, lines };
        match ready {
            Ok(line) if line.starts_with("Tracing syscalls") => c_tool,
            other => panic!("{C_SYSCOUNT} did not start: {other:?}"),
        }
    }

    /// SIGINT, then its rows: `SYSCALL COUNT` as (name, count).
    fn stop(mut self) -> Vec<(String, u64)> {
        // SAFETY: kill on the pid of a child not yet waited for.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let status = self.child.wait().expect("wait failed");
        assert!(status.success(), "{C_SYSCOUNT} ended with {status}");
        self.lines
            .iter()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split_whitespace().collect();
                match cells[..] {
                    [name, count] => Some((name.to_string(), count.parse().ok()?)),
                    _ => None,
                }
            })
            .collect()
    }
}

impl Drop for CSyscount {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ours and bcc's, attached together to one workload: the same counts of its getpid
/// and failed opens, and both the exact ones.
#[test]
fn syscount_agrees_with_bccs_c_tool() {
    tracer_test!(any_kernel);
    if !std::path::Path::new(C_SYSCOUNT).exists() {
        let why = format!("{C_SYSCOUNT} (Debian's libbpf-tools) is not installed");
        // The guests share the host's root: CI has it everywhere.
        if std::env::var("EBPF_TRACERS_REQUIRE_ROOT").as_deref() == Ok("1") {
            panic!("{why}; scripts/install-deps.sh installs it");
        }
        report_skip(&test_name(), &why);
        return;
    }
    let workload = pending_calls(&unique_name("scc"));
    let pid = workload.pid().to_string();
    let mut args = vec!["-p", pid.as_str()];
    args.extend(COUNTING);
    let theirs = CSyscount::start(&["-p", &pid]);
    let ours = total_while(SYSCOUNT, &args, || {
        workload.go();
    });
    let theirs = theirs.stop();
    let theirs_for = |name: &str| {
        theirs
            .iter()
            .find(|(call, _)| call == name)
            .map_or(0, |(_, count)| *count)
    };
    for (call, wanted) in [("getpid", GETPIDS), ("openat", FAILED_OPENS)] {
        let counted = count_for(&ours, "syscall", call);
        assert_counted(&ours, counted, wanted, call);
        assert_eq!(
            theirs_for(call),
            counted,
            "{call}: bcc {theirs:?}, ours {ours}"
        );
    }
}

/// Bad input: one line, exit 2, nothing loaded.
#[test]
fn syscount_refuses_bad_errors_and_flags() {
    tracer_test!(any_kernel);
    for args in [
        &["-e", "ENOSUCH"][..],
        &["-e", "0"],
        &["-m"],
        &["-e", "enoent"],
    ] {
        let output = run(SYSCOUNT, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
    let listed = run(SYSCOUNT, &["-l"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    let openat = format!("{}: openat", libc::SYS_openat);
    assert!(listed.lines().any(|line| line.trim() == openat), "{listed}");
}

record_test!(syscount, |tool, stop, comm| {
    let mut args = vec!["-c", &comm];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["getpid", "3"]);
    });
    Shown::Event(lines, "syscall", "getpid".into())
});
