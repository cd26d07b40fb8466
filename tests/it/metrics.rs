//! --metrics-addr against real scrapers: exact counts in the exposition and through a
//! real Prometheus server's query API, the kmalloc histogram, counters that never go
//! down (filetop), and a server that bad clients cannot stop. (Every counting tool's
//! exposition passes promtool in records.rs.)

use std::io::Read;
use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use crate::helpers::metrics::*;
use crate::helpers::*;

const OPENAT_COUNT: &str = env!("CARGO_BIN_EXE_openat_count");
const KMALLOC_BYTES: &str = env!("CARGO_BIN_EXE_kmalloc_bytes");
const FILETOP: &str = env!("CARGO_BIN_EXE_filetop");
const OPENSNOOP: &str = env!("CARGO_BIN_EXE_opensnoop");
const WAIT: Duration = Duration::from_secs(30);

fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// A workload named `comm`, waiting to open `n` unique paths (tagged `tag`) once each.
fn pending_opens(comm: &str, tag: &str, n: usize) -> (Vec<String>, PendingWorkload) {
    let paths: Vec<String> = (0..n).map(|i| unique_path(&format!("{tag}{i}"))).collect();
    let mut args = vec!["open"];
    args.extend(paths.iter().map(String::as_str));
    let workload = PendingWorkload::spawn(comm, &args);
    (paths, workload)
}

/// A counting tool serving metrics on a port of its own.
fn serving(bin: &str, args: &[&str]) -> (Tracer, u16) {
    let port = free_port();
    let addr = addr(port);
    let mut all = vec!["--metrics-addr", &addr];
    all.extend_from_slice(args);
    (Tracer::start(bin, &all), port)
}

/// N opens under a unique name: the exposition has exactly N for that name, and no
/// table is printed (metrics without -i).
#[test]
fn openat_count_serves_the_exact_count() {
    tracer_test!(any_kernel);
    let comm = unique_name("mo");
    // Started before the tracer: the loader's opens are not counted.
    let (_, workload) = pending_opens(&comm, "mo", 5);
    let (tracer, port) = serving(OPENAT_COUNT, &["-c", &comm]);
    workload.go();
    let name = "ebpf_tracers_openat_count_calls_total";
    let body = scrape_until(port, WAIT, |body| {
        sample(body, name, &[("comm", &comm)]).is_some()
    });
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let body = body.unwrap_or_else(|| panic!("no {name} for {comm}"));
    assert_eq!(sample(&body, name, &[("comm", &comm)]), Some(5.0), "{body}");
    assert_eq!(
        sample(&body, "ebpf_tracers_programs_attached", &[]),
        Some(1.0),
        "{body}"
    );
    assert!(
        finished.stdout.trim().is_empty(),
        "a table was printed:\n{}",
        finished.stdout
    );
}

/// kmalloc_bytes --hist: buckets cumulative, and `_count` equals the calls counted in
/// the same scrape (the workload is done and filtered by name: nothing else moves).
#[test]
fn kmalloc_histogram_is_cumulative_and_counts_every_call() {
    tracer_test!(any_kernel);
    let comm = unique_name("mk");
    let workload = PendingWorkload::spawn(&comm, &["pipes", "20"]);
    let (tracer, port) = serving(KMALLOC_BYTES, &["-c", &comm, "--hist"]);
    workload.go();
    let hist = "ebpf_tracers_kmalloc_bytes_request_size_bytes";
    let calls = "ebpf_tracers_kmalloc_bytes_calls_total";
    // Two scrapes in a row that agree: the counters have stopped moving.
    let deadline = Instant::now() + WAIT;
    let mut last: Option<f64> = None;
    let body = loop {
        let body = get(port, "/metrics")
            .map(|(_, body)| body)
            .unwrap_or_default();
        let now = sample(&body, calls, &[]);
        if now.is_some_and(|n| n > 0.0) && now == last {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the counters never settled:\n{body}"
        );
        last = now;
        std::thread::sleep(Duration::from_millis(1100));
    };
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    assert_promtool_accepts("kmalloc_bytes", &body);
    let buckets: Vec<(f64, f64)> = body
        .lines()
        .filter(|line| line.starts_with(&format!("{hist}_bucket{{")))
        .map(|line| {
            let le = line
                .split("le=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (le, line.rsplit(' ').next().unwrap().parse().unwrap())
        })
        .collect();
    assert!(buckets.len() > 2, "{body}");
    for pair in buckets.windows(2) {
        assert!(
            pair[0].0 < pair[1].0 && pair[0].1 <= pair[1].1,
            "{pair:?}\n{body}"
        );
    }
    let count = sample(&body, &format!("{hist}_count"), &[]).unwrap();
    assert_eq!(buckets.last().unwrap(), &(f64::INFINITY, count), "{body}");
    assert_eq!(Some(count), sample(&body, calls, &[]), "{body}");
    assert_eq!(
        sample(&body, &format!("{hist}_sum"), &[]),
        sample(
            &body,
            "ebpf_tracers_kmalloc_bytes_requested_bytes_total",
            &[]
        ),
        "{body}"
    );
}

/// filetop hands its map entries over every read: across scrapes taken while a
/// process keeps writing, no counter of any series goes down.
#[test]
fn filetop_counters_never_go_down() {
    tracer_test!(any_kernel);
    let comm = unique_name("mf");
    let path = unique_path("mf");
    let (tracer, port) = serving(FILETOP, &["-c", &comm]);
    let mut scrapes = Vec::new();
    for round in 1..=3 {
        run_workload(&comm, &["write", &path, "16"]);
        let wanted = f64::from(round) * 16.0 * 1024.0;
        let body = scrape_until(port, WAIT, |body| written_by(body, &comm) == wanted)
            .unwrap_or_else(|| panic!("round {round}: never {wanted} bytes written"));
        scrapes.push(body);
    }
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let _ = std::fs::remove_file(&path);
    for pair in scrapes.windows(2) {
        for (series, before) in counter_samples(&pair[0]) {
            let after = counter_samples(&pair[1])
                .into_iter()
                .find(|(s, _)| *s == series)
                .map(|(_, v)| v);
            assert!(
                after.is_some_and(|after| after >= before),
                "{series} went from {before} to {after:?}"
            );
        }
    }
}

/// Bytes written by processes named `comm`, over all their series.
fn written_by(body: &str, comm: &str) -> f64 {
    let label = format!("comm=\"{comm}\"");
    counter_samples(body)
        .into_iter()
        .filter(|(series, _)| {
            series.starts_with("ebpf_tracers_filetop_written_bytes_total{")
                && series.contains(&label)
        })
        .map(|(_, v)| v)
        .sum()
}

/// Every `_total` sample of an exposition: (series, value).
fn counter_samples(body: &str) -> Vec<(String, f64)> {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let name = series.split('{').next()?;
            name.ends_with("_total")
                .then(|| (series.to_string(), value.parse().ok()))
                .and_then(|(s, v)| Some((s, v?)))
        })
        .collect()
}

/// Bad clients beside a scrape: a slow one that sends half a request and then
/// nothing, connections that never send a byte, and garbage. The scrape is answered at
/// once, the garbage gets 400, another path 404, and the slow client is still open
/// (nothing waited for it).
#[test]
fn bad_clients_do_not_stop_a_scrape() {
    tracer_test!(any_kernel);
    let (tracer, port) = serving(OPENAT_COUNT, &[]);
    let connect = || TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut slow = connect();
    slow.write_all(b"GET /metr").unwrap();
    let silent: Vec<TcpStream> = (0..20).map(|_| connect()).collect();
    let mut garbage = connect();
    garbage
        .write_all(b"\x16\x03\x01 not http at all\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let answer = get(port, "/metrics");
    let took = started.elapsed();
    let missing = get(port, "/nothing-here");
    let mut reply = Vec::new();
    garbage
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = garbage.read_to_end(&mut reply);
    // The slow client has had no answer, and its connection is still open.
    slow.set_nonblocking(true).unwrap();
    let slow_state = slow.read(&mut [0u8; 64]).map_err(|err| err.kind());
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    drop(silent);
    let (status, body) = answer.expect("no answer to a scrape beside bad clients");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ebpf_tracers_build_info"), "{body}");
    assert!(took < Duration::from_secs(5), "the scrape took {took:?}");
    assert_eq!(missing.map(|(status, _)| status), Some(404));
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 400"),
        "garbage got {:?}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(
        slow_state,
        Err(std::io::ErrorKind::WouldBlock),
        "the slow client's connection was answered or closed"
    );
}

/// An event tool's events and lost events: opensnoop -p on a workload that makes N
/// opens serves exactly N events, and none lost.
#[test]
fn opensnoop_serves_its_events_and_lost_events() {
    tracer_test!(any_kernel);
    let comm = unique_name("me");
    let (paths, workload) = pending_opens(&comm, "me", 7);
    let pid = workload.pid().to_string();
    let (tracer, port) = serving(OPENSNOOP, &["-p", &pid]);
    workload.go();
    let events = "ebpf_tracers_events_total";
    let body = scrape_until(port, WAIT, |body| sample(body, events, &[]) >= Some(7.0));
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let body = body.unwrap_or_else(|| panic!("{events} never reached 7"));
    assert_eq!(sample(&body, events, &[]), Some(7.0), "{body}");
    assert_eq!(
        sample(&body, "ebpf_tracers_lost_events_total", &[]),
        Some(0.0),
        "{body}"
    );
    for path in &paths {
        assert!(finished.stdout.contains(path.as_str()), "{path} not shown");
    }
    assert_promtool_accepts("opensnoop", &body);
}

/// With BPF stats on (a BPF_ENABLE_STATS descriptor held by the test: off again when
/// it closes), each program's run count and run time are served: openat_count's
/// program ran at least once per open the test made.
#[test]
fn program_run_stats_are_served_while_bpf_stats_are_on() {
    tracer_test!();
    let Some(_stats) = BpfStats::enable() else {
        panic!(
            "BPF_ENABLE_STATS failed: {}",
            std::io::Error::last_os_error()
        );
    };
    let comm = unique_name("mr");
    let (_, workload) = pending_opens(&comm, "mr", 9);
    let (tracer, port) = serving(OPENAT_COUNT, &["-c", &comm]);
    workload.go();
    let calls = "ebpf_tracers_openat_count_calls_total";
    let body = scrape_until(port, WAIT, |body| {
        sample(body, calls, &[("comm", &comm)]) == Some(9.0)
    });
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let body = body.unwrap_or_else(|| panic!("no {calls} of 9 for {comm}"));
    let program = [("program", "tracepoint__syscalls__sys_enter_openat")];
    let runs = sample(&body, "ebpf_tracers_program_runs_total", &program);
    let seconds = sample(&body, "ebpf_tracers_program_run_seconds_total", &program);
    assert!(runs >= Some(9.0), "runs {runs:?}:\n{body}");
    assert!(seconds > Some(0.0), "run time {seconds:?}:\n{body}");
    assert_promtool_accepts("openat_count", &body);
}

/// BPF run-time stats, on while this lives (the kernel counts them while any
/// BPF_ENABLE_STATS descriptor is open).
struct BpfStats {
    _fd: std::os::fd::OwnedFd,
}

impl BpfStats {
    fn enable() -> Option<BpfStats> {
        use std::os::fd::FromRawFd;
        const BPF_ENABLE_STATS: libc::c_long = 32;
        // union bpf_attr's enable_stats: { __u32 type } = BPF_STATS_RUN_TIME (0).
        let attr = [0u8; 8];
        // SAFETY: bpf(2) reads `attr.len()` bytes of `attr` and returns a descriptor.
        let fd =
            unsafe { libc::syscall(libc::SYS_bpf, BPF_ENABLE_STATS, attr.as_ptr(), attr.len()) };
        // SAFETY: a descriptor bpf(2) just returned, owned by nobody else.
        (fd >= 0).then(|| BpfStats {
            _fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) },
        })
    }
}

/// An address in use, or no address at all: one line, non-zero exit, and nothing
/// loaded (no readiness line: the address is bound first). An event tool too.
#[test]
fn unusable_addresses_are_refused_in_one_line() {
    tracer_test!(any_kernel);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let in_use = addr(taken.local_addr().unwrap().port());
    for (bin, address, code) in [
        (OPENAT_COUNT, in_use.as_str(), 1),
        (OPENSNOOP, in_use.as_str(), 1),
        (OPENAT_COUNT, "nonsense", 2),
        (OPENAT_COUNT, "127.0.0.1:99999", 2),
    ] {
        let output = run(bin, &["--metrics-addr", address, "-d", "5"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{address}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{address}: {stderr}");
        assert!(stderr.contains(address), "{address}: {stderr}");
    }
}

/// A real Prometheus server (Debian's package) scraping openat_count every second:
/// its query API returns exactly the N opens made under a unique name.
#[test]
fn prometheus_scrapes_the_exact_count() {
    tracer_test!(any_kernel);
    let comm = unique_name("mp");
    let (_, workload) = pending_opens(&comm, "mp", 9);
    let (tracer, port) = serving(OPENAT_COUNT, &["-c", &comm]);
    let prometheus = Prometheus::start(port);
    workload.go();
    let query = format!("ebpf_tracers_openat_count_calls_total{{comm=\"{comm}\"}}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answer = String::new();
    let value = loop {
        answer = prometheus.query(&query).unwrap_or(answer);
        if let Some(value) = query_value(&answer) {
            break Some(value);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    drop(prometheus);
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    assert_eq!(value.as_deref(), Some("9"), "Prometheus answered: {answer}");
}

/// The value of the one series in an instant query's JSON answer.
fn query_value(answer: &str) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_str(answer).ok()?;
    let result = answer["data"]["result"].as_array()?;
    result.first()?["value"][1].as_str().map(str::to_string)
}

/// A Prometheus server on loopback with a generated config and storage of its own,
/// stopped and removed when dropped.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Prometheus {
    fn start(target_port: u16) -> Prometheus {
        let dir = PathBuf::from(unique_path("prom"));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: ebpf_tracers\n    static_configs:\n\
                 \x20     - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run prometheus (scripts/install-deps.sh installs it)");
        let server = Prometheus { child, dir, port };
        // A Go server starting in a guest under software emulation, beside other
        // tests: it took over 60 s with eight tests at a time in the 5.10 guest.
        let ready = Instant::now() + Duration::from_secs(180);
        while get(port, "/-/ready").map(|(status, _)| status) != Some(200) {
            assert!(Instant::now() < ready, "Prometheus never became ready");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// An instant query through the HTTP API: the JSON answer.
    fn query(&self, promql: &str) -> Option<String> {
        let encoded: String = promql
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        get(self.port, &format!("/api/v1/query?query={encoded}")).map(|(_, body)| body)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
