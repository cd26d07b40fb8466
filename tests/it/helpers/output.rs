//! What a tool printed, read back: table cells, JSON reports and events, each JSON line
//! checked against the record its tool declares.

use std::time::SystemTime;

use super::tracer::unless_skipped;
use super::tracer::Finished;
use super::tracer::Tracer;
use super::workload::run_workload;
use super::workload::unique_name;

/// A table's rows under its header line, each split into its whitespace-separated
/// cells.
pub fn table_cells(stdout: &str) -> Vec<Vec<&str>> {
    stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .collect()
}

/// The last JSON report of an aggregating tool (scope "total"); every line of its
/// output must have the fields and types its record declares.
pub fn total_report(finished: &Finished) -> serde_json::Value {
    finished
        .json_lines()
        .into_iter()
        .rev()
        .find(|report| report["scope"] == "total")
        .unwrap_or_else(|| panic!("no total report in:\n{}", finished.stdout))
}

/// Runs `bin` with `args`, starts `workload` once the tool is ready, then stops the
/// tool and returns its final report.
pub fn total_while(bin: &str, args: &[&str], workload: impl FnOnce()) -> serde_json::Value {
    let tracer = Tracer::start(bin, args);
    workload();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    total_report(&finished)
}

/// The registry's name of the tool a command runs: the binary's name, or the first
/// argument that names a tool (`ip netns exec NS xdp_drop_count ...`).
pub fn tool_of(bin: &str, args: &[&str]) -> String {
    let name = |path: &str| {
        std::path::Path::new(path)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    std::iter::once(bin)
        .chain(args.iter().copied())
        .map(name)
        .find(|name| ebpf_tracers::tools::find(name).is_some())
        .unwrap_or_else(|| name(bin))
}

/// Fails unless `line` (one JSON line of `tool`) has exactly the fields its record
/// declares (ebpf_tracers::tools: the JSON Schema derived from the record struct), each
/// of its declared JSON type, and every field the declaration requires. Reports (with a
/// "scope") are checked against the tool's report record, other lines against its event
/// record. `time` is the runtime's, on every line: RFC 3339, UTC, nanoseconds; it is
/// returned.
pub fn assert_declared(tool: &str, line: &serde_json::Value) -> SystemTime {
    let registered = ebpf_tracers::tools::find(tool)
        .unwrap_or_else(|| panic!("{tool} is not in the tool registry"));
    let schema = if line.get("scope").is_some() {
        registered.report_schema()
    } else {
        registered.event_schema()
    };
    let schema = schema.unwrap_or_else(|| panic!("{tool} declares no record for {line}"));
    let root = schema.as_value();
    let mut line = line.clone();
    let time = line
        .as_object_mut()
        .and_then(|object| object.remove("time"))
        .unwrap_or_else(|| panic!("{tool}: no time in {line}"));
    let time = time.as_str().unwrap_or_default();
    // 2026-11-23T10:04:05.123456789Z: UTC, nine digits of fraction.
    let shaped = time.len() == 30 && time.ends_with('Z') && time.as_bytes()[19] == b'.';
    let parsed = humantime::parse_rfc3339(time).ok().filter(|_| shaped);
    let time = parsed.unwrap_or_else(|| panic!("{tool}: time {time:?} is not RFC 3339 UTC ns"));
    if let Err(why) = conforms(root, &line, root) {
        panic!("{tool}: {why}\nline: {line}\nschema: {root}");
    }
    time
}

/// Whether `value` has the shape `schema` declares (the JSON Schema subset schemars
/// derives: $ref, anyOf/oneOf, type, enum, properties/required, items).
fn conforms(
    schema: &serde_json::Value,
    value: &serde_json::Value,
    root: &serde_json::Value,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return conforms(&root["$defs"][name], value, root);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            return match branches.iter().any(|b| conforms(b, value, root).is_ok()) {
                true => Ok(()),
                false => Err(format!("{value} matches none of {schema}")),
            };
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits =
            allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !fits {
            return Err(format!("{value} is {actual}, declared {allowed:?}"));
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.contains(value) {
            return Err(format!("{value} is not one of {choices:?}"));
        }
    }
    if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
        for item in values {
            conforms(items, item, root)?;
        }
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(properties) = properties {
            for (name, field) in fields {
                let declared = properties
                    .get(name)
                    .ok_or_else(|| format!("field {name:?} is not declared"))?;
                conforms(declared, field, root).map_err(|why| format!("{name}: {why}"))?;
            }
        }
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !fields.contains_key(required) {
                return Err(format!("declared field {required:?} is missing"));
            }
        }
    }
    Ok(())
}

/// `counted` is `wanted`, or short by no more than the runs of its programs the tool
/// says the kernel skipped (the report's `skipped_runs`: since 6.13 a preempted syscall
/// tracepoint's program is skipped for another task's event on its CPU).
pub fn assert_counted(report: &serde_json::Value, counted: u64, wanted: u64, what: &str) {
    let skipped = report["skipped_runs"].as_u64().unwrap_or(0);
    assert!(
        counted <= wanted && wanted - counted <= skipped,
        "{what}: {counted} counted of {wanted}, {skipped} runs skipped: {report}"
    );
}

/// `wanted` less the runs the tool says the kernel skipped: the least a count of at
/// least `wanted` events may show when others share its buckets (see `assert_counted`).
pub fn at_least(report: &serde_json::Value, wanted: u64) -> u64 {
    wanted.saturating_sub(report["skipped_runs"].as_u64().unwrap_or(0))
}

/// A report row's `count`.
pub fn count_of(row: &serde_json::Value) -> u64 {
    row["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count in {row}"))
}

/// The rows of a JSON report whose `key` field equals `value`.
pub fn report_rows<'a>(
    report: &'a serde_json::Value,
    key: &str,
    value: &str,
) -> Vec<&'a serde_json::Value> {
    report["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {report}"))
        .iter()
        .filter(|row| row[key] == value)
        .collect()
}

/// The JSON events `bin` (with `--json -c COMM` and `args`) shows while a workload
/// named COMM runs `work` (workload arguments), once one of them is `wanted`; the
/// tracer must exit cleanly. A run the kernel skipped it in is run again
/// (`unless_skipped`), after `fresh` has put back what the work changed.
pub fn json_events_of(
    bin: &str,
    args: &[&str],
    (tag, work, fresh): (&str, &[&str], impl Fn()),
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let comm = unique_name(tag);
    let mut tool_args = vec!["--json", "-c", comm.as_str()];
    tool_args.extend_from_slice(args);
    unless_skipped("no event the test wanted", || {
        fresh();
        let tracer = Tracer::start(bin, &tool_args);
        run_workload(&comm, work);
        let finished = tracer.interrupt();
        finished.assert_clean_exit();
        let events = finished.json_lines();
        if events.iter().any(&wanted) {
            Ok(events)
        } else {
            Err(finished)
        }
    })
}

/// An event whose `path` is `path`.
pub fn has_path(path: &str) -> impl Fn(&serde_json::Value) -> bool + '_ {
    move |event| event["path"] == path
}

/// The one event of `events` whose path is `path`, which must not be marked cut.
pub fn event_with_path<'a>(events: &'a [serde_json::Value], path: &str) -> &'a serde_json::Value {
    let event = events
        .iter()
        .find(|event| event["path"] == path)
        .unwrap_or_else(|| {
            panic!(
                "no event with the path {path} ({} bytes) in {events:?}",
                path.len()
            )
        });
    assert!(event.get("path_cut").is_none(), "{event}");
    event
}
