//! Every tool of the registry (ebpf_tracers::tools::ALL), run on an event the test
//! causes: the event shows up, every JSON line the tool prints has exactly the fields,
//! with the types, that the tool's record declaration says (`Finished::json_lines`
//! checks each line against it), and the run ends cleanly: exit 0 and none of its BPF
//! programs left (`Tracer::stop_cleanly`, by the signal `stop_for` gives the tool;
//! stopping.rs proves every other way to stop on a few tools of each kind). Every tool
//! that serves metrics runs here with exactly the exporter unit's capabilities
//! (`as_the_unit_runs`) and is scraped.
//!
//! Each tool's run is in the tool's own test module (`record_test!`, tests/it/main.rs):
//! the test `<module>::<tool>::records`. A tool added to the registry without one fails
//! `every_registered_tool_has_a_test`, which reads this binary's own test list.

use std::time::Duration;

use crate::helpers::metrics::*;
use crate::helpers::*;
use ebpf_tracers::tools;
use ebpf_tracers::tools::ToolKind;
use serde_json::Value;

/// A counting tool's arguments for one report at its end.
pub const COUNTING: [&str; 3] = ["--json", "-i", "3600"];

/// What a tool's run showed.
pub enum Shown {
    /// Its JSON lines, of which one (or a report row) must have `field` = `value`.
    Event(Vec<Value>, &'static str, Value),
    /// Not run here, and already said why (e.g. `bpf_lsm_active`).
    SkipSaid,
    /// Not run: this kernel has no kprobes (the vmtest guests run it).
    NeedsKprobes,
}

/// The signal a tool's records run is stopped by: SIGINT and SIGTERM by turns along
/// the registry, within each kind of tool, so that both are proven on every kind.
pub fn stop_for(tool: &str) -> Stop {
    let registered = tools::find(tool).unwrap_or_else(|| panic!("{tool} is not in the registry"));
    let turn = tools::ALL
        .iter()
        .filter(|t| t.kind == registered.kind)
        .position(|t| t.name == tool)
        .unwrap();
    if turn % 2 == 0 {
        Stop::Interrupt
    } else {
        Stop::Terminate
    }
}

/// A records test's body (`record_test!`): runs `tool` by `run` and checks what it
/// showed.
pub fn prove(tool: &'static str, run: fn(&'static str, Stop, String) -> Shown) {
    match run(tool, stop_for(tool), unique_name("rec")) {
        Shown::Event(lines, field, value) => assert!(
            shows(&lines, field, &value),
            "{tool}: no {field} = {value} in {lines:?}"
        ),
        Shown::SkipSaid => {}
        Shown::NeedsKprobes => report_skip(
            &test_name(),
            "this kernel has no kprobes (the vmtest guests run it)",
        ),
    }
}

/// Runs `tool` with `args` around `work`, and returns its JSON lines (checked against
/// its declaration). A tool that serves metrics does so here: once its first counter
/// (an event tool: its events) has a sample, promtool must accept the exposition.
pub fn json_while(tool: &str, stop: Stop, args: &[&str], work: impl FnOnce()) -> Vec<Value> {
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
pub fn total(lines: &[Value]) -> &Value {
    lines
        .iter()
        .rev()
        .find(|line| line["scope"] == "total")
        .unwrap_or_else(|| panic!("no total report in {lines:?}"))
}

/// Whether one of `lines` has `field` equal to `value`, or one of their report rows does.
pub fn shows(lines: &[Value], field: &str, value: &Value) -> bool {
    lines.iter().any(|line| {
        &line[field] == value
            || line["rows"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|row| &row[field] == value))
    })
}

#[test]
fn every_registered_tool_has_a_test() {
    // libtest's own list of this binary's tests: `<module>::<tool>::records: test`.
    let listed = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--list", "--format", "terse"])
        .output()
        .expect("cannot list the tests");
    let listed = String::from_utf8_lossy(&listed.stdout);
    let tested: Vec<&str> = listed
        .lines()
        .filter_map(|line| line.strip_suffix("::records: test"))
        .filter_map(|path| path.rsplit("::").next())
        .collect();
    for tool in tools::ALL {
        let has = tested.contains(&tool.name);
        if tool.kind == ToolKind::Helper {
            assert!(tool.event_schema().is_none() && tool.report_schema().is_none());
            assert!(!has, "{} is a helper: it prints no records", tool.name);
        } else {
            assert!(
                has,
                "{} is in the registry but has no records test: add record_test!({}, ...) \
                 to its test module",
                tool.name, tool.name
            );
        }
    }
    for name in &tested {
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
