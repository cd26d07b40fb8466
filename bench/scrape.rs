//! The exporter's side of the bench: scrapes during the rows, as Prometheus would, and
//! the cost of one scrape of a big exposition, alone and beside hostile connections.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use std::time::Instant;

use crate::http;
use crate::tracer::ours;
use crate::tracer::start;
use crate::tracer::stop;
use crate::tracer::OPENAT_COUNT;
use crate::workload::WORKLOAD;

/// A loopback port nothing listens on right now.
pub fn free_port() -> Result<u16, String> {
    http::free_port().map_err(|e| format!("cannot find a free port: {e}"))
}

/// One GET /metrics: the body, if the answer was 200.
pub fn scrape(port: u16) -> Option<String> {
    match http::request(port, "/metrics", Duration::from_secs(10)) {
        Ok((200, body)) => Some(body),
        _ => None,
    }
}

/// Scrapes the exporter rows' ports every second, as Prometheus would, for as long as
/// the bench runs them (a port nobody serves is refused at once: no cost).
pub struct Scraper {
    pub stop: Arc<AtomicBool>,
    pub scrapes: Arc<AtomicU64>,
    pub thread: thread::JoinHandle<()>,
}

impl Scraper {
    pub fn start(ports: Vec<u16>) -> Scraper {
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
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.scrapes.load(Ordering::Relaxed)
    }
}

/// Label sets in the scrape benchmark: as many as a tool serves before its overflow
/// series.
pub const SCRAPE_SERIES: u32 = ebpf_tracers::output::metrics::MAX_SERIES as u32;

/// What one scrape of a big exposition costs.
pub struct ScrapeCost {
    pub series: usize,
    pub bytes: usize,
    pub ms: Vec<f64>,
    /// The same scrapes while 300 idle and 200 non-reading connections are held open.
    pub hostile_ms: Vec<f64>,
}

/// openat_count serving `SCRAPE_SERIES` process names (the workload opens once under
/// each): the time of one scrape, over 20 scrapes.
pub fn scrape_of_many_series(work: &Path, target: &str) -> Result<ScrapeCost, String> {
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
