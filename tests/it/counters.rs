//! The counting tools of the tracepoint tutorial against work the test itself does
//! (catalogue rows: openat_count, execve_count, sendrecv_count, sendto_by_ip,
//! execs_by_user). Counts are exact wherever a filter makes them so.

use crate::helpers::*;
use crate::records::json_while;
use crate::records::Shown;
use crate::records::COUNTING;
use serde_json::Value;

const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
const EXECVE_COUNT: &str = env!("CARGO_BIN_EXE_execve_count");
const SENDRECV_COUNT: &str = env!("CARGO_BIN_EXE_sendrecv_count");
const SENDTO_BY_IP: &str = env!("CARGO_BIN_EXE_sendto_by_ip");
const EXECS_BY_USER: &str = env!("CARGO_BIN_EXE_execs_by_user");
/// One report at the end only: the counts under test are totals.
const TOTAL_ONLY: [&str; 4] = ["--json", "-i", "3600", "--top"];

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
    assert_counted(&report, count_of(rows[0]), 7, "opens");
}

/// A neighbour blinding a counter: as nobody, one process takes 25,000 names with an
/// open under each, more than twice the kernel map's 10,240 keys. Once a read has drained
/// the map, root's own 500 opens are counted exactly (they were counted as 0, and
/// nothing said so), and what the kernel could not count is said the same way in
/// every place: the stderr lines, and the JSON reports' `not_counted`.
#[test]
fn a_flood_of_process_names_cannot_blind_openat_count() {
    tracer_test!();
    let mut tracer = Tracer::start(OPENAT_COUNT, &["--json", "--top", "50"]);
    let flood = unique_name("fl");
    let output = run_as_nobody(
        env!("CARGO_BIN_EXE_workload"),
        &["open-named", "--prefix", &flood, "25000", "/dev/null"],
    );
    assert!(output.status.success(), "the flood failed: {output:?}");
    // Two reports printed after the flood ended (their RFC 3339 times sort as text;
    // lines printed during it may still be queued): the second one's read began after
    // the end, so the map the flood filled has been drained.
    let ended = ebpf_tracers::output::clock::rfc3339(std::time::SystemTime::now());
    for _ in 0..2 {
        tracer
            .wait_for_line(std::time::Duration::from_secs(60), |line| {
                line.contains(r#""scope":"interval""#)
                    && serde_json::from_str::<Value>(line)
                        .is_ok_and(|report| report["time"].as_str() > Some(ended.as_str()))
            })
            .expect("no interval report after the flood");
    }
    let comm = unique_name("fr");
    let skipped = runs_skipped_during(&tracer, || {
        run_workload(&comm, &["open-loop", "500", "/dev/null"]);
    });
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let total = total_report(&finished);
    let rows = report_rows(&total, "comm", &comm);
    assert_eq!(rows.len(), 1, "{total}");
    // All 500, or short by no more than the runs the kernel itself skipped.
    let counted = count_of(rows[0]);
    assert!(
        counted <= 500 && 500 - counted <= skipped,
        "{counted} of 500 counted, {skipped} runs skipped: {total}"
    );
    // What was not counted: the intervals' add up to the total, and stderr says both.
    let reports = finished.json_lines();
    let in_intervals: u64 = reports
        .iter()
        .filter(|report| report["scope"] == "interval")
        .map(|report| report["not_counted"].as_u64().expect("no not_counted"))
        .sum();
    let in_all = total["not_counted"].as_u64().expect("no not_counted");
    assert_eq!(in_intervals, in_all, "{}", finished.stdout);
    let said = |when: &str| -> u64 {
        finished
            .stderr
            .lines()
            .filter(|line| line.contains(&format!(" events not counted {when}:")))
            .filter_map(|line| line.split(' ').nth(1)?.parse::<u64>().ok())
            .sum()
    };
    assert_eq!(said("since the last report"), in_all, "{}", finished.stderr);
    assert_eq!(said("in all"), in_all, "{}", finished.stderr);
    eprintln!("the flood of 25000 names: {in_all} events not counted");
    // The runs the kernel skipped are said the same way, and cover those the test saw.
    let skipped_in = |scope: &str| -> u64 {
        reports
            .iter()
            .filter(|report| report["scope"] == scope)
            .filter_map(|report| report["skipped_runs"].as_u64())
            .sum()
    };
    let skipped_in_all = skipped_in("total");
    // Runs skipped after the last interval's read are in the total only.
    assert!(
        skipped_in("interval") <= skipped_in_all,
        "{}",
        finished.stdout
    );
    assert!(skipped_in_all >= skipped, "{}", finished.stdout);
    let said_skipped: u64 = finished
        .stderr
        .lines()
        .filter(|line| line.contains(" runs of its BPF programs skipped by the kernel in all"))
        .filter_map(|line| line.split(' ').nth(1)?.parse::<u64>().ok())
        .sum();
    assert_eq!(said_skipped, skipped_in_all, "{}", finished.stderr);
    // On the host the flood takes a fraction of a second: at most one read falls in it,
    // so one side of it has more than the map's 10,240 keys. (Under emulation it may
    // take longer than reads: there only the agreement above is certain.)
    if std::env::var_os(IN_GUEST).is_none() {
        assert!(
            in_all > 0,
            "the flood never filled the map: nothing was proven"
        );
    }
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
    // Unfiltered and filtered by the executed name (-c), side by side on the same
    // execs, the count is the same: 3 execs, then 3 forked children's execl and 3 their
    // fexecve of string literals (pages the child never touched: the name is read where
    // the kernel has it), 9 in all.
    let filters = [vec![], vec!["-c", name.as_str()]];
    let tracers: Vec<Tracer> = filters
        .iter()
        .map(|filter| Tracer::start(EXECVE_COUNT, &with_total_only(filter)))
        .collect();
    let comm = unique_name("ecw");
    run_workload(&comm, &["exec", "3", &binary]);
    run_workload(&comm, &["fork-exec-literals", "3", &binary, "argv0"]);
    run_workload(
        &comm,
        &["fork-exec-literals", "--fexecve", "3", &binary, "argv0"],
    );
    for (filter, tracer) in filters.iter().zip(tracers) {
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let report = total_report(&finished);
        let rows = report_rows(&report, "name", &name);
        assert_eq!(rows.len(), 1, "{filter:?}: {report}");
        assert_counted(&report, count_of(rows[0]), 9, &format!("{filter:?}"));
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
        let comm = unique_name("euw");
        run_workload(&comm, &["--uid", &uid, "exec", "4", &binary]);
        // A forked child's execl of string literals: 3 more of the same path.
        run_workload(
            &comm,
            &["--uid", &uid, "fork-exec-literals", "3", &binary, "argv0"],
        );
    });
    let rows = report_rows(&report, "path", &binary);
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["uid"], uid_number);
    assert_counted(&report, count_of(rows[0]), 7, "opens");
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
    let counted = rows.iter().map(|r| count_of(r)).sum::<u64>();
    assert_counted(&report, counted, 1, "the exec from a thread");
}

#[test]
fn execs_by_user_failed_flag_counts_only_failed_executions() {
    tracer_test!();
    let uid = (unique_uid() + 1).to_string();
    let binary = unique_copy_of("/bin/true", &unique_name("ex"));
    let missing = unique_path("exm");
    let report = total_while(EXECS_BY_USER, &with_total_only(&["-u", &uid, "-x"]), || {
        run_workload(&unique_name("exw"), &["--uid", &uid, "exec", "2", &binary]);
        // Failures of a literal missing path, from forked children.
        run_workload(
            &unique_name("exw"),
            &["--uid", &uid, "fork-exec-literals", "3", &missing, "argv0"],
        );
    });
    let failed = report_rows(&report, "path", &missing)
        .first()
        .map_or(0, |r| count_of(r));
    assert_counted(&report, failed, 3, "the failed execs");
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
        assert_counted(&report, counted, 1, how);
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
    assert_counted(&report, counted(&name), 2, "fexecve and execveat");
}

record_test!(openat_count, |tool, stop, comm| {
    let path = Scratch::file("reco", b"x");
    let mut args = vec!["-c", &comm];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["open", &path]);
    });
    Shown::Event(lines, "comm", comm.clone().into())
});

record_test!(execs_by_user, |tool, stop, comm| {
    let binary = unique_copy_of("/bin/true", &unique_name("recx"));
    let mut args = vec!["-c", &comm];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["exec", "1", &binary]);
    });
    Shown::Event(lines, "path", binary.as_str().into())
});

record_test!(execve_count, |tool, stop, comm| {
    let name = unique_name("recx");
    let binary = unique_copy_of("/bin/true", &name);
    let mut args = vec!["-c", &name];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        run_workload(&comm, &["exec", "1", &binary]);
    });
    Shown::Event(lines, "name", name.into())
});

/// A records run of a tool that counts the calls of one process (-p), made by the
/// workload doing `action`.
fn counted_for_a_pid(tool: &'static str, stop: Stop, comm: &str, action: &[&str]) -> Vec<Value> {
    let workload = PendingWorkload::spawn(comm, action);
    let pid = workload.pid().to_string();
    let mut args = vec!["-p", &pid];
    args.extend(COUNTING);
    json_while(tool, stop, &args, || {
        workload.go();
    })
}

record_test!(sendrecv_count, |tool, stop, comm| {
    let lines = counted_for_a_pid(tool, stop, &comm, &["udp", "3"]);
    Shown::Event(lines, "sent", 3.into())
});

record_test!(sendto_by_ip, |tool, stop, comm| {
    let lines = counted_for_a_pid(tool, stop, &comm, &["sendto", "127.0.0.2:9", "3"]);
    Shown::Event(lines, "dest", "127.0.0.2".into())
});
