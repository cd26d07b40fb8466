//! Prometheus metrics (--metrics-addr): the counting tools' cumulative report state
//! (report.rs `Counts`) served as `GET /metrics` in the Prometheus text format, beside
//! the sampling loop.
//!
//! - Names: `ebpf_tracers_<name>` as each tool declares its counters (`Declared`, in its
//!   src/tools module): `_total` counters in base units (bytes), a log2 histogram as a
//!   Prometheus histogram.
//! - Labels: the fields of the tool's typed key (comm, uid, user, path, dest, cpu, and
//!   with --by-cgroup cgroup, container_id, pod_uid), as its JSON names them.
//! - Counters never go down: they are the runtime's totals since the start, which also
//!   keep what the kernel hands over and forgets (filetop) or evicts.
//! - Series are bounded: the first `MAX_SERIES` label sets seen get a series each;
//!   every later one is summed into one series whose labels all read `[overflow]`.
//!
//! The sampling loop builds a snapshot after each read and swaps it in; server threads
//! encode the snapshot they took, so a slow scrape never holds up the loop (tiny_http
//! reads connections on a pool of threads and answers malformed requests itself). Known
//! limit: a client that never finishes its request holds a pool thread, and a scrape
//! that tiny_http queues behind it waits (see the README).

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::net::ToSocketAddrs;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::thread;

use anyhow::Result;
use prometheus::proto::Bucket;
use prometheus::proto::Counter;
use prometheus::proto::Gauge;
use prometheus::proto::Histogram;
use prometheus::proto::LabelPair;
use prometheus::proto::Metric;
use prometheus::proto::MetricFamily;
use prometheus::proto::MetricType;
use serde::Serialize;
use serde_json::Value;

use crate::record::cell_text;

/// A series' labels: (name, value), in the key's field order.
type Labels = Vec<(String, String)>;

/// Every metric's name starts so.
pub const PREFIX: &str = "ebpf_tracers";

/// Label sets beyond this many, per tool, are summed into the overflow series.
pub const MAX_SERIES: usize = 10_000;

/// The label value of the overflow series.
pub const OVERFLOW: &str = "[overflow]";

/// Worker threads answering scrapes (a client that never reads holds one).
const SERVERS: usize = 4;

/// Key fields that are not labels: the cgroup's id says what `cgroup` says.
const NOT_LABELS: [&str; 1] = ["cgroup_id"];

/// One counter of a tool: the kernel's counter at this position of its values, as the
/// metric `ebpf_tracers_<name>` (a name ending in `_total`).
#[derive(Debug, Clone, Copy)]
pub struct CounterSeries {
    pub name: &'static str,
    pub help: &'static str,
}

/// A log2 histogram as a Prometheus histogram: `ebpf_tracers_<name>`, its `_sum` the
/// kernel's counter at position `sum_of`.
#[derive(Debug, Clone, Copy)]
pub struct HistogramSeries {
    pub name: &'static str,
    pub help: &'static str,
    pub sum_of: usize,
}

/// What a counting tool serves: its counters in the order of the kernel's values, and
/// its histogram if it keeps one.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub counters: &'static [CounterSeries],
    pub histogram: Option<HistogramSeries>,
}

static DECLARED: OnceLock<&'static Declared> = OnceLock::new();
static ATTACHED: AtomicUsize = AtomicUsize::new(0);

/// How many BPF programs the tool attached (tool::load says, once attached).
pub fn note_attached(programs: usize) {
    ATTACHED.store(programs, Ordering::Relaxed);
}

/// Called once by the tool's main (tools::Tool::main).
pub fn declare(declared: Option<&'static Declared>) {
    if let Some(declared) = declared {
        let _ = DECLARED.set(declared);
    }
}

/// --metrics-addr's value: HOST:PORT (a name is resolved; its first address is used).
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|err| format!("{err} (give HOST:PORT, e.g. 127.0.0.1:9435 or [::]:9435)"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{text} names no address (give HOST:PORT)"))
}

/// The label sets admitted so far, and the snapshot scrapes read.
pub struct Exporter {
    admitted: BTreeSet<Labels>,
    snapshot: Snapshot,
    server: Arc<tiny_http::Server>,
}

/// What scrapes are answered from: the families of the last read.
type Snapshot = Arc<Mutex<Arc<Vec<MetricFamily>>>>;

impl Drop for Exporter {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl Exporter {
    /// Listens on `addr` and answers scrapes from now on (with what `publish` last
    /// gave). An address that cannot be bound is an error (one line).
    pub fn serve(addr: SocketAddr) -> Result<Exporter> {
        let server = tiny_http::Server::http(addr)
            .map_err(|err| anyhow::anyhow!("cannot serve metrics on {addr}: {err}"))?;
        let server = Arc::new(server);
        let snapshot: Snapshot = Arc::default();
        for _ in 0..SERVERS {
            let (server, snapshot) = (Arc::clone(&server), Arc::clone(&snapshot));
            thread::spawn(move || answer(&server, &snapshot));
        }
        let exporter = Exporter {
            admitted: BTreeSet::new(),
            snapshot,
            server,
        };
        exporter.swap(Vec::new());
        Ok(exporter)
    }

    /// Publishes the counters per key (cumulative), the total where the tool has no
    /// keys, and the histogram's cumulative slots.
    pub fn publish<K: Serialize>(
        &mut self,
        per_key: &[(K, Vec<u64>)],
        total: Option<&[u64]>,
        histogram: Option<&[u64]>,
    ) {
        let declared = DECLARED.get().copied();
        let counters = declared.map(|d| d.counters).unwrap_or_default();
        let mut series: BTreeMap<Labels, Vec<u64>> = BTreeMap::new();
        let rows: Vec<(Labels, &[u64])> = if per_key.is_empty() {
            total.map(|t| (Vec::new(), t)).into_iter().collect()
        } else {
            per_key
                .iter()
                .map(|(key, counts)| (labels_of(key), counts.as_slice()))
                .collect()
        };
        for (labels, counts) in rows {
            let labels = self.admit(labels);
            let sums = series.entry(labels).or_default();
            if sums.len() < counts.len() {
                sums.resize(counts.len(), 0);
            }
            for (sum, n) in sums.iter_mut().zip(counts) {
                *sum = sum.wrapping_add(*n);
            }
        }
        let mut families = Vec::new();
        for (i, counter) in counters.iter().enumerate() {
            let metrics = series
                .iter()
                .map(|(labels, counts)| {
                    let mut value = Counter::default();
                    value.set_value(counts.get(i).copied().unwrap_or(0) as f64);
                    let mut metric = Metric::from_label(label_pairs(labels));
                    metric.set_counter(value);
                    metric
                })
                .collect();
            families.extend(family(
                counter.name,
                counter.help,
                MetricType::COUNTER,
                metrics,
            ));
        }
        if let (Some(spec), Some(slots)) = (declared.and_then(|d| d.histogram), histogram) {
            let sum = total.and_then(|t| t.get(spec.sum_of).copied()).unwrap_or(0);
            families.extend(family(
                spec.name,
                spec.help,
                MetricType::HISTOGRAM,
                vec![log2_histogram(slots, sum)],
            ));
        }
        self.swap(families);
    }

    /// The label set `labels` if it has (or may still get) a series of its own, else
    /// the overflow series'.
    fn admit(&mut self, labels: Labels) -> Labels {
        if self.admitted.contains(&labels) {
            return labels;
        }
        if self.admitted.len() < MAX_SERIES {
            self.admitted.insert(labels.clone());
            return labels;
        }
        labels
            .into_iter()
            .map(|(name, _)| (name, OVERFLOW.to_string()))
            .collect()
    }

    /// Puts the tool's own metrics after `families` and makes them what scrapes get.
    fn swap(&self, mut families: Vec<MetricFamily>) {
        let tool = crate::run::tool_name();
        let mut info = Gauge::default();
        info.set_value(1.0);
        let mut build = Metric::from_label(label_pairs(&[
            ("tool".to_string(), tool.to_string()),
            ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ]));
        build.set_gauge(info);
        families.extend(family(
            "build_info",
            "The tool and version serving these metrics (always 1)",
            MetricType::GAUGE,
            vec![build],
        ));
        let mut attached = Gauge::default();
        attached.set_value(ATTACHED.load(Ordering::Relaxed) as f64);
        families.extend(family(
            "programs_attached",
            "BPF programs the tool has attached",
            MetricType::GAUGE,
            vec![Metric::from_gauge(attached)],
        ));
        let mut current = self.snapshot.lock().unwrap_or_else(|p| p.into_inner());
        *current = Arc::new(families);
    }
}

/// A family named `ebpf_tracers_<name>` (None when it has no series).
fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> Option<MetricFamily> {
    if metrics.is_empty() {
        return None;
    }
    let mut family = MetricFamily::default();
    family.set_name(format!("{PREFIX}_{name}"));
    family.set_help(help.to_string());
    family.set_field_type(kind);
    family.set_metric(metrics);
    Some(family)
}

/// The key's fields as labels (name, value as the table shows it).
fn labels_of<K: Serialize>(key: &K) -> Labels {
    match serde_json::to_value(key) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .filter(|(name, value)| !NOT_LABELS.contains(&name.as_str()) && !value.is_null())
            .map(|(name, value)| (name, cell_text(&value)))
            .collect(),
        _ => Vec::new(),
    }
}

fn label_pairs(labels: &[(String, String)]) -> Vec<LabelPair> {
    labels
        .iter()
        .map(|(name, value)| {
            let mut pair = LabelPair::default();
            pair.set_name(name.clone());
            pair.set_value(value.clone());
            pair
        })
        .collect()
}

/// Log2 slots (slot 0 counts zeros, slot i the integers 2^(i-1)..2^i - 1) as a
/// Prometheus histogram: bucket i holds every value up to 2^i - 1, cumulative; the
/// +Inf bucket (the count) is every value.
fn log2_histogram(slots: &[u64], sum: u64) -> Metric {
    let mut cumulative = 0u64;
    let last_used = slots.iter().rposition(|&n| n > 0).unwrap_or(0);
    let buckets = slots[..=last_used.min(slots.len().saturating_sub(1))]
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            cumulative += n;
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(((1u128 << i) - 1) as f64);
            bucket.set_cumulative_count(cumulative);
            bucket
        })
        .collect();
    let mut histogram = Histogram::default();
    histogram.set_sample_count(slots.iter().sum());
    histogram.set_sample_sum(sum as f64);
    histogram.set_bucket(buckets);
    let mut metric = Metric::default();
    metric.set_histogram(histogram);
    metric
}

/// A server thread: answers requests until the tool stops (then lets the next thread
/// stop too: unblock() releases one recv() at a time).
fn answer(server: &tiny_http::Server, snapshot: &Mutex<Arc<Vec<MetricFamily>>>) {
    while let Ok(request) = server.recv() {
        respond(request, snapshot);
    }
    server.unblock();
}

fn respond(request: tiny_http::Request, snapshot: &Mutex<Arc<Vec<MetricFamily>>>) {
    let response = if request.url() != "/metrics" {
        text_response(404, "Not found: the metrics are at /metrics\n")
    } else if !matches!(
        request.method(),
        tiny_http::Method::Get | tiny_http::Method::Head
    ) {
        text_response(405, "Only GET /metrics\n")
    } else {
        let families = Arc::clone(&snapshot.lock().unwrap_or_else(|p| p.into_inner()));
        match prometheus::TextEncoder::new().encode_to_string(&families) {
            Ok(text) => {
                let kind = "text/plain; version=0.0.4; charset=utf-8";
                text_response(200, &text).with_header(header("Content-Type", kind))
            }
            Err(err) => text_response(500, &format!("{err}\n")),
        }
    };
    // A client gone before the answer is its own business.
    let _ = request.respond(response);
}

fn text_response(status: u16, body: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_string(body).with_status_code(status)
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Key {
        cgroup_id: Option<u64>,
        comm: String,
        uid: u32,
    }

    #[test]
    fn key_fields_become_labels_but_the_cgroup_id() {
        let key = Key {
            cgroup_id: Some(7),
            comm: "cat".into(),
            uid: 0,
        };
        assert_eq!(
            labels_of(&key),
            vec![
                ("comm".to_string(), "cat".to_string()),
                ("uid".into(), "0".into())
            ]
        );
    }

    #[test]
    fn log2_slots_become_cumulative_buckets_up_to_the_last_used() {
        // 1 zero, 2 values of 1, 4 of 4..7.
        let metric = log2_histogram(&[1, 2, 0, 4, 0, 0], 30);
        let histogram = metric.get_histogram();
        let buckets: Vec<(f64, u64)> = histogram
            .get_bucket()
            .iter()
            .map(|b| (b.upper_bound(), b.cumulative_count()))
            .collect();
        assert_eq!(buckets, [(0.0, 1), (1.0, 3), (3.0, 3), (7.0, 7)]);
        assert_eq!(histogram.get_sample_count(), 7);
        assert_eq!(histogram.get_sample_sum(), 30.0);
    }
}
