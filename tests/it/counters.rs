//! The counting tools of the tracepoint tutorial against work the test itself does
//! (catalogue rows: openat_count, execve_count, sendrecv_count, sendto_by_ip,
//! execs_by_user). Counts are exact wherever a filter makes them so.

use crate::helpers::*;
use serde_json::Value;

const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
const EXECVE_COUNT: &str = env!("CARGO_BIN_EXE_execve_count");
const SENDRECV_COUNT: &str = env!("CARGO_BIN_EXE_sendrecv_count");
const SENDTO_BY_IP: &str = env!("CARGO_BIN_EXE_sendto_by_ip");
const EXECS_BY_USER: &str = env!("CARGO_BIN_EXE_execs_by_user");
/// One report at the end only: the counts under test are totals.
const TOTAL_ONLY: [&str; 4] = ["--json", "-i", "3600", "--top"];

fn count_of(row: &Value) -> u64 {
    row["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count in {row}"))
}

/// Runs `bin` with `args`, starts `workload` once the tool is ready, then stops the
/// tool and returns its final report.
fn total_while(bin: &str, args: &[&str], workload: impl FnOnce()) -> Value {
    let tracer = Tracer::start(bin, args);
    workload();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    total_report(&finished)
}

fn with_total_only<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = TOTAL_ONLY.to_vec();
    args.push("100000");
    args.extend_from_slice(extra);
    args
}

#[test]
fn openat_count_counts_exactly_n_opens_for_the_pid() {
    tracer_test!();
    let comm = unique_name("oc");
    let paths: Vec<String> = (0..7).map(|i| unique_path(&format!("ocp{i}"))).collect();
    let mut args = vec!["open"];
    args.extend(paths.iter().map(String::as_str));
    // Started before the tracer: the loader's own opens happen before it attaches.
    let workload = PendingWorkload::spawn(&comm, &args);
    let pid = workload.pid().to_string();
    let report = total_while(OPENAT_COUNT, &with_total_only(&["-p", &pid]), || {
        workload.go();
    });
    let rows = report_rows(&report, "comm", &comm);
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(count_of(rows[0]), 7, "{report}");
}

#[test]
fn openat_count_comm_filter_counts_only_that_name() {
    tracer_test!();
    let comm = unique_name("ot");
    let other = unique_name("ot");
    let missing = unique_path("otm");
    let report = total_while(OPENAT_COUNT, &with_total_only(&["-c", &comm]), || {
        run_workload(&comm, &["open", &missing, &missing, &missing]);
        run_workload(&other, &["open", &missing]);
    });
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "-c let other names through: {report}");
    assert_eq!(rows[0]["comm"], comm.as_str());
    assert!(count_of(&rows[0]) >= 3, "{report}");
}

#[test]
fn execve_count_counts_each_execution_of_a_uniquely_named_binary() {
    tracer_test!();
    let name = unique_name("ec");
    let binary = unique_copy_of("/bin/true", &name);
    // Unfiltered and filtered by the executed name (-c), the count is the same: 5.
    for filter in [vec![], vec!["-c", name.as_str()]] {
        let report = total_while(EXECVE_COUNT, &with_total_only(&filter), || {
            run_workload(&unique_name("ecw"), &["exec", "5", &binary]);
        });
        let rows = report_rows(&report, "name", &name);
        assert_eq!(rows.len(), 1, "{filter:?}: {report}");
        assert_eq!(count_of(rows[0]), 5, "{filter:?}: {report}");
        if !filter.is_empty() {
            assert_eq!(
                report["rows"].as_array().unwrap().len(),
                1,
                "-c let others through: {report}"
            );
        }
    }
}

#[test]
fn sendrecv_count_counts_exactly_n_sent_and_received_for_the_pid() {
    tracer_test!();
    let workload = PendingWorkload::spawn(&unique_name("sr"), &["udp", "25"]);
    let pid = workload.pid().to_string();
    let report = total_while(
        SENDRECV_COUNT,
        &["--json", "-i", "3600", "-p", &pid],
        || {
            workload.go();
        },
    );
    let row = &report["rows"][0];
    assert_eq!(
        (row["sent"].as_u64(), row["recv"].as_u64()),
        (Some(25), Some(25)),
        "{report}"
    );
}

#[test]
fn sendto_by_ip_counts_ipv4_and_ipv6_destinations_apart() {
    tracer_test!();
    let comm = unique_name("si");
    let report = total_while(SENDTO_BY_IP, &with_total_only(&["-c", &comm]), || {
        run_workload(&comm, &["sendto", "127.0.0.2:9", "6"]);
        run_workload(&comm, &["sendto", "[::1]:9", "4"]);
    });
    assert_eq!(
        report_rows(&report, "dest", "127.0.0.2")
            .first()
            .map(|r| count_of(r)),
        Some(6),
        "{report}"
    );
    assert_eq!(
        report_rows(&report, "dest", "::1")
            .first()
            .map(|r| count_of(r)),
        Some(4),
        "{report}"
    );
    assert_eq!(report["rows"].as_array().unwrap().len(), 2, "{report}");
}

/// A uid no other test uses and no account has.
fn unique_uid() -> u32 {
    40_000 + std::process::id() % 20_000
}

#[test]
fn execs_by_user_counts_another_users_executions_of_a_path() {
    tracer_test!();
    let uid_number = unique_uid();
    let uid = uid_number.to_string();
    let binary = unique_copy_of("/bin/true", &unique_name("eu"));
    let report = total_while(EXECS_BY_USER, &with_total_only(&["-u", &uid]), || {
        run_workload(&unique_name("euw"), &["--uid", &uid, "exec", "4", &binary]);
    });
    let rows = report_rows(&report, "path", &binary);
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["uid"], uid_number);
    assert_eq!(count_of(rows[0]), 4, "{report}");
    assert!(
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["uid"] == uid_number),
        "-u let other users through: {report}"
    );
}

#[test]
fn execs_by_user_counts_an_exec_from_a_non_leader_thread() {
    tracer_test!();
    let uid = (unique_uid() + 2).to_string();
    let binary = unique_copy_of("/bin/true", &unique_name("et"));
    let report = total_while(EXECS_BY_USER, &with_total_only(&["-u", &uid]), || {
        run_workload(
            &unique_name("etw"),
            &["--uid", &uid, "exec-from-thread", &binary],
        );
    });
    let rows = report_rows(&report, "path", &binary);
    assert_eq!(rows.iter().map(|r| count_of(r)).sum::<u64>(), 1, "{report}");
}

#[test]
fn execs_by_user_failed_flag_counts_only_failed_executions() {
    tracer_test!();
    let uid = (unique_uid() + 1).to_string();
    let binary = unique_copy_of("/bin/true", &unique_name("ex"));
    let missing = unique_path("exm");
    let report = total_while(EXECS_BY_USER, &with_total_only(&["-u", &uid, "-x"]), || {
        run_workload(&unique_name("exw"), &["--uid", &uid, "exec", "2", &binary]);
        run_workload(&unique_name("exw"), &["--uid", &uid, "exec", "3", &missing]);
    });
    assert_eq!(
        report_rows(&report, "path", &missing)
            .first()
            .map(|r| count_of(r)),
        Some(3),
        "{report}"
    );
    assert!(
        report_rows(&report, "path", &binary).is_empty(),
        "-x counted a success: {report}"
    );
}

#[test]
fn execveat_is_counted_by_execve_count_and_execs_by_user() {
    tracer_test!();
    let name = unique_name("ea");
    let binary = unique_copy_of("/bin/true", &name);
    let (dir, _) = binary.rsplit_once('/').unwrap();
    let comm = unique_name("eaw");
    // A fexecve and a dirfd-relative execveat of the same file, each counted apart.
    let fexecve = || {
        run_workload(&comm, &["fexecve", &binary]);
    };
    let execveat = || {
        run_workload(&comm, &["execveat", dir, &name]);
    };
    for (how, execs) in [("fexecve", &fexecve as &dyn Fn()), ("execveat", &execveat)] {
        let report = total_while(EXECVE_COUNT, &with_total_only(&["-c", &name]), execs);
        let counted: u64 = report_rows(&report, "name", &name)
            .iter()
            .map(|row| count_of(row))
            .sum();
        assert_eq!(counted, 1, "{how}: {report}");
    }
    let execs = || {
        fexecve();
        execveat();
    };
    // Per user and path: the fexecve under the file's name, the execveat as passed
    // (NAME, relative to its directory descriptor): the same key.
    let report = total_while(EXECS_BY_USER, &with_total_only(&[]), execs);
    let counted = |path: &str| -> u64 {
        report_rows(&report, "path", path)
            .iter()
            .filter(|row| row["uid"] == 0)
            .map(|row| count_of(row))
            .sum()
    };
    assert_eq!(counted(&name), 2, "{report}");
}
