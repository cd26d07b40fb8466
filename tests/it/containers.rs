//! Containers with real cgroups: each test makes a cgroup v2 directory named as Docker
//! names a container's (`<unique>.slice/docker-<64 hex>.scope`), moves a child into it,
//! and checks what the tools say of the child's events and of events outside it
//! (--cgroup, the JSON `cgroup` and `container_id`, -G, --by-cgroup).

use std::time::Duration;

use crate::helpers::cgroups::own_cgroup;
use crate::helpers::cgroups::DockerCgroup;
use crate::helpers::*;
use serde_json::Value;

const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
const EXECSNOOP: &str = env!("CARGO_BIN_EXE_execsnoop");
const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
const WAIT: Duration = Duration::from_secs(20);

/// The cgroup made for the running test, if it can run here.
fn docker_cgroup() -> Option<DockerCgroup> {
    DockerCgroup::create(&test_name())
}

/// An existing file unique to the test.
fn file(tag: &str) -> Scratch {
    Scratch::file(tag, b"x")
}

fn events_with<'a>(lines: &'a [Value], field: &str, value: &str) -> Vec<&'a Value> {
    lines.iter().filter(|line| line[field] == value).collect()
}

/// Runs `bin` with `args` while a child in `cgroup` does `action` on `inside` and, just
/// before (outside the cgroup, under the same name), this test does it on `outside`:
/// the tool's output once a line naming `inside` is shown (and, when `outside_shown`,
/// one naming `outside`), and the child's pid. A round whose event the kernel skipped
/// is run again (`unless_skipped`).
fn inside_and_outside(
    cgroup: &DockerCgroup,
    (bin, args): (&str, &[&str]),
    (comm, action): (&str, &[&str]),
    (inside, outside): (&str, &str),
    outside_shown: bool,
) -> (Finished, u32) {
    fn with<'a>(action: &[&'a str], target: &'a str) -> Vec<&'a str> {
        let mut all = action.to_vec();
        all.push(target);
        all
    }
    unless_skipped("the child's event never appeared", || {
        let mut tracer = Tracer::start(bin, args);
        let child = PendingWorkload::spawn(comm, &with(action, inside));
        let child_pid = child.pid();
        cgroup.enter(child_pid);
        // Done before the child acts: were it let through a filter, it would be printed
        // first.
        run_workload(comm, &with(action, outside));
        child.go();
        let seen = tracer.wait_for_line(WAIT, |line| line.contains(inside));
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let whole = seen.is_some() && (!outside_shown || finished.stdout.contains(outside));
        if whole {
            Ok((finished, child_pid))
        } else {
            Err(finished)
        }
    })
}

/// `inside_and_outside` for opensnoop, on two files made for the test.
fn opens_inside_and_outside(
    cgroup: &DockerCgroup,
    args: &[&str],
    comm: &str,
) -> (Finished, u32, Scratch, Scratch) {
    let (inside, outside) = (file("cgin"), file("cgout"));
    let (finished, child_pid) = inside_and_outside(
        cgroup,
        (OPENSNOOP, args),
        (comm, &["open"]),
        (&inside, &outside),
        !args.contains(&"--cgroup"),
    );
    (finished, child_pid, inside, outside)
}

/// The child's event names the container; with --cgroup an open made outside at the
/// same time is not shown.
#[test]
fn opensnoop_cgroup_filter_shows_only_the_container() {
    tracer_test!();
    let Some(cgroup) = docker_cgroup() else {
        return;
    };
    let comm = unique_name("cgo");
    let args = ["--cgroup", cgroup.dir_arg(), "--json"];
    let (finished, child_pid, inside, outside) = opens_inside_and_outside(&cgroup, &args, &comm);
    let lines = finished.json_lines();
    let opened = events_with(&lines, "path", &inside);
    assert_eq!(opened.len(), 1, "{}", finished.stdout);
    let event = opened[0];
    assert_eq!(event["pid"], child_pid, "{event}");
    assert_eq!(event["cgroup"], cgroup.path.as_str(), "{event}");
    assert_eq!(
        event["container_id"],
        cgroup.container_id.as_str(),
        "{event}"
    );
    assert!(
        event["cgroup_id"].as_u64().is_some_and(|id| id > 1),
        "{event}"
    );
    assert!(
        events_with(&lines, "path", &outside).is_empty(),
        "{}",
        finished.stdout
    );
    // Only the cgroup's tasks at all.
    for line in &lines {
        assert_eq!(line["cgroup"], cgroup.path.as_str(), "{line}");
    }
}

/// Without --cgroup both events are shown: the child's names its container, the one
/// from outside (this test's own cgroup) names its cgroup and no container; -G shows
/// the short container id in the table.
#[test]
fn opensnoop_names_the_container_only_inside_one() {
    tracer_test!(any_kernel);
    let Some(cgroup) = docker_cgroup() else {
        return;
    };
    let comm = unique_name("cgn");
    let args = ["-c", &comm, "--json"];
    let (finished, _, inside, outside) = opens_inside_and_outside(&cgroup, &args, &comm);
    let lines = finished.json_lines();
    let inner = events_with(&lines, "path", &inside);
    let outer = events_with(&lines, "path", &outside);
    assert_eq!((inner.len(), outer.len()), (1, 1), "{}", finished.stdout);
    assert_eq!(inner[0]["container_id"], cgroup.container_id.as_str());
    assert_eq!(outer[0]["cgroup"], own_cgroup().as_str(), "{}", outer[0]);
    assert!(outer[0].get("container_id").is_none(), "{}", outer[0]);
    assert!(outer[0].get("pod_uid").is_none(), "{}", outer[0]);

    // The same in the table, with -G: CONTAINER first.
    let (finished, _, inside, _) = opens_inside_and_outside(&cgroup, &["-c", &comm, "-G"], &comm);
    let line = finished
        .lines()
        .into_iter()
        .find(|line| line.ends_with(inside.as_str()))
        .unwrap_or_else(|| panic!("no row for {inside}:\n{}", finished.stdout));
    let header = finished.lines()[0].split_whitespace().collect::<Vec<_>>();
    assert_eq!(header[..2], ["CONTAINER", "PID"], "{}", finished.stdout);
    assert_eq!(
        line.split_whitespace().next(),
        Some(&cgroup.container_id[..12]),
        "{line}"
    );
}

/// execsnoop: the child's exec (of a binary only this test runs) with --cgroup, and not
/// the one made outside.
#[test]
fn execsnoop_cgroup_filter_and_container_id() {
    tracer_test!();
    let Some(cgroup) = docker_cgroup() else {
        return;
    };
    let inside = unique_copy_of("/bin/true", &unique_name("cgxin"));
    let outside = unique_copy_of("/bin/true", &unique_name("cgxout"));
    let comm = unique_name("cgx");
    let (finished, _) = inside_and_outside(
        &cgroup,
        (EXECSNOOP, &["--cgroup", cgroup.dir_arg(), "--json"]),
        (&comm, &["exec", "1"]),
        (&inside, &outside),
        false,
    );
    let lines = finished.json_lines();
    let running = |binary: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|line| line["args"][0] == binary)
            .collect()
    };
    let execs = running(&inside);
    assert_eq!(execs.len(), 1, "{}", finished.stdout);
    assert_eq!(execs[0]["ret"], 0, "{}", execs[0]);
    assert_eq!(execs[0]["cgroup"], cgroup.path.as_str(), "{}", execs[0]);
    assert_eq!(execs[0]["container_id"], cgroup.container_id.as_str());
    assert!(running(&outside).is_empty(), "{}", finished.stdout);
}

/// openat_count --by-cgroup: the child's opens counted under its container, exactly,
/// apart from those of a process of the same name outside it; with --cgroup only the
/// container's row.
#[test]
fn openat_count_counts_per_container() {
    tracer_test!();
    let Some(cgroup) = docker_cgroup() else {
        return;
    };
    let comm = unique_name("cgc");
    let paths: Vec<String> = (0..7).map(|i| unique_path(&format!("cgc{i}"))).collect();
    let mut inside_args = vec!["open"];
    inside_args.extend(paths.iter().map(String::as_str));
    let outside_args = ["open", &paths[0], &paths[1], &paths[2]];
    for extra in [&[][..], &["--cgroup", cgroup.dir_arg()][..]] {
        // Started (and moved) before the tracer: the loader's own opens are not counted.
        let child = PendingWorkload::spawn(&comm, &inside_args);
        cgroup.enter(child.pid());
        let other = PendingWorkload::spawn(&comm, &outside_args);
        let mut args = vec!["--by-cgroup", "-c", &comm, "--json", "-i", "3600"];
        args.extend_from_slice(extra);
        let tracer = Tracer::start(OPENAT_COUNT, &args);
        child.go();
        other.go();
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let report = total_report(&finished);
        let rows = report_rows(&report, "comm", &comm);
        let contained: Vec<_> = rows
            .iter()
            .filter(|row| row["container_id"] == cgroup.container_id.as_str())
            .collect();
        assert_eq!(contained.len(), 1, "{report}");
        assert_counted(&report, count_of(contained[0]), 7, "the container's opens");
        assert_eq!(contained[0]["cgroup"], cgroup.path.as_str(), "{report}");
        let outside: Vec<_> = rows
            .iter()
            .filter(|row| row.get("container_id").is_none())
            .collect();
        if extra.is_empty() {
            assert_eq!(outside.len(), 1, "{report}");
            assert_counted(&report, count_of(outside[0]), 3, "the opens outside");
            assert_eq!(outside[0]["cgroup"], own_cgroup().as_str(), "{report}");
        } else {
            assert!(
                outside.is_empty(),
                "--cgroup let other cgroups through: {report}"
            );
        }
    }
}

/// Bad --cgroup values: one line saying what to give, exit 2, nothing loaded.
#[test]
fn bad_cgroup_paths_are_refused_in_one_line() {
    let missing = unique_path("nocg");
    for (path, says) in [
        (missing.as_str(), "No such file"),
        ("/proc/self/status", "not a directory"),
        ("/proc", "not in the cgroup2 hierarchy"),
    ] {
        let output = run(OPENSNOOP, &["--cgroup", path]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{path}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{path}: {stderr}");
        let says_what = stderr.contains(says) || stderr.contains("no cgroup2");
        assert!(says_what, "{path}: {stderr}");
    }
}
