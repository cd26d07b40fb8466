//! filetop against writes the test itself makes (catalogue row: filetop).

use crate::helpers::*;

const FILETOP: &str = env!("CARGO_BIN_EXE_filetop");

/// Runs filetop (with `tool_args`) on a workload that writes 64 KiB (16 calls) to
/// `path` (`work`: workload options before its action); returns the workload's pid and
/// the final report's rows whose FILE is `shown` (the file's name, or with -F its path).
fn write_64_kib(
    tool_args: &[&str],
    work: &[&str],
    path: &str,
    shown: impl Fn(&str) -> bool,
) -> (u32, Vec<serde_json::Value>, Finished) {
    let mut work = work.to_vec();
    work.extend_from_slice(&["write", path, "64"]);
    // Started first: the pid is known to -p before the tool attaches.
    let workload = PendingWorkload::spawn(&unique_name("ft"), &work);
    let pid = workload.pid().to_string();
    let mut args = vec!["-p", pid.as_str(), "--json", "-i", "3600"];
    args.extend_from_slice(tool_args);
    let tracer = Tracer::start(FILETOP, &args);
    workload.go();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let rows = total_report(&finished)["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {}", finished.stdout))
        .iter()
        .filter(|row| row["file"].as_str().is_some_and(&shown))
        .cloned()
        .collect();
    (pid.parse().unwrap(), rows, finished)
}

/// `write_64_kib` on a new file in the temporary directory, shown by its name.
fn write_64_kib_to_a_new_file(
    tool_args: &[&str],
    tag: &str,
) -> (u32, Vec<serde_json::Value>, Finished) {
    let path = unique_path(tag);
    let name = path.rsplit('/').next().unwrap().to_string();
    let result = write_64_kib(tool_args, &[], &path, |file| file == name);
    std::fs::remove_file(&path).unwrap();
    result
}

fn assert_64_kib_in_16_writes(pid: u32, rows: &[serde_json::Value], finished: &Finished) {
    assert_eq!(rows.len(), 1, "{}", finished.stdout);
    let row = &rows[0];
    assert_eq!(row["tid"], pid);
    assert_eq!(row["t"], "R");
    // Every write counted, 4 KiB each; a kernel that skipped runs of the programs (sid's,
    // under parallel tests) may leave out as many as the report says it skipped.
    let skipped = total_report(finished)["skipped_runs"].as_u64().unwrap_or(0);
    let writes = row["writes"].as_u64().unwrap_or(0);
    assert!(
        writes <= 16 && 16 - writes <= skipped,
        "{writes} of 16 writes counted, {skipped} runs skipped: {row}"
    );
    assert_eq!(row["w_kb"].as_u64(), Some(writes * 4), "{row}");
    assert_eq!(row["reads"], 0);
}

#[test]
fn writes_to_a_file_are_counted_exactly_for_the_pid() {
    tracer_test!();
    let (pid, rows, finished) = write_64_kib_to_a_new_file(&[], "ft");
    let hooks = if kernel_has_kprobes() {
        "via kprobes"
    } else {
        "via tracepoints"
    };
    assert!(finished.stderr.contains(hooks), "{}", finished.stderr);
    assert_64_kib_in_16_writes(pid, &rows, &finished);
}

#[test]
fn tracepoint_mode_finds_the_file_from_the_descriptor() {
    tracer_test!();
    let (pid, rows, finished) = write_64_kib_to_a_new_file(&["--mode", "tracepoint"], "fu");
    assert_64_kib_in_16_writes(pid, &rows, &finished);
}

#[test]
fn full_path_names_a_relative_file_whole_and_marks_a_deep_one_cut() {
    tracer_test!();
    // Two directories down from the temporary one (a 200-byte name among them).
    let dir = LongDir::created("ftf", 1);
    let full = format!("{}/rel", dir.deep);
    let work = ["--cwd", dir.deep.as_str()];
    let (pid, rows, finished) = write_64_kib(&["-F"], &work, "rel", |file| file == full);
    assert_64_kib_in_16_writes(pid, &rows, &finished);
    assert_eq!(rows[0].get("path_cut"), None, "{}", rows[0]);

    // A file whose full path passes PATH_MAX: cut at the root end, marked in the path
    // ("...") and in JSON (path_cut).
    let deep = LongDir::new("ftdeep", 4600);
    let work = ["--cwd", deep.deep.as_str(), "--make-cwd"];
    let tail = format!("{}/f", &deep.deep[deep.deep.len() - 1000..]);
    let (pid, rows, finished) = write_64_kib(&["-F"], &work, "f", |file| file.ends_with(&tail));
    assert_64_kib_in_16_writes(pid, &rows, &finished);
    let file = rows[0]["file"].as_str().unwrap();
    assert!(file.starts_with(".../") && file.len() <= 4096 + 3, "{file}");
    assert_eq!(rows[0]["path_cut"], true, "{}", rows[0]);
}

record_test!(filetop, |tool, stop, comm| {
    let path = unique_path("recfile");
    let workload = PendingWorkload::spawn(&comm, &["write", &path, "8"]);
    let pid = workload.pid().to_string();
    let mut args = vec!["-p", &pid];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        workload.go();
    });
    let _ = std::fs::remove_file(&path);
    let name = std::path::Path::new(&path)
        .file_name()
        .unwrap()
        .to_string_lossy();
    Shown::Event(lines, "file", name.into_owned().into())
});
