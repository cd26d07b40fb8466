//! Bad input gets one clear line and exit status 2; missing privileges one line and 1.
//! None of these load anything, so they need no privileges.

use crate::helpers::*;

use std::path::Path;

use ebpf_tracers::tools;
use ebpf_tracers::tools::ToolKind;

const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
const KMALLOC_BYTES: &str = env!("CARGO_BIN_EXE_kmalloc_bytes");
const UNLINKSNOOP: &str = env!("CARGO_BIN_EXE_unlinksnoop");
const NETDEV_TRACE: &str = env!("CARGO_BIN_EXE_netdev_trace");
const ICMP_SENDER: &str = env!("CARGO_BIN_EXE_icmp_sender");
/// xdp_drop_count and key_pressed take no task filters (XDP runs before there is a
/// task; key presses come in interrupts): their own checks.
const XDP_DROP_COUNT: &str = env!("CARGO_BIN_EXE_xdp_drop_count");
const KEY_PRESSED: &str = env!("CARGO_BIN_EXE_key_pressed");
const EXECGUARD: &str = env!("CARGO_BIN_EXE_execguard");
const MULTI_CALL: &str = env!("CARGO_BIN_EXE_ebpf-tracers");

/// The registry's tools of `kind` that take the task filters, as binaries.
fn binaries(kind: ToolKind) -> Vec<String> {
    tools::ALL
        .into_iter()
        .filter(|tool| tool.kind == kind)
        .map(|tool| tool_binary(tool.name))
        .filter(|bin| bin != XDP_DROP_COUNT && bin != KEY_PRESSED)
        .collect()
}

/// Every tool that loads BPF programs and takes the task filters.
fn tracers() -> Vec<String> {
    let mut all = binaries(ToolKind::Events);
    all.extend(binaries(ToolKind::Counts));
    all
}

#[test]
fn the_registry_names_every_binary() {
    for tool in tools::ALL {
        assert!(
            Path::new(&tool_binary(tool.name)).is_file(),
            "{} is registered but no binary has its name",
            tool.name
        );
    }
}

#[test]
fn xdp_drop_count_needs_an_interface_and_known_protocols() {
    assert_usage_error(XDP_DROP_COUNT, &[], "IFACE");
    assert_usage_error(XDP_DROP_COUNT, &["lo", "--drop", "pigeon"], "protocol name");
    assert_usage_error(XDP_DROP_COUNT, &["lo", "--drop", "300"], "protocol number");
    assert_usage_error(XDP_DROP_COUNT, &["lo", "-i", "0"], "must be greater than 0");
}

fn assert_usage_error(bin: &str, args: &[&str], expect: &str) {
    let output = run(bin, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: not one line:\n{stderr}"
    );
    assert!(
        stderr.contains(expect),
        "{args:?}: {stderr:?} lacks {expect:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_pids_are_usage_errors() {
    for bin in &tracers() {
        assert_usage_error(bin, &["-p", "abc"], "not a process id");
        assert_usage_error(bin, &["-p", "-5"], "must be > 0");
        assert_usage_error(bin, &["--pid=-5"], "must be > 0");
        assert_usage_error(bin, &["-p", "0"], "must be > 0");
        assert_usage_error(bin, &["-t", "x"], "not a process id");
        assert_usage_error(bin, &["-u", "-1"], "not a user id");
    }
}

#[test]
fn comm_longer_than_the_kernel_keeps_is_refused() {
    for bin in &tracers() {
        assert_usage_error(
            bin,
            &["-c", "a_name_of_16_byt"],
            "kernel keeps only the first 15",
        );
    }
}

#[test]
fn durations_and_intervals_must_be_at_least_a_millisecond() {
    for bin in &tracers() {
        assert_usage_error(bin, &["-d", "0"], "must be greater than 0");
        assert_usage_error(bin, &["-d", "-3"], "must be greater than 0");
        assert_usage_error(bin, &["-d", "soon"], "not a number of seconds");
        assert_usage_error(bin, &["-d", "1e-12"], "at least 0.001");
    }
    for bin in &binaries(ToolKind::Counts) {
        assert_usage_error(bin, &["-i", "0"], "must be greater than 0");
        assert_usage_error(bin, &["--interval=-2"], "must be greater than 0");
        // It rounded to a zero interval and printed thousands of reports a second.
        assert_usage_error(bin, &["-i", "1e-12"], "at least 0.001");
    }
    assert_usage_error(KMALLOC_BYTES, &["--top", "0"], "--top");
    assert_usage_error(OPENSNOOP, &["--no-such-flag"], "--no-such-flag");
    assert_usage_error(UNLINKSNOOP, &["--mode", "uprobe"], "--mode");
    // -n needs process names in the output; tools without them do not offer it.
    assert_usage_error(env!("CARGO_BIN_EXE_sendto_by_ip"), &["-n", "x"], "'-n'");
    assert_usage_error(
        NETDEV_TRACE,
        &["--dev", "a_device_name_17b"],
        "kernel keeps only the first 15",
    );
    assert_usage_error(
        ICMP_SENDER,
        &["lo", "--dst-mac", "01:02"],
        "not a MAC address",
    );
    assert_usage_error(ICMP_SENDER, &["lo", "--count", "0"], "--count");
    assert_usage_error(ICMP_SENDER, &["lo", "--dst-ip", "300.1.1.1"], "--dst-ip");
}

#[test]
fn help_ends_with_examples() {
    for tool in tools::ALL {
        let output = run(&tool_binary(tool.name), &["--help"]);
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("EXAMPLES:"), "{help}");
    }
}

#[test]
fn unprivileged_run_says_which_privilege_is_missing() {
    let runs = tracers()
        .into_iter()
        .map(|bin| match bin == EXECGUARD {
            // A file no one runs: the rule is valid, the privilege is what is missing.
            true => (bin, vec!["--deny", "/etc/os-release", "-d", "1"]),
            false => (bin, vec!["-d", "1"]),
        })
        .chain([
            (XDP_DROP_COUNT.to_string(), vec!["lo", "-d", "1"]),
            (KEY_PRESSED.to_string(), vec!["-d", "1"]),
        ]);
    for (bin, args) in runs {
        let bin = bin.as_str();
        // As root, drop to nobody (which drops every capability); as a user, run as is.
        // SAFETY: geteuid has no preconditions.
        let output = if unsafe { libc::geteuid() } == 0 {
            run_as_nobody(bin, &args)
        } else {
            run(bin, &args)
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("needs root or CAP_BPF+CAP_PERFMON"),
            "{stderr}"
        );
    }
}

#[test]
fn the_readme_lists_exactly_the_registered_tools() {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("## Tools")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").nth(1))
        .expect("README has a Tools table");
    let mut listed: Vec<&str> = table
        .lines()
        .skip(2)
        .filter_map(|row| row.split('|').nth(1).map(str::trim))
        .collect();
    // The test helper is documented for users who read the tests, not installed.
    listed.retain(|name| *name != "workload");
    let registered: Vec<&str> = tools::ALL.iter().map(|tool| tool.name).collect();
    assert_eq!(listed, registered, "README rows and tools::ALL differ");
}

/// The multi-call binary holds every registered tool: run as `ebpf-tracers TOOL` and
/// under the tool's installed name (a link, as make install lays them out), each answers
/// --version as that tool and its --help names the command it was run as.
#[test]
fn the_multi_call_binary_runs_every_tool_under_its_names() {
    let dir = unique_path("mcv");
    std::fs::create_dir_all(&dir).unwrap();
    for tool in tools::ALL {
        let link = format!("{dir}/{}", tool.installed_name());
        std::os::unix::fs::symlink(MULTI_CALL, &link).unwrap();
        let want = format!("{} {}", tool.name, tools::VERSION);
        for (bin, args) in [(MULTI_CALL, vec![tool.name]), (link.as_str(), vec![])] {
            let mut version = args.clone();
            version.push("--version");
            let out = run(bin, &version);
            assert!(out.status.success(), "{bin} {version:?}: {out:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                want,
                "{bin} {version:?}"
            );
            let mut help = args.clone();
            help.push("--help");
            let usage = String::from_utf8_lossy(&run(bin, &help).stdout).into_owned();
            let named = if args.is_empty() {
                tool.installed_name()
            } else {
                tool.name.to_string()
            };
            assert!(
                usage.contains(&format!("Usage: {named} ")),
                "{bin} {help:?}: {usage}"
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A name that is no tool: one line, exit status 2, whichever way it comes.
#[test]
fn the_multi_call_binary_refuses_a_name_that_is_no_tool() {
    let dir = unique_path("mcn");
    std::fs::create_dir_all(&dir).unwrap();
    let renamed = format!("{dir}/nosuchtool");
    std::os::unix::fs::symlink(MULTI_CALL, &renamed).unwrap();
    for (bin, args) in [
        (MULTI_CALL, vec!["opensnop", "-x"]),
        (MULTI_CALL, vec![]),
        (renamed.as_str(), vec!["-x"]),
    ] {
        let out = run(bin, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bin} {args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bin} {args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{bin} {args:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
