//! The pieces of a streamed open (issue 28): opensnoop's programs' own time per open
//! (bpf_stats) with its exit stopped after each piece (configs::piece_configs), beside
//! bpftrace's enter/exit hash pair alone, on the host and in the guest (where the
//! kernel is another, and bpftrace's and our programs meet other helpers).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::configs::piece_configs;
use crate::report::median;
use crate::workload::bpf_per_iteration;

/// Before each JSON row the guest prints.
const ROW: &str = "BENCH-PIECE ";

/// One piece's row: a configuration's median time per open over the runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PieceRow {
    pub name: String,
    pub ns: f64,
}

/// Every configuration `runs` times, rotated run by run, `opens` opens of `target`
/// each: the median per configuration, in the configurations' order.
/// Where opensnoop's fexit program attaches (BPF trampolines: the guests), its row
/// runs too.
pub fn measure(
    runs: usize,
    opens: u64,
    target: &str,
    work: &Path,
) -> Result<Vec<PieceRow>, String> {
    let fexit = ebpf_tracers::kernel::preflight::resolve_fexit_functions(
        ebpf_tracers::tools::opensnoop::HOOKS.functions,
    )
    .is_ok();
    let configs = piece_configs(fexit);
    let mut ns: HashMap<&str, Vec<f64>> = HashMap::new();
    let opens = opens.to_string();
    for run in 0..runs {
        let start = run % configs.len();
        for (name, tracer) in configs[start..].iter().chain(&configs[..start]) {
            eprintln!("bench: run {}/{runs}: bpf_stats: {name}", run + 1);
            let cost = bpf_per_iteration(tracer, &["open-loop", &opens, target], work)?;
            ns.entry(name).or_default().push(cost.ns);
        }
    }
    Ok(configs
        .iter()
        .map(|(name, _)| PieceRow {
            name: name.to_string(),
            ns: median(ns.remove(name).unwrap_or_default()),
        })
        .collect())
}

/// Inside the guest: measures and prints one `ROW` line per configuration.
pub fn in_guest(runs: usize, opens: u64) -> Result<(), String> {
    let work = std::env::temp_dir().join(format!("ebpf_tracers_bench_pc_{}", std::process::id()));
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let target = work.join("opened");
    let result = fs::write(&target, b"x")
        .map_err(|e| e.to_string())
        .and_then(|()| measure(runs, opens, &target.to_string_lossy(), &work));
    let _ = fs::remove_dir_all(&work);
    crate::report::print_rows(ROW, &result?)
}

/// The rows a guest printed.
pub fn from_guest_output(stdout: &str) -> Vec<PieceRow> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix(ROW))
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect()
}

/// What each piece adds: the difference between a row and the one before it.
pub fn costs(rows: &[PieceRow], title: &str) -> String {
    let ns = |row: &str| rows.iter().find(|r| r.name == row).map(|r| r.ns);
    let steps = [
        (
            "in-flight pair (enter + get/done)",
            None,
            "pieces: in-flight pair, task storage",
        ),
        (
            "task header",
            Some("pieces: in-flight pair, task storage"),
            "pieces: + task header",
        ),
        (
            "path read",
            Some("pieces: + task header"),
            "pieces: + path read",
        ),
        (
            "time stamp",
            Some("pieces: + path read"),
            "pieces: + time stamp",
        ),
        (
            "ring buffer output",
            Some("pieces: + time stamp"),
            "pieces: + ring output (the whole event)",
        ),
    ];
    let mut out = format!("\n{title}:\n");
    for row in rows {
        out.push_str(&format!("  {:<44} {:>7.1} ns\n", row.name, row.ns));
    }
    out.push_str("  what each piece adds:\n");
    for (piece, before, after) in steps {
        let Some(after) = ns(after) else {
            return out;
        };
        let cost = after - before.and_then(ns).unwrap_or(0.0);
        out.push_str(&format!("    {piece:<42} {cost:>7.1} ns\n"));
    }
    let whole = ns("pieces: + ring output (the whole event)");
    if let (Some(pair), Some(whole)) = (ns("pieces: bpftrace enter/exit hash pair only"), whole) {
        out.push_str(&format!(
            "    whole event / bpftrace's hash pair alone   {:>7.2}\n",
            whole / pair
        ));
    }
    if let (Some(fexit), Some(whole)) = (ns("pieces: fexit, the whole event (one program)"), whole)
    {
        out.push_str(&format!(
            "    fexit's whole event / the tracepoints'     {:>7.2}\n",
            fexit / whole
        ));
    }
    out
}
