//! The workload the bench times (the `workload` helper's loops) and what one run of it
//! under a tracer gives: its speed, the events delivered and lost, the tracer's cost.

use std::fs;
use std::fs::File;
use std::io::BufRead;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::bpf_objects::prog_ids_of;
use crate::bpf_objects::prog_stats;
use crate::tracer::start;
use crate::tracer::stop;
use crate::tracer::Tracer;

pub const WORKLOAD: &str = env!("CARGO_BIN_EXE_workload");
pub const WORKLOAD_COMM: &str = "bench_open";

/// Runs the workload with `args` to its end: its ns_per_iter and iterations lines.
pub fn run_workload(args: &[&str]) -> Result<(f64, u64), String> {
    let output = Command::new(WORKLOAD)
        .args(["--comm", WORKLOAD_COMM])
        .args(args)
        .output()
        .map_err(|e| format!("workload: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "workload {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let field = |name: &str| -> Option<f64> {
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            if word == name {
                return words.next()?.parse().ok();
            }
        }
        None
    };
    let ns_per_iter = field("ns_per_iter").ok_or("workload printed no ns_per_iter")?;
    let iterations = field("iterations").ok_or("workload printed no iterations")? as u64;
    Ok((ns_per_iter, iterations))
}

#[derive(Debug, Clone)]
pub struct Sample {
    pub ns_per_iter: f64,
    pub caused: u64,
    pub delivered: Option<u64>,
    pub lost: u64,
    pub tracer_cpu: Option<Duration>,
    pub peak_rss_kib: Option<u64>,
}

/// One workload run, under `tracer` if any.
pub fn measure(
    tracer: Option<&Tracer>,
    workload_args: &[&str],
    work: &Path,
    path: Option<&str>,
) -> Result<Sample, String> {
    let running = match tracer {
        Some(tracer) => Some(start(tracer, work)?),
        None => None,
    };
    let (ns_per_iter, caused) = match run_workload(workload_args) {
        Ok(figures) => figures,
        Err(err) => {
            if let Some(running) = running {
                let _ = stop(running);
            }
            return Err(err);
        }
    };
    let Some(running) = running else {
        return Ok(Sample {
            ns_per_iter,
            caused,
            delivered: None,
            lost: 0,
            tracer_cpu: None,
            peak_rss_kib: None,
        });
    };
    let stopped = stop(running)?;
    let delivered = match (&stopped.out_path, path) {
        (Some(out), Some(path)) => Some(count_lines_for(out, path)?),
        _ => None,
    };
    if let Some(out) = &stopped.out_path {
        let _ = fs::remove_file(out);
    }
    // Write back what the run left dirty now, not during the next run.
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
    Ok(Sample {
        ns_per_iter,
        caused,
        delivered,
        lost: lost_events(&stopped.stderr),
        tracer_cpu: Some(stopped.cpu),
        peak_rss_kib: Some(stopped.peak_rss_kib),
    })
}

/// What a tracer's programs cost per workload iteration.
#[derive(Debug, Clone, Copy)]
pub struct BpfCost {
    /// Their summed run time, ns.
    pub ns: f64,
    /// Their runs (how many hooks fire per iteration).
    pub runs: f64,
}

/// Runs the workload once under `tracer` with kernel.bpf_stats_enabled on: the run
/// time and runs of the tracer's programs per workload iteration.
pub fn bpf_per_iteration(
    tracer: &Tracer,
    workload_args: &[&str],
    work: &Path,
) -> Result<BpfCost, String> {
    let running = start(tracer, work)?;
    let programs = prog_ids_of(running.child.id());
    let stats = BpfStats::enable()?;
    let before = prog_stats(&programs);
    let output = run_workload(workload_args);
    let after = prog_stats(&programs);
    drop(stats);
    let stopped = stop(running)?;
    if let Some(out) = stopped.out_path {
        let _ = fs::remove_file(out);
    }
    let (_, iterations) = output?;
    let per = |n: u64| n as f64 / iterations.max(1) as f64;
    Ok(BpfCost {
        ns: per(after.run_time_ns - before.run_time_ns),
        runs: per(after.run_cnt - before.run_cnt),
    })
}

/// kernel.bpf_stats_enabled on for as long as this lives (off again when dropped): the
/// kernel counts programs' run time only then, at some cost to every run.
pub struct BpfStats(());

impl BpfStats {
    pub fn enable() -> Result<BpfStats, String> {
        set_bpf_stats("1")?;
        Ok(BpfStats(()))
    }
}

impl Drop for BpfStats {
    fn drop(&mut self) {
        let _ = set_bpf_stats("0");
    }
}

fn set_bpf_stats(value: &str) -> Result<(), String> {
    fs::write("/proc/sys/kernel/bpf_stats_enabled", value)
        .map_err(|e| format!("kernel.bpf_stats_enabled: {e}"))
}

/// Lines of opensnoop output (ours or C: PID COMM FD ERR PATH) for the workload's path.
pub fn count_lines_for(out: &Path, path: &str) -> Result<u64, String> {
    let file = File::open(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut count = 0;
    for line in BufReader::with_capacity(1 << 20, file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.ends_with(path) && line.contains(WORKLOAD_COMM) {
            count += 1;
        }
    }
    Ok(count)
}

/// Ours: "opensnoop: N events lost ..."; C: "lost N events on CPU #c" per report.
pub fn lost_events(stderr: &str) -> u64 {
    let mut lost = 0;
    for line in stderr.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if pair[0] == "lost" {
                lost += pair[1].parse::<u64>().unwrap_or(0);
            } else if pair[1] == "events" && words.contains(&"lost:") {
                lost += pair[0].parse::<u64>().unwrap_or(0);
            }
        }
    }
    lost
}
