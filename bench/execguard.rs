//! execguard's cost: an exec and an executable mmap with execguard loaded (ten deny
//! rules, none of them matching) against the same without it.
//!
//! BPF LSM programs load only on a kernel booted with `lsm=...,bpf`; the bench's host
//! may refuse them (ours does), so these rows run in a vmtest guest (`scripts/vmtest.sh`
//! with VMTEST_BENCH naming this binary, Debian sid's kernel unless BENCH_GUEST_KERNEL
//! says another). The guest runs under whatever QEMU can give it: under TCG (software
//! emulation) every figure is many times a real machine's, so the table gives the
//! ratio of the two configurations, measured in the same guest and run, beside them.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::tracer::ours;
use crate::tracer::EXECGUARD;
use crate::workload::bpf_per_iteration;
use crate::workload::measure;
use crate::workload::run_workload;

/// The argument that makes the bench binary measure these rows (inside the guest).
pub const IN_GUEST: &str = "--execguard-in-guest";
/// How the guest prints a row for the host to read (the guest's console is its log).
const ROW: &str = "BENCH-EXECGUARD ";
/// Deny rules loaded, on files the workload never runs.
pub const RULES: usize = 10;

/// One workload under both configurations, in one guest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GuestRow {
    /// The guest's kernel release.
    pub kernel: String,
    /// "exec" (fork, execve /bin/true, wait) or "mmap" (PROT_EXEC map and unmap).
    pub workload: String,
    pub iterations: u64,
    /// ns per iteration without execguard, one per run.
    pub without_ns: Vec<f64>,
    /// ns per iteration with execguard loaded, one per run (runs interleaved).
    pub with_ns: Vec<f64>,
    /// execguard's programs' own time per iteration (kernel.bpf_stats_enabled, one run).
    pub bpf_ns: f64,
    /// Runs of execguard's programs per iteration in that run (which hooks fire).
    pub bpf_runs_per_iteration: f64,
}

/// What the guest measured, or why nothing was.
pub struct GuestRows {
    /// The guest's series in vmtest.toml (debian-SERIES).
    pub series: String,
    pub rows: Result<Vec<GuestRow>, String>,
    /// The pieces of a streamed open the guest measured (pieces.rs), if any.
    pub pieces: Vec<crate::pieces::PieceRow>,
}

/// Inside the guest: measures and prints one `ROW` line per workload.
pub fn in_guest(runs: usize, execs: u64, maps: u64) -> Result<(), String> {
    // What execguard itself checks first (securityfs, `bpf` active, a program loads).
    ebpf_tracers::kernel::preflight::check_bpf_lsm().map_err(|why| format!("{why:#}"))?;
    let work = std::env::temp_dir().join(format!("ebpf_tracers_bench_eg_{}", std::process::id()));
    let result = measure_in(&work, runs, execs, maps);
    let _ = fs::remove_dir_all(&work);
    crate::report::print_rows(ROW, &result?)
}

fn measure_in(work: &Path, runs: usize, execs: u64, maps: u64) -> Result<Vec<GuestRow>, String> {
    fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let copy = |name: &str| -> Result<String, String> {
        let path = work.join(name);
        fs::copy("/bin/true", &path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.to_string_lossy().into_owned())
    };
    let denied: Vec<String> = (0..RULES)
        .map(|i| copy(&format!("denied{i}")))
        .collect::<Result<_, _>>()?;
    // The mapped file on the guest's own tmpfs, not the host's 9p root.
    let mapped = copy("mapped")?;
    let mut args = Vec::new();
    for path in &denied {
        args.extend(["--deny", path.as_str()]);
    }
    let guard = ours("execguard", EXECGUARD, &args, false);
    let workloads: [(&str, Vec<String>); 2] = [
        (
            "exec",
            vec!["exec-loop".into(), execs.to_string(), "/bin/true".into()],
        ),
        (
            "mmap",
            vec!["map-loop".into(), maps.to_string(), mapped.clone()],
        ),
    ];
    let mut rows = Vec::new();
    for (name, workload) in &workloads {
        let workload: Vec<&str> = workload.iter().map(String::as_str).collect();
        // One unmeasured run: caches settle.
        run_workload(&workload)?;
        let (mut without_ns, mut with_ns) = (Vec::new(), Vec::new());
        let mut iterations = 0;
        for run in 0..runs {
            eprintln!("bench (guest): run {}/{runs}: {name}", run + 1);
            // Alternate which goes first, so that neither always follows the other.
            for loaded in [run % 2 == 0, run % 2 == 1] {
                let sample = measure(loaded.then_some(&guard), &workload, work, None)?;
                iterations = sample.caused;
                if loaded {
                    &mut with_ns
                } else {
                    &mut without_ns
                }
                .push(sample.ns_per_iter);
            }
        }
        eprintln!("bench (guest): bpf_stats: {name}");
        let bpf = bpf_per_iteration(&guard, &workload, work)?;
        rows.push(GuestRow {
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            workload: name.to_string(),
            iterations,
            without_ns,
            with_ns,
            bpf_ns: bpf.ns,
            bpf_runs_per_iteration: bpf.runs,
        });
    }
    Ok(rows)
}

/// On the host: boots the guest, runs `IN_GUEST` in it, and reads its rows. A guest
/// that cannot run gives the reason instead of rows (the host's rows still stand).
pub fn from_guest(runs: usize, execs: u64, maps: u64) -> GuestRows {
    let series = std::env::var("BENCH_GUEST_KERNEL").unwrap_or_else(|_| "sid".into());
    let (rows, pieces) = if std::env::var("BENCH_GUEST").as_deref() == Ok("0") {
        (Err("not run (BENCH_GUEST=0)".into()), Vec::new())
    } else {
        run_guest(&series, runs, execs, maps)
    };
    GuestRows {
        series,
        rows,
        pieces,
    }
}

/// execguard's rows (or why there are none), and the pieces' rows.
type FromGuest = (Result<Vec<GuestRow>, String>, Vec<crate::pieces::PieceRow>);

fn run_guest(kernel: &str, runs: usize, execs: u64, maps: u64) -> FromGuest {
    match guest_output(kernel, runs, execs, maps) {
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let pieces = crate::pieces::from_guest_output(&stdout);
            (execguard_rows(&output), pieces)
        }
        Err(why) => (Err(why), Vec::new()),
    }
}

fn guest_output(
    kernel: &str,
    runs: usize,
    execs: u64,
    maps: u64,
) -> Result<std::process::Output, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/vmtest.sh");
    eprintln!(
        "bench: execguard and pieces rows in the {kernel} guest (scripts/vmtest.sh, a few minutes)"
    );
    Command::new(&script)
        .env("VMTEST_BENCH", &me)
        .env("VMTEST_KERNELS", kernel)
        .env("BENCH_RUNS", runs.to_string())
        .env("BENCH_GUEST_EXECS", execs.to_string())
        .env("BENCH_GUEST_MAPS", maps.to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))
}

fn execguard_rows(output: &std::process::Output) -> Result<Vec<GuestRow>, String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<GuestRow> = stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix(ROW))
        .map(|json| serde_json::from_str(json).map_err(|e| format!("a row the guest printed: {e}")))
        .collect::<Result<_, _>>()?;
    if rows.is_empty() || !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no rows and nothing said");
        return Err(format!("the guest gave no rows: {}", why.trim()));
    }
    Ok(rows)
}
