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
//! 4. exec-to-readiness and peak RSS; 5. tracer CPU time per million events.
//!
//! Prints one table and writes bench/results/<date>.json.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::fs::File;
use std::io::BufRead;
use std::io::BufReader;
use std::io::Read as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::net::TcpStream;
use std::path::Path;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use std::time::Instant;

const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
const KMALLOC_BYTES: &str = env!("CARGO_BIN_EXE_kmalloc_bytes");
const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
const WORKLOAD: &str = env!("CARGO_BIN_EXE_workload");
const EXECSNOOP: &str = env!("CARGO_BIN_EXE_execsnoop");
const EXECVE_COUNT: &str = env!("CARGO_BIN_EXE_execve_count");
const C_OPENSNOOP: &str = "/usr/sbin/opensnoop";
const C_EXECSNOOP: &str = "/usr/sbin/execsnoop";
const BPFTRACE: &str = "bpftrace";
const WORKLOAD_COMM: &str = "bench_open";

/// How a tracer tells us it is attached.
#[derive(Clone, Copy)]
enum Readiness {
    /// Ours: "Tracing ..." on stderr, printed after attach.
    StderrTracing,
    /// C tools and bpftrace: every BPF program the process holds is attached to a
    /// tracepoint perf event of the process (BPF_TASK_FD_QUERY, as `bpftool perf`).
    AllProgramsAttached,
}

#[derive(Clone)]
struct Tracer {
    name: &'static str,
    argv: Vec<String>,
    readiness: Readiness,
    /// Streaming tools write here; the lines are counted afterwards.
    to_file: bool,
}

struct Running {
    child: Child,
    stderr: mpsc::Receiver<String>,
    startup: Duration,
    out_path: Option<PathBuf>,
}

struct Stopped {
    stderr: String,
    cpu: Duration,
    peak_rss_kib: u64,
    out_path: Option<PathBuf>,
}

fn main() {
    if let Err(err) = run() {
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
    // cargo bench passes --bench; no other arguments are taken.
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
        let ns = bpf_ns_per_iteration(
            tracer.as_ref().unwrap(),
            &["open-loop", &n.to_string(), &target],
            &work,
        )?;
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
        let ns = bpf_ns_per_iteration(tracer.as_ref().unwrap(), &args, &work)?;
        bpf_time.push((name, ns));
    }

    // An exec's in-kernel cost: the tracers' programs' run time per exec of /bin/true.
    for (name, tracer) in exec_configs() {
        eprintln!("bench: bpf_stats: {name}");
        let ns = bpf_ns_per_iteration(&tracer, &["exec-loop", &execs, "/bin/true"], &work)?;
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
        scrapes,
        scrape,
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

fn ours(name: &'static str, bin: &str, args: &[&str], to_file: bool) -> Tracer {
    let mut argv = vec![bin.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    Tracer {
        name,
        argv,
        readiness: Readiness::StderrTracing,
        to_file,
    }
}

fn bpftrace(name: &'static str, program: &str) -> Tracer {
    Tracer {
        name,
        argv: vec![BPFTRACE.into(), "-e".into(), program.into()],
        readiness: Readiness::AllProgramsAttached,
        to_file: false,
    }
}

fn c_opensnoop(name: &'static str, args: &[&str], to_file: bool) -> Tracer {
    c_tool(name, C_OPENSNOOP, args, to_file)
}

/// A libbpf-tools program (Debian's libbpf-tools).
fn c_tool(name: &'static str, bin: &str, args: &[&str], to_file: bool) -> Tracer {
    let mut argv = vec![bin.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    Tracer {
        name,
        argv,
        readiness: Readiness::AllProgramsAttached,
        to_file,
    }
}

const BPFTRACE_OPENAT_COUNT: &str = "tracepoint:syscalls:sys_enter_openat { @c = count(); }";

fn open_configs(cgroups: &BenchCgroups, metrics: &str) -> Vec<(&'static str, Option<Tracer>)> {
    let (empty, root) = (cgroups.empty_arg(), cgroups.root_arg());
    vec![
        ("no tracer", None),
        (
            "bpftrace count() openat (floor)",
            Some(bpftrace("bpftrace", BPFTRACE_OPENAT_COUNT)),
        ),
        (
            "C opensnoop > file",
            Some(c_opensnoop("C opensnoop", &[], true)),
        ),
        (
            "ours opensnoop > file (ring buffer)",
            Some(ours("opensnoop", OPENSNOOP, &[], true)),
        ),
        (
            "ours opensnoop > file, metrics scraped 1/s",
            Some(ours(
                "opensnoop",
                OPENSNOOP,
                &["--metrics-addr", metrics],
                true,
            )),
        ),
        (
            "ours opensnoop --perf-buffer > file",
            Some(ours("opensnoop", OPENSNOOP, &["--perf-buffer"], true)),
        ),
        (
            "C opensnoop -p 1 (filtered out)",
            Some(c_opensnoop("C opensnoop", &["-p", "1"], false)),
        ),
        (
            "ours opensnoop -p 1 (filtered out)",
            Some(ours("opensnoop", OPENSNOOP, &["-p", "1"], false)),
        ),
        (
            "ours opensnoop --cgroup (filtered out)",
            Some(ours("opensnoop", OPENSNOOP, &["--cgroup", empty], false)),
        ),
        (
            "ours opensnoop --cgroup > file (passing)",
            Some(ours("opensnoop", OPENSNOOP, &["--cgroup", root], true)),
        ),
    ]
}

/// The cgroups of the --cgroup rows: an empty one made for the bench (the workload is
/// never in it: filtered out) and the cgroup2 root (every task is below it: passing).
/// The empty one is removed when dropped.
struct BenchCgroups {
    empty: PathBuf,
    root: PathBuf,
}

impl BenchCgroups {
    fn create() -> Result<Self, String> {
        let root = ebpf_tracers::model::cgroup::cgroup2_mount()
            .ok_or("no cgroup2 file system is mounted (the --cgroup rows need one)")?;
        let empty = root.join(format!("ebpf_tracers_bench_{}", std::process::id()));
        fs::create_dir_all(&empty).map_err(|e| format!("{}: {e}", empty.display()))?;
        Ok(Self { empty, root })
    }

    fn empty_arg(&self) -> &str {
        self.empty.to_str().unwrap_or_default()
    }

    fn root_arg(&self) -> &str {
        self.root.to_str().unwrap_or_default()
    }
}

impl Drop for BenchCgroups {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.empty);
    }
}

/// The exec tracers, unfiltered (nothing else runs during the bench), streaming to a
/// file or counting.
fn exec_configs() -> Vec<(&'static str, Tracer)> {
    vec![
        (
            "execs: C execsnoop",
            c_tool("execsnoop", C_EXECSNOOP, &[], true),
        ),
        (
            "execs: ours execsnoop",
            ours("execsnoop", EXECSNOOP, &[], true),
        ),
        (
            "execs: ours execve_count",
            ours("execve_count", EXECVE_COUNT, &["-i", "3600"], false),
        ),
    ]
}

fn aggregating_configs(metrics: &str) -> Vec<(&'static str, Option<Tracer>, &'static str)> {
    vec![
        ("pipes: no tracer", None, "pipes"),
        (
            "pipes: bpftrace kmalloc count+sum (floor)",
            Some(bpftrace(
                "bpftrace",
                "tracepoint:kmem:kmalloc { @c = count(); @b = sum(args->bytes_alloc); }",
            )),
            "pipes",
        ),
        (
            "pipes: ours kmalloc_bytes",
            Some(ours("kmalloc_bytes", KMALLOC_BYTES, &["-i", "3600"], false)),
            "pipes",
        ),
        (
            "opens: bpftrace @[comm] = count() (floor)",
            Some(bpftrace(
                "bpftrace",
                "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
            )),
            "opens",
        ),
        (
            "opens: ours openat_count",
            Some(ours("openat_count", OPENAT_COUNT, &["-i", "3600"], false)),
            "opens",
        ),
        (
            "opens: ours openat_count, metrics scraped 1/s",
            Some(ours(
                "openat_count",
                OPENAT_COUNT,
                &["--metrics-addr", metrics],
                false,
            )),
            "opens",
        ),
    ]
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// One GET /metrics: the body, if the answer was 200.
fn scrape(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
}

/// Scrapes the exporter rows' ports every second, as Prometheus would, for as long as
/// the bench runs them (a port nobody serves is refused at once: no cost).
struct Scraper {
    stop: Arc<AtomicBool>,
    scrapes: Arc<AtomicU64>,
    thread: thread::JoinHandle<()>,
}

impl Scraper {
    fn start(ports: Vec<u16>) -> Scraper {
        let stop = Arc::new(AtomicBool::new(false));
        let scrapes = Arc::new(AtomicU64::new(0));
        let (flag, count) = (Arc::clone(&stop), Arc::clone(&scrapes));
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                for port in &ports {
                    if scrape(*port).is_some() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
                thread::sleep(Duration::from_secs(1));
            }
        });
        Scraper {
            stop,
            scrapes,
            thread,
        }
    }

    /// Stops; the number of scrapes answered.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.scrapes.load(Ordering::Relaxed)
    }
}

/// Label sets in the scrape benchmark: as many as a tool serves before its overflow
/// series.
const SCRAPE_SERIES: u32 = ebpf_tracers::output::metrics::MAX_SERIES as u32;

/// What one scrape of a big exposition costs.
struct ScrapeCost {
    series: usize,
    bytes: usize,
    ms: Vec<f64>,
    /// The same scrapes while 300 idle and 200 non-reading connections are held open.
    hostile_ms: Vec<f64>,
}

/// openat_count serving `SCRAPE_SERIES` process names (the workload opens once under
/// each): the time of one scrape, over 20 scrapes.
fn scrape_of_many_series(work: &Path, target: &str) -> Result<ScrapeCost, String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let tracer = ours(
        "openat_count",
        OPENAT_COUNT,
        &["--metrics-addr", &addr],
        false,
    );
    let running = start(&tracer, work)?;
    let output = Command::new(WORKLOAD)
        .args(["open-named", &SCRAPE_SERIES.to_string(), target])
        .output()
        .map_err(|e| format!("workload: {e}"))?;
    if !output.status.success() {
        let _ = stop(running);
        return Err(format!(
            "workload failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let name = "ebpf_tracers_openat_count_calls_total{";
    let series_of = |body: &str| body.lines().filter(|l| l.starts_with(name)).count();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut body = String::new();
    while Instant::now() < deadline && series_of(&body) < SCRAPE_SERIES as usize {
        thread::sleep(Duration::from_millis(200));
        body = scrape(port).unwrap_or_default();
    }
    let timed = |body: &mut String| -> Vec<f64> {
        (0..20)
            .map(|_| {
                let started = Instant::now();
                *body = scrape(port).unwrap_or_default();
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    };
    let ms = timed(&mut body);
    // A hostile neighbour: connections that send nothing, and requests never read.
    let connect = || std::net::TcpStream::connect(("127.0.0.1", port)).ok();
    let idle: Vec<_> = (0..300).filter_map(|_| connect()).collect();
    let non_reading: Vec<_> = (0..200)
        .filter_map(|_| {
            let mut stream = connect()?;
            std::io::Write::write_all(&mut stream, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                .ok()?;
            Some(stream)
        })
        .collect();
    let hostile_ms = timed(&mut body);
    drop((idle, non_reading));
    stop(running)?;
    let series = series_of(&body);
    if series < SCRAPE_SERIES as usize {
        return Err(format!(
            "openat_count served {series} series, not {SCRAPE_SERIES}"
        ));
    }
    Ok(ScrapeCost {
        series,
        bytes: body.len(),
        ms,
        hostile_ms,
    })
}

fn startup_tracers() -> Vec<Tracer> {
    vec![
        ours("ours opensnoop", OPENSNOOP, &[], false),
        ours("ours kmalloc_bytes", KMALLOC_BYTES, &[], false),
        c_opensnoop("C opensnoop", &[], false),
        bpftrace("bpftrace (openat count)", BPFTRACE_OPENAT_COUNT),
    ]
}

#[derive(Debug, Clone)]
struct Sample {
    ns_per_iter: f64,
    caused: u64,
    delivered: Option<u64>,
    lost: u64,
    tracer_cpu: Option<Duration>,
    peak_rss_kib: Option<u64>,
}

/// One workload run, under `tracer` if any.
fn measure(
    tracer: Option<&Tracer>,
    workload_args: &[&str],
    work: &Path,
    path: Option<&str>,
) -> Result<Sample, String> {
    let running = match tracer {
        Some(tracer) => Some(start(tracer, work)?),
        None => None,
    };
    let output = Command::new(WORKLOAD)
        .args(["--comm", WORKLOAD_COMM])
        .args(workload_args)
        .output()
        .map_err(|e| format!("workload: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "workload failed: {}",
            String::from_utf8_lossy(&output.stderr)
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
    let caused = field("iterations").ok_or("workload printed no iterations")? as u64;
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

/// Runs the workload once under `tracer` with kernel.bpf_stats_enabled on, and
/// returns the summed run time of the tracer's programs per workload iteration.
fn bpf_ns_per_iteration(
    tracer: &Tracer,
    workload_args: &[&str],
    work: &Path,
) -> Result<f64, String> {
    let running = start(tracer, work)?;
    set_bpf_stats(true)?;
    let output = Command::new(WORKLOAD)
        .args(["--comm", WORKLOAD_COMM])
        .args(workload_args)
        .output()
        .map_err(|e| format!("workload: {e}"));
    let run_time_ns: u64 = fdinfos(running.child.id())
        .iter()
        .filter(|i| field_value(i, "prog_type:").is_some())
        .filter_map(|i| field_value(i, "run_time_ns:")?.parse::<u64>().ok())
        .sum();
    set_bpf_stats(false)?;
    let stopped = stop(running)?;
    if let Some(out) = stopped.out_path {
        let _ = fs::remove_file(out);
    }
    let output = output?;
    let iterations: f64 = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "iterations")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or("workload printed no iterations")?;
    Ok(run_time_ns as f64 / iterations)
}

fn set_bpf_stats(on: bool) -> Result<(), String> {
    fs::write(
        "/proc/sys/kernel/bpf_stats_enabled",
        if on { "1" } else { "0" },
    )
    .map_err(|e| format!("kernel.bpf_stats_enabled: {e}"))
}

/// Lines of opensnoop output (ours or C: PID COMM FD ERR PATH) for the workload's path.
fn count_lines_for(out: &Path, path: &str) -> Result<u64, String> {
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
fn lost_events(stderr: &str) -> u64 {
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

fn start(tracer: &Tracer, work: &Path) -> Result<Running, String> {
    let out_path = tracer.to_file.then(|| {
        work.join(format!(
            "out-{}-{}",
            tracer.name.replace(' ', "_"),
            Instant::now().elapsed().as_nanos()
        ))
    });
    let stdout = match &out_path {
        Some(path) => Stdio::from(File::create(path).map_err(|e| e.to_string())?),
        None => Stdio::null(),
    };
    let started = Instant::now();
    let mut child = Command::new(&tracer.argv[0])
        .args(&tracer.argv[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", tracer.argv[0]))?;
    let (tx, stderr) = mpsc::channel();
    let mut pipe = child.stderr.take().unwrap();
    thread::spawn(move || {
        let mut reader = BufReader::new(&mut pipe);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if tx.send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
    });
    let mut seen_stderr = String::new();
    let deadline = started + Duration::from_secs(60);
    loop {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!(
                "{} did not become ready: {seen_stderr}",
                tracer.name
            ));
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} exited early ({status}): {seen_stderr}",
                tracer.name
            ));
        }
        let ready = match tracer.readiness {
            Readiness::StderrTracing => match stderr.recv_timeout(Duration::from_millis(1)) {
                Ok(line) => {
                    seen_stderr.push_str(&line);
                    line.starts_with("Tracing")
                }
                Err(_) => false,
            },
            Readiness::AllProgramsAttached => all_programs_attached(child.id()),
        };
        if ready {
            break;
        }
        if !matches!(tracer.readiness, Readiness::StderrTracing) {
            thread::sleep(Duration::from_micros(500));
        }
    }
    let startup = started.elapsed();
    Ok(Running {
        child,
        stderr,
        startup,
        out_path,
    })
}

/// SIGINT, then wait4 for the tracer's CPU time and peak RSS.
fn stop(running: Running) -> Result<Stopped, String> {
    let pid = running.child.id() as i32;
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SIGINT again every 5 s: bpftrace once sat in epoll_wait after the first one and
    // never exited (bench, 2026-11-23).
    let mut next_signal = Instant::now();
    loop {
        if Instant::now() >= next_signal {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGINT) };
            next_signal += Duration::from_secs(5);
        }
        // SAFETY: pid is our child; status and usage are ours.
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        match waited {
            0 => thread::sleep(Duration::from_millis(10)),
            w if w == pid => break,
            _ => return Err(format!("wait4 failed: {}", std::io::Error::last_os_error())),
        }
    }
    let mut stderr = String::new();
    while let Ok(line) = running.stderr.recv_timeout(Duration::from_millis(200)) {
        stderr.push_str(&line);
    }
    let time = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    Ok(Stopped {
        stderr,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_rss_kib: usage.ru_maxrss as u64,
        out_path: running.out_path,
    })
}

/// The fdinfo lines of a process, one string per fd.
fn fdinfos(pid: u32) -> Vec<String> {
    let Ok(entries) = fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path()).ok())
        .collect()
}

fn field_value<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|line| line.strip_prefix(name).map(str::trim))
}

fn all_programs_attached(pid: u32) -> bool {
    let programs: Vec<u32> = fdinfos(pid)
        .iter()
        .filter(|i| field_value(i, "prog_type:").is_some())
        .filter_map(|i| field_value(i, "prog_id:")?.parse().ok())
        .collect();
    if programs.is_empty() {
        return false;
    }
    let mut attached = Vec::new();
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    for fd in fds.flatten() {
        let Some(fd) = fd.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let mut buf = [0 as libc::c_char; 256];
        let (mut prog_id, mut fd_type, mut offset, mut addr) = (0u32, 0u32, 0u64, 0u64);
        // SAFETY: every out-pointer is valid for the call; buf is 256 bytes.
        let err = unsafe {
            libbpf_sys::bpf_task_fd_query(
                pid as i32,
                fd as i32,
                0,
                buf.as_mut_ptr(),
                &mut (buf.len() as u32),
                &mut prog_id,
                &mut fd_type,
                &mut offset,
                &mut addr,
            )
        };
        if err == 0 && fd_type == libbpf_sys::BPF_FD_TYPE_TRACEPOINT {
            attached.push(prog_id);
        }
    }
    programs.iter().all(|p| attached.contains(p))
}

fn loaded_programs() -> usize {
    Command::new("bpftool")
        .args(["prog", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| {
                    l.split(':')
                        .next()
                        .is_some_and(|id| id.parse::<u32>().is_ok())
                })
                .count()
        })
        .unwrap_or(0)
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

struct Report<'a> {
    n: u64,
    pipes: u64,
    runs: usize,
    open_order: Vec<&'a str>,
    open: HashMap<&'a str, Vec<Sample>>,
    agg_order: Vec<&'a str>,
    agg: HashMap<&'a str, Vec<Sample>>,
    startups: Vec<(&'a str, Vec<Duration>, Vec<u64>)>,
    bpf_time: Vec<(&'a str, f64)>,
    scrapes: u64,
    scrape: ScrapeCost,
    took: Duration,
}

struct Row {
    name: String,
    ns: f64,
    overhead: f64,
    delivered: Option<(u64, u64)>,
    lost: Option<u64>,
    cpu_ms_per_million: Option<f64>,
    rss_mib: Option<f64>,
}

impl Report<'_> {
    /// Overheads are paired: each run's figure minus the baseline of the same run, then
    /// the median. A VM whose speed drifts (noisy neighbours) slows a whole round alike,
    /// and the pairing cancels it.
    fn rows(order: &[&str], results: &HashMap<&str, Vec<Sample>>, baseline: &str) -> Vec<Row> {
        let base = &results[baseline];
        order
            .iter()
            .map(|name| {
                let samples = &results[name];
                let ns = median(samples.iter().map(|s| s.ns_per_iter).collect());
                let overhead = median(
                    samples
                        .iter()
                        .zip(base)
                        .map(|(s, b)| s.ns_per_iter - b.ns_per_iter)
                        .collect(),
                );
                let delivered = samples[0].delivered.map(|_| {
                    (
                        samples.iter().filter_map(|s| s.delivered).sum::<u64>(),
                        samples.iter().map(|s| s.caused).sum::<u64>(),
                    )
                });
                let events = |s: &Sample| s.delivered.unwrap_or(s.caused) as f64;
                Row {
                    name: name.to_string(),
                    ns,
                    overhead,
                    delivered,
                    lost: samples[0]
                        .tracer_cpu
                        .map(|_| samples.iter().map(|s| s.lost).sum()),
                    cpu_ms_per_million: samples[0].tracer_cpu.map(|_| {
                        median(
                            samples
                                .iter()
                                .map(|s| {
                                    s.tracer_cpu.unwrap().as_secs_f64() * 1e3
                                        / (events(s).max(1.0) / 1e6)
                                })
                                .collect(),
                        )
                    }),
                    rss_mib: samples[0].peak_rss_kib.map(|_| {
                        median(
                            samples
                                .iter()
                                .map(|s| s.peak_rss_kib.unwrap() as f64 / 1024.0)
                                .collect(),
                        )
                    }),
                }
            })
            .collect()
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let _ = writeln!(
            out,
            "\nebpf-tracers bench: kernel {}, {} CPUs, {} runs, medians; took {:.0} s",
            kernel.trim(),
            thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            self.runs,
            self.took.as_secs_f64()
        );
        let open_rows = Self::rows(&self.open_order, &self.open, "no tracer");
        let agg_rows = Self::rows(&self.agg_order, &self.agg, "pipes: no tracer");
        let _ = writeln!(out, "\n{} open+close per run:", self.n);
        write_rows(&mut out, &open_rows);
        let _ = writeln!(
            out,
            "\naggregating ({} pipes, or {} opens, per run):",
            self.pipes, self.n
        );
        write_rows(&mut out, &agg_rows[..3]);
        // The open counters pair with the open workload's own no-tracer runs.
        let mut with_open_base = self.agg.clone();
        with_open_base.insert("no tracer", self.open["no tracer"].clone());
        let opens = Self::rows(&self.agg_order[3..], &with_open_base, "no tracer");
        write_rows(&mut out, &opens);

        let _ = writeln!(
            out,
            "\nmetrics: {} scrapes answered during the exporter rows; one scrape of {} series \
             ({} KiB): {:.1} ms (median of {}); beside 300 idle and 200 non-reading \
             connections: {:.1} ms (median), {:.1} ms (slowest)",
            self.scrapes,
            self.scrape.series,
            self.scrape.bytes / 1024,
            median(self.scrape.ms.clone()),
            self.scrape.ms.len(),
            median(self.scrape.hostile_ms.clone()),
            self.scrape.hostile_ms.iter().copied().fold(0.0, f64::max)
        );

        let _ = writeln!(
            out,
            "\nBPF program time per workload iteration (kernel.bpf_stats_enabled, 1 run each):"
        );
        for (name, ns) in &self.bpf_time {
            let _ = writeln!(out, "  {name:<44} {ns:>7.1} ns");
        }

        let _ = writeln!(
            out,
            "\nstartup (exec to attached; {} runs each):",
            self.startups[0].1.len()
        );
        for (name, times, rss) in &self.startups {
            let ms = median(times.iter().map(|t| t.as_secs_f64() * 1e3).collect());
            let rss = median(rss.iter().map(|r| *r as f64 / 1024.0).collect());
            let _ = writeln!(out, "  {name:<40} {ms:>8.1} ms   peak RSS {rss:>6.1} MiB");
        }

        let ratio = |a: &Row, b: &Row| a.overhead / b.overhead;
        let by = |rows: &[Row], name: &str| rows.iter().position(|r| r.name == name).unwrap();
        let o = &open_rows;
        let _ = writeln!(
            out,
            "\nratios (workload overhead over no tracer, paired per run):"
        );
        let pairs = [
            (
                "ours ring buffer / C, streaming",
                by(o, "ours opensnoop > file (ring buffer)"),
                by(o, "C opensnoop > file"),
            ),
            (
                "ours perf buffer / C, streaming",
                by(o, "ours opensnoop --perf-buffer > file"),
                by(o, "C opensnoop > file"),
            ),
            (
                "ours / C, filtered out",
                by(o, "ours opensnoop -p 1 (filtered out)"),
                by(o, "C opensnoop -p 1 (filtered out)"),
            ),
            (
                "ours --cgroup / -p, filtered out",
                by(o, "ours opensnoop --cgroup (filtered out)"),
                by(o, "ours opensnoop -p 1 (filtered out)"),
            ),
            (
                "ours --cgroup passing / unfiltered",
                by(o, "ours opensnoop --cgroup > file (passing)"),
                by(o, "ours opensnoop > file (ring buffer)"),
            ),
            (
                "ours metrics on / off, streaming",
                by(o, "ours opensnoop > file, metrics scraped 1/s"),
                by(o, "ours opensnoop > file (ring buffer)"),
            ),
            (
                "ours filtered out / bpftrace floor",
                by(o, "ours opensnoop -p 1 (filtered out)"),
                by(o, "bpftrace count() openat (floor)"),
            ),
        ];
        for (label, a, b) in pairs {
            let _ = writeln!(out, "  {label:<40} {:>6.2}", ratio(&o[a], &o[b]));
        }
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "kmalloc_bytes / bpftrace floor",
            ratio(&agg_rows[2], &agg_rows[1])
        );
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "openat_count / bpftrace floor",
            ratio(&opens[1], &opens[0])
        );
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "openat_count metrics on / off",
            ratio(&opens[2], &opens[1])
        );
        out
    }

    fn save(&self) -> std::io::Result<PathBuf> {
        let date = Command::new("date")
            .arg("+%Y-%m-%d")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| "undated".into());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
        fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{date}.json"));
        let samples = |results: &HashMap<&str, Vec<Sample>>, order: &[&str]| {
            order
                .iter()
                .map(|name| {
                    let s = &results[name];
                    serde_json::json!({
                        "name": name,
                        "ns_per_iter": s.iter().map(|x| x.ns_per_iter).collect::<Vec<_>>(),
                        "caused": s.iter().map(|x| x.caused).collect::<Vec<_>>(),
                        "delivered": s.iter().map(|x| x.delivered).collect::<Vec<_>>(),
                        "lost": s.iter().map(|x| x.lost).collect::<Vec<_>>(),
                        "tracer_cpu_ms": s.iter().map(|x| x.tracer_cpu.map(|d| d.as_secs_f64() * 1e3)).collect::<Vec<_>>(),
                        "peak_rss_kib": s.iter().map(|x| x.peak_rss_kib).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>()
        };
        let json = serde_json::json!({
            "date": date,
            "kernel": fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
            "runs": self.runs,
            "opens_per_run": self.n,
            "pipes_per_run": self.pipes,
            "open": samples(&self.open, &self.open_order),
            "aggregating": samples(&self.agg, &self.agg_order),
            "startup": self.startups.iter().map(|(name, times, rss)| serde_json::json!({
                "name": name,
                "ms": times.iter().map(|t| t.as_secs_f64() * 1e3).collect::<Vec<_>>(),
                "peak_rss_kib": rss,
            })).collect::<Vec<_>>(),
            "bpf_ns_per_iteration": self.bpf_time.iter().map(|(name, ns)| serde_json::json!({
                "name": name,
                "ns": ns,
            })).collect::<Vec<_>>(),
            "metrics_scrape": serde_json::json!({
                "series": self.scrape.series,
                "bytes": self.scrape.bytes,
                "ms": self.scrape.ms,
                "hostile_ms": self.scrape.hostile_ms,
                "scrapes_during_rows": self.scrapes,
            }),
            "table": self.table(),
        });
        fs::write(
            &path,
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        )?;
        Ok(path)
    }
}

fn write_rows(out: &mut String, rows: &[Row]) {
    let _ = writeln!(
        out,
        "  {:<44} {:>9} {:>9} {:>17} {:>8} {:>11} {:>8}",
        "configuration", "ns/iter", "overhead", "delivered/caused", "lost", "cpu ms/Mev", "RSS MiB"
    );
    for row in rows {
        let delivered = row
            .delivered
            .map(|(d, c)| format!("{:.2}%", d as f64 * 100.0 / c.max(1) as f64))
            .unwrap_or_else(|| "-".into());
        let opt = |v: Option<f64>, digits: usize| {
            v.map(|v| format!("{v:.digits$}"))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            out,
            "  {:<44} {:>9.0} {:>9.0} {:>17} {:>8} {:>11} {:>8}",
            row.name,
            row.ns,
            row.overhead,
            delivered,
            row.lost
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into()),
            opt(row.cpu_ms_per_million, 0),
            opt(row.rss_mib, 1),
        );
    }
}
