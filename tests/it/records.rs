//! Every tool of the registry (ebpf_tracers::tools::ALL), run on an event the test
//! causes: the event shows up, every JSON line the tool prints has exactly the fields,
//! with the types, that the tool's record declaration says (`Finished::json_lines`
//! checks each line against it), and the run ends cleanly: exit 0 and none of its BPF
//! programs left (`Tracer::stop_cleanly`, by the signal `RECORDS` names for the tool;
//! stopping.rs proves every other way to stop on a few tools of each kind). Every tool
//! that serves metrics runs here with exactly the exporter unit's capabilities
//! (`as_the_unit_runs`) and is scraped. A tool added to the registry without a test
//! here fails `every_registered_tool_has_a_test`.

use std::path::Path;
use std::time::Duration;

use crate::helpers::keyboard::VirtualKeyboard;
use crate::helpers::metrics::*;
use crate::helpers::terminal::Terminal;
use crate::helpers::*;
use ebpf_tracers::tools;
use ebpf_tracers::tools::ToolKind;
use serde_json::Value;

/// Runs `tool` with `args` around `work`, and returns its JSON lines (checked against
/// its declaration). A tool that serves metrics does so here: once its first counter
/// (an event tool: its events) has a sample, promtool must accept the exposition.
fn json_while(tool: &str, stop: Stop, args: &[&str], work: impl FnOnce()) -> Vec<Value> {
    let registered = tools::find(tool);
    let serves = registered.is_some_and(|t| {
        t.command()
            .get_arguments()
            .any(|arg| arg.get_long() == Some("metrics-addr"))
    });
    let first = match registered.and_then(|t| t.metrics) {
        Some(declared) => declared.counters[0].name,
        None => "events_total",
    };
    let first = format!("{}_{first}", ebpf_tracers::output::metrics::PREFIX);
    let mut args = args.to_vec();
    // A tool that serves metrics runs as the exporter unit would run it: with only the
    // unit's capabilities.
    let tracer = if serves {
        args.extend(["--metrics-addr", ANY_PORT]);
        let setpriv = as_the_unit_runs(&tool_binary(tool), &args);
        Tracer::start(
            "setpriv",
            &setpriv.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    } else {
        Tracer::start(&tool_binary(tool), &args)
    };
    work();
    if serves {
        let port = served_port(&tracer);
        let has_sample = |body: &str| {
            body.lines().any(|line| {
                line.starts_with(&format!("{first}{{"))
                    || line.starts_with(&format!("{first} ")) && !line.ends_with(" 0")
            })
        };
        let exposition = scrape_until(port, Duration::from_secs(20), has_sample)
            .unwrap_or_else(|| panic!("{tool}: no {first} sample on port {port}"));
        assert_promtool_accepts(tool, &exposition);
    }
    tracer.stop_cleanly(stop).json_lines()
}

/// The final report (scope "total") among `lines`.
fn total(lines: &[Value]) -> &Value {
    lines
        .iter()
        .rev()
        .find(|line| line["scope"] == "total")
        .unwrap_or_else(|| panic!("no total report in {lines:?}"))
}

/// Whether one of `lines` has `field` equal to `value`, or one of their report rows does.
fn shows(lines: &[Value], field: &str, value: &Value) -> bool {
    lines.iter().any(|line| {
        &line[field] == value
            || line["rows"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|row| &row[field] == value))
    })
}

/// Runs one tool on an event it must show, stopped by `stop`; false if this kernel
/// cannot run it.
fn run_on_an_event(tool: &str, stop: Stop) -> bool {
    let comm = unique_name("rec");
    let counting = ["--json", "-i", "3600"];
    let (lines, field, value): (Vec<Value>, &str, Value) = match tool {
        "opensnoop" => {
            let path = unique_path("recopen");
            let args = ["--json", "-P", "-E", "-c", &comm];
            let lines = json_while(tool, stop, &args, || {
                run_workload(&comm, &["open", &path]);
            });
            (lines, "path", path.into())
        }
        "execsnoop" => {
            let marker = unique_name("recarg");
            let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
                run_workload(&comm, &["exec", "1", "/bin/true", &marker]);
            });
            (lines, "args", serde_json::json!(["/bin/true", marker]))
        }
        "execguard" => {
            // bpf_lsm_active says itself, loudly, when the test is skipped.
            if !bpf_lsm_active(&test_name()) {
                return true;
            }
            let copy = unique_copy_of("/bin/true", "true");
            let args = ["--audit", "--json", "-c", &comm, "--deny", &copy];
            let lines = json_while(tool, stop, &args, || {
                run_workload(&comm, &["exec", "1", &copy]);
            });
            (lines, "path", copy.as_str().into())
        }
        "unlinksnoop" | "mkdirsnoop" => {
            let path = unique_path("recpath");
            let action: &[&str] = match tool {
                "unlinksnoop" => &["unlink"],
                _ => &["mkdir", "750"],
            };
            let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
                let mut args = action.to_vec();
                args.push(&path);
                run_workload(&comm, &args);
            });
            let _ = std::fs::remove_dir(&path);
            (lines, "path", path.into())
        }
        "bashreadline" => {
            let bash = unique_copy_of("/bin/bash", "bash");
            let line = format!("echo {comm}");
            let lines = json_while(tool, stop, &["--json", "-s", &bash], || {
                let mut terminal = Terminal::open(&bash);
                terminal.type_line(&line);
                terminal.exit();
            });
            (lines, "command", line.into())
        }
        "hello" => {
            let _turn = exclusive(Resource::TracePipe);
            let lines = json_while(tool, stop, &["--json", "-c", &comm], || {
                run_workload(&comm, &["exec", "1", "/bin/true"]);
            });
            (lines, "message", "hello world".into())
        }
        "netdev_trace" | "arpsnoop" => {
            let pair = VethPair::create("rn");
            let args = match tool {
                "netdev_trace" => vec!["--json", "--dev", &pair.dev_a],
                _ => vec!["--json"],
            };
            let lines = json_while(tool, stop, &args, || {
                // Nobody has .99: A asks for it (ARP); the request goes out of dev_a.
                let _ = pair
                    .in_a("ping")
                    .args(["-c", "1", "-W", "1", "10.254.0.99"])
                    .output()
                    .expect("cannot run ping (install iputils-ping)");
            });
            (lines, "dev", pair.dev_a.clone().into())
        }
        "key_pressed" => {
            if !kernel_has_kprobes() {
                return false;
            }
            let _turn = exclusive(Resource::Keyboard);
            let mut keyboard = VirtualKeyboard::create(&comm);
            let lines = json_while(tool, stop, &["--json"], || keyboard.tap(35));
            assert!(shows(&lines, "key", &"h".into()), "no top row: {lines:?}");
            (lines, "device", comm.clone().into())
        }
        "kmalloc_bytes" => {
            let mut args = vec!["-c", &comm, "--by-comm", "--hist"];
            args.extend(counting);
            let lines = json_while(tool, stop, &args, || {
                run_workload(&comm, &["pipes", "10"]);
            });
            assert!(total(&lines)["histogram"].is_array(), "{lines:?}");
            (lines, "comm", comm.clone().into())
        }
        "openat_count" | "execs_by_user" => {
            let binary = unique_copy_of("/bin/true", &unique_name("recx"));
            let mut args = vec!["-c", &comm];
            args.extend(counting);
            let lines = json_while(tool, stop, &args, || {
                match tool {
                    "openat_count" => run_workload(&comm, &["open", &binary]),
                    _ => run_workload(&comm, &["exec", "1", &binary]),
                };
            });
            match tool {
                "openat_count" => (lines, "comm", comm.clone().into()),
                _ => (lines, "path", binary.as_str().into()),
            }
        }
        "execve_count" => {
            let name = unique_name("recx");
            let binary = unique_copy_of("/bin/true", &name);
            let mut args = vec!["-c", &name];
            args.extend(counting);
            let lines = json_while(tool, stop, &args, || {
                run_workload(&comm, &["exec", "1", &binary]);
            });
            (lines, "name", name.into())
        }
        "sendrecv_count" | "sendto_by_ip" | "filetop" => {
            let path = unique_path("recfile");
            let action: Vec<&str> = match tool {
                "sendrecv_count" => vec!["udp", "3"],
                "sendto_by_ip" => vec!["sendto", "127.0.0.2:9", "3"],
                _ => vec!["write", &path, "8"],
            };
            let workload = PendingWorkload::spawn(&comm, &action);
            let pid = workload.pid().to_string();
            let mut args = vec!["-p", &pid];
            args.extend(counting);
            let lines = json_while(tool, stop, &args, || {
                workload.go();
            });
            let _ = std::fs::remove_file(&path);
            match tool {
                "sendrecv_count" => (lines, "sent", 3.into()),
                "sendto_by_ip" => (lines, "dest", "127.0.0.2".into()),
                _ => {
                    let name = Path::new(&path).file_name().unwrap().to_string_lossy();
                    (lines, "file", name.into_owned().into())
                }
            }
        }
        "netpkt_count" => {
            let pair = VethPair::create("rp");
            let sender = unique_copy_of(&tool_binary("icmp_sender"), &comm);
            let mut args = vec!["-c", &comm];
            args.extend(counting);
            let lines = json_while(tool, stop, &args, || {
                let sent = pair
                    .in_a(&sender)
                    .args([pair.dev_a.as_str(), "--count", "2", "--dst-ip", pair.ip_b])
                    .status()
                    .unwrap();
                assert!(sent.success());
            });
            assert!(
                total(&lines)["total"]["tx"].as_u64() >= Some(2),
                "{lines:?}"
            );
            (lines, "scope", "total".into())
        }
        "xdp_drop_count" => {
            let pair = VethPair::create("rx");
            let xdp = tool_binary(tool);
            // Served on B's loopback (a namespace of its own: any port is free).
            let mut tool_args = vec![pair.dev_b.as_str()];
            tool_args.extend(counting);
            tool_args.extend(["--metrics-addr", "127.0.0.1:9435"]);
            // With only the exporter unit's capabilities, as json_while runs the others.
            let setpriv = as_the_unit_runs(&xdp, &tool_args);
            let mut args = vec!["netns", "exec", &pair.ns_b, "setpriv"];
            args.extend(setpriv.iter().map(String::as_str));
            let tracer = Tracer::start("ip", &args);
            let ping = pair
                .in_a("ping")
                .args(["-c", "1", "-W", "1", pair.ip_b])
                .output()
                .expect("cannot run ping (install iputils-ping)");
            assert!(ping.status.success(), "{ping:?}");
            let packets = "ebpf_tracers_xdp_drop_count_packets_total";
            let exposition = pair.within_b(|| {
                scrape_until(9435, Duration::from_secs(20), |body| {
                    sample(body, packets, &[("proto", "icmp")]) >= Some(1.0)
                })
            });
            let exposition = exposition.unwrap_or_else(|| panic!("no icmp {packets} in B"));
            assert_promtool_accepts(tool, &exposition);
            let finished = tracer.stop_cleanly(stop);
            (finished.json_lines(), "proto", "icmp".into())
        }
        other => panic!("{other} is in the registry but this test has no run for it: add one"),
    };
    assert!(
        shows(&lines, field, &value),
        "{tool}: no {field} = {value} in {lines:?}"
    );
    true
}

/// A test per tool, named after it, and `RECORDS`: each tool with the signal its run
/// is stopped by (SIGINT for some tools of each kind, SIGTERM for the others).
macro_rules! record_tests {
    ($($tool:ident: $stop:ident,)*) => {
        $(
            #[test]
            fn $tool() {
                tracer_test!();
                if !run_on_an_event(stringify!($tool), Stop::$stop) {
                    report_skip(
                        &test_name(),
                        "this kernel has no kprobes (the vmtest guests run it)",
                    );
                }
            }
        )*
        pub const RECORDS: &[(&str, Stop)] = &[$((stringify!($tool), Stop::$stop)),*];
    };
}

record_tests! {
    opensnoop: Interrupt,
    execsnoop: Terminate,
    unlinksnoop: Terminate,
    mkdirsnoop: Interrupt,
    bashreadline: Terminate,
    hello: Interrupt,
    netdev_trace: Terminate,
    arpsnoop: Interrupt,
    key_pressed: Terminate,
    execguard: Interrupt,
    kmalloc_bytes: Interrupt,
    openat_count: Terminate,
    execve_count: Interrupt,
    execs_by_user: Terminate,
    sendrecv_count: Interrupt,
    sendto_by_ip: Terminate,
    filetop: Interrupt,
    netpkt_count: Terminate,
    xdp_drop_count: Interrupt,
}

#[test]
fn every_registered_tool_has_a_test() {
    for tool in tools::ALL {
        let tested = RECORDS.iter().any(|(name, _)| *name == tool.name);
        if tool.kind == ToolKind::Helper {
            assert!(tool.event_schema().is_none() && tool.report_schema().is_none());
            assert!(!tested, "{} is a helper: it prints no records", tool.name);
        } else {
            assert!(
                tested,
                "{} is in the registry but has no test here: add one",
                tool.name
            );
        }
    }
    for (name, _) in RECORDS {
        assert!(tools::find(name).is_some(), "{name} is not in the registry");
    }
}

#[test]
fn the_declaration_check_refuses_drift() {
    let open = serde_json::json!({
        "time": "2026-11-23T10:04:05.123456789Z", "pid": 1, "tid": 1, "uid": 0, "comm": "cat",
        "fd": 3, "err": 0, "flags": 0, "mode": 0, "path": "/etc/hostname"
    });
    assert_declared("opensnoop", &open);
    let drifted = [
        ("uid", serde_json::json!("0")),
        ("undeclared", serde_json::json!(1)),
        ("path", Value::Null),
    ];
    for (field, value) in drifted {
        let mut line = open.clone();
        line[field] = value;
        let checked = std::panic::catch_unwind(|| assert_declared("opensnoop", &line));
        assert!(checked.is_err(), "{field} drifted unnoticed: {line}");
    }
    for field in ["path", "time"] {
        let mut missing = open.clone();
        missing.as_object_mut().unwrap().remove(field);
        let checked = std::panic::catch_unwind(|| assert_declared("opensnoop", &missing));
        assert!(checked.is_err(), "no {field}, unnoticed: {missing}");
    }
    for time in [
        "12:00:00",
        "2026-11-23T10:04:05Z",
        "2026-11-23T11:04:05.123456789+01:00",
    ] {
        let mut line = open.clone();
        line["time"] = time.into();
        let checked = std::panic::catch_unwind(|| assert_declared("opensnoop", &line));
        assert!(checked.is_err(), "time {time} passed as RFC 3339 UTC ns");
    }
}
