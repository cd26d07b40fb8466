//! `make bench`: ebpf-tracers side by side with the tools people would use instead
//! (bcc's libbpf-tools, bpftrace), in the same run, on the same workload binary.
//!
//! Measures (medians over BENCH_RUNS runs, configurations interleaved run by run so
//! that drift hits all alike):
//! 1. workload slowdown under opensnoop: N open+close calls with no tracer, with a
//!    bpftrace counter on sys_enter_openat (the kernel-side floor), with C opensnoop
//!    and ours (ring buffer and --perf-buffer) streaming to a file, and filtered out;
//! 2. events delivered vs caused in the streaming runs, and lost-event reports;
//! 3. aggregating cost: kmalloc_bytes and openat_count against bpftrace one-liners;
//! 4. exec-to-readiness and peak RSS; 5. tracer CPU time per million events;
//! 6. the pieces of a streamed open (in-flight pair, task header, path, submit), by
//!    opensnoop's exit stopping one piece later in each row;
//! 7. execguard's cost per exec and per executable mmap, in a vmtest guest (BPF LSM).
//!
//! Prints one table and writes bench/results/<date>.json.
//!
//! In modules by concern: `tracer` (starting, readiness, stopping), `workload` (the
//! timed loops, bpf_stats), `configs` (the rows), `scrape` (the exporter's side),
//! `execguard` (the guest rows), `report` (table and JSON). The kernel objects and
//! loopback HTTP are read as the integration tests read them: their helper files are
//! included here (`bpf_objects`, `http`).

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Duration;
use std::time::Instant;

#[path = "../tests/it/helpers/bpf_objects.rs"]
#[allow(dead_code)]
mod bpf_objects;
mod configs;
mod execguard;
#[path = "../tests/it/helpers/http.rs"]
mod http;
mod pieces;
mod report;
mod scrape;
mod tracer;
mod workload;

use configs::aggregating_configs;
use configs::exec_configs;
use configs::open_configs;
use configs::startup_tracers;
use configs::BenchCgroups;
use report::Report;
use scrape::free_port;
use scrape::scrape_of_many_series;
use scrape::Scraper;
use scrape::SCRAPE_SERIES;
use tracer::loaded_programs;
use tracer::start;
use tracer::stop;
use tracer::C_EXECSNOOP;
use tracer::C_OPENSNOOP;
use workload::bpf_per_iteration;
use workload::measure;
use workload::Sample;

/// Execs and executable maps per guest run (TCG makes an exec take milliseconds).
const GUEST_EXECS: u64 = 300;
const GUEST_MAPS: u64 = 100_000;
/// Opens per configuration of the pieces in the guest (BENCH_GUEST_OPENS).
const GUEST_OPENS: u64 = 20_000;

fn main() {
    // cargo bench passes --bench; the guest's run passes IN_GUEST too.
    let in_guest = std::env::args().any(|arg| arg == execguard::IN_GUEST);
    let outcome = if in_guest {
        let runs = env_number("BENCH_RUNS", 3) as usize;
        // The pieces first: they need no BPF LSM, which execguard's rows check for. A
        // guest without them still gives execguard's rows (the host says which are
        // missing).
        if let Err(why) = pieces::in_guest(runs, env_number("BENCH_GUEST_OPENS", GUEST_OPENS)) {
            eprintln!("bench: no pieces in this guest: {why}");
        }
        execguard::in_guest(
            runs,
            env_number("BENCH_GUEST_EXECS", GUEST_EXECS),
            env_number("BENCH_GUEST_MAPS", GUEST_MAPS),
        )
    } else {
        run()
    };
    if let Err(err) = outcome {
        eprintln!("bench: {err}");
        std::process::exit(1);
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("needs root (it loads BPF programs): sudo make bench".into());
    }
    for needed in [
        C_OPENSNOOP,
        C_EXECSNOOP,
        "/usr/bin/bpftrace",
        "/usr/sbin/bpftool",
    ] {
        if !Path::new(needed).exists() {
            return Err(format!(
                "{needed} is missing: run `make bench`, which installs it"
            ));
        }
    }
    let loaded = loaded_programs();
    if loaded > 0 {
        return Err(format!(
            "{loaded} BPF programs are already loaded (bpftool prog list): another tracer would \
             distort every figure; stop it first"
        ));
    }
    let runs = env_number("BENCH_RUNS", 3) as usize;
    let n = env_number("BENCH_N", 1_000_000);
    let pipes = env_number("BENCH_PIPES", 200_000);
    let execs = env_number("BENCH_EXECS", 2_000).to_string();
    let work = std::env::temp_dir().join(format!("ebpf_tracers_bench_{}", std::process::id()));
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let target = work.join("opened");
    fs::write(&target, b"x").map_err(|e| e.to_string())?;
    let target = target.to_string_lossy().into_owned();
    let started = Instant::now();
    // One unmeasured run first: page cache, dentry cache and CPU frequency settle.
    measure(None, &["open-loop", &n.to_string(), &target], &work, None)?;
    measure(None, &["pipe-loop", &pipes.to_string()], &work, None)?;

    let cgroups = BenchCgroups::create()?;
    // The exporter rows serve on these ports, scraped every second as Prometheus would.
    let (opensnoop_port, openat_count_port) = (free_port()?, free_port()?);
    let scraper = Scraper::start(vec![opensnoop_port, openat_count_port]);
    let open_configs = open_configs(&cgroups, &format!("127.0.0.1:{opensnoop_port}"));
    let mut open_results: HashMap<&str, Vec<Sample>> = HashMap::new();
    for run in 0..runs {
        // Each run starts at another configuration, so none always follows the same one.
        for (name, tracer) in rotated(&open_configs, run) {
            eprintln!("bench: run {}/{runs}: {name}", run + 1);
            let sample = measure(
                tracer.as_ref(),
                &["open-loop", &n.to_string(), &target],
                &work,
                Some(&target),
            )?;
            open_results.entry(name).or_default().push(sample);
        }
    }

    let agg_configs = aggregating_configs(&format!("127.0.0.1:{openat_count_port}"));
    let mut agg_results: HashMap<&str, Vec<Sample>> = HashMap::new();
    for run in 0..runs {
        for (name, tracer, workload) in rotated(&agg_configs, run) {
            eprintln!("bench: run {}/{runs}: {name}", run + 1);
            let args: Vec<String> = match *workload {
                "pipes" => vec!["pipe-loop".into(), pipes.to_string()],
                _ => vec!["open-loop".into(), n.to_string(), target.clone()],
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let sample = measure(tracer.as_ref(), &args, &work, None)?;
            agg_results.entry(name).or_default().push(sample);
        }
    }

    // In-kernel cost, free of the VM's run-to-run noise: the BPF programs' own run
    // time (kernel.bpf_stats_enabled) per workload iteration, one run each.
    let mut bpf_time: Vec<(&str, f64)> = Vec::new();
    for (name, tracer) in open_configs.iter().filter(|(_, t)| t.is_some()) {
        eprintln!("bench: bpf_stats: {name}");
        let ns = bpf_per_iteration(
            tracer.as_ref().unwrap(),
            &["open-loop", &n.to_string(), &target],
            &work,
        )?
        .ns;
        bpf_time.push((name, ns));
    }
    for (name, tracer, workload) in agg_configs.iter().filter(|(_, t, _)| t.is_some()) {
        eprintln!("bench: bpf_stats: {name}");
        let pipes_text = pipes.to_string();
        let n_text = n.to_string();
        let args: Vec<&str> = match *workload {
            "pipes" => vec!["pipe-loop", &pipes_text],
            _ => vec!["open-loop", &n_text, &target],
        };
        let ns = bpf_per_iteration(tracer.as_ref().unwrap(), &args, &work)?.ns;
        bpf_time.push((name, ns));
    }

    // The pieces of a streamed open, interleaved run by run (pieces.rs).
    let pieces = pieces::measure(runs, n, &target, &work)?;

    // An exec's in-kernel cost: the tracers' programs' run time per exec of /bin/true.
    for (name, tracer) in exec_configs() {
        eprintln!("bench: bpf_stats: {name}");
        let ns = bpf_per_iteration(&tracer, &["exec-loop", &execs, "/bin/true"], &work)?.ns;
        bpf_time.push((name, ns));
    }

    let scrapes = scraper.stop();

    eprintln!("bench: one scrape of {SCRAPE_SERIES} series");
    let scrape = scrape_of_many_series(&work, &target)?;

    let mut startups: Vec<(&str, Vec<Duration>, Vec<u64>)> = Vec::new();
    for tracer in startup_tracers() {
        let mut times = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..runs.max(5) {
            let running = start(&tracer, &work)?;
            times.push(running.startup);
            let stopped = stop(running)?;
            rss.push(stopped.peak_rss_kib);
        }
        startups.push((tracer.name, times, rss));
    }
    let _ = fs::remove_dir_all(&work);

    let guest = execguard::from_guest(
        runs,
        env_number("BENCH_GUEST_EXECS", GUEST_EXECS),
        env_number("BENCH_GUEST_MAPS", GUEST_MAPS),
    );

    let report = Report {
        n,
        pipes,
        runs,
        open_order: open_configs.iter().map(|(name, _)| *name).collect(),
        open: open_results,
        agg_order: agg_configs.iter().map(|(name, _, _)| *name).collect(),
        agg: agg_results,
        startups,
        bpf_time,
        pieces,
        scrapes,
        scrape,
        guest,
        took: started.elapsed(),
    };
    print!("{}", report.table());
    let path = report
        .save()
        .map_err(|e| format!("cannot write results: {e}"))?;
    println!("\nresults: {}", path.display());
    Ok(())
}

fn rotated<T>(items: &[T], by: usize) -> impl Iterator<Item = &T> {
    let start = by % items.len().max(1);
    items[start..].iter().chain(&items[..start])
}
