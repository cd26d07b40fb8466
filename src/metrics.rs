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
//! - Event tools serve how many events the kernel delivered and how many it lost (its
//!   buffer full), so that a fleet can alert on loss.
//! - Self-metrics: build info, programs attached, and each program's run count and run
//!   time once the kernel keeps them (kernel.bpf_stats_enabled, or a BPF_ENABLE_STATS
//!   descriptor held by anyone), as ebpf_exporter does.
//!
//! The address is bound before anything loads (`serve`, from tool::load); the server
//! (server.rs) runs in a thread of its own. The sampling loop builds the tool's families
//! after each read and swaps them in; a scrape encodes the families it took plus the
//! self-metrics of that moment, so a slow scrape never holds up the loop.

mod server;

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::net::ToSocketAddrs;
use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::OwnedFd;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use anyhow::Result;
use libbpf_rs::Object;
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

/// Key fields that are not labels: the cgroup's id says what `cgroup` says, and a
/// cut path is marked in the path's own text.
const NOT_LABELS: [&str; 2] = ["cgroup_id", "path_cut"];

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
/// The attached programs: their names and (duplicated) descriptors, for their stats.
static PROGRAMS: OnceLock<Vec<(String, OwnedFd)>> = OnceLock::new();
static SERVING: AtomicBool = AtomicBool::new(false);
static STREAMING: AtomicBool = AtomicBool::new(false);
static EVENTS: AtomicU64 = AtomicU64::new(0);
static LOST: AtomicU64 = AtomicU64::new(0);
/// The tool's own families, as the sampling loop last published them.
static FAMILIES: Mutex<Option<Arc<Vec<MetricFamily>>>> = Mutex::new(None);

/// Binds `addr` and serves /metrics from now on (tool::load, before anything loads):
/// an address that cannot be bound is an error (one line).
pub fn serve(addr: SocketAddr) -> Result<()> {
    server::serve(addr, exposition)?;
    SERVING.store(true, Ordering::Relaxed);
    Ok(())
}

/// Whether --metrics-addr is being served.
pub fn serving() -> bool {
    SERVING.load(Ordering::Relaxed)
}

/// The programs the tool attached (tool::load, once attached): their count is served,
/// and their run stats.
pub fn note_programs(object: &Object) {
    let programs = object
        .progs()
        .filter(|prog| prog.autoload())
        .filter_map(|prog| {
            let fd = prog.as_fd().try_clone_to_owned().ok()?;
            Some((prog.name().to_string_lossy().into_owned(), fd))
        })
        .collect();
    let _ = PROGRAMS.set(programs);
}

/// An event tool is streaming: its events and lost events are served.
pub fn note_streaming() {
    STREAMING.store(true, Ordering::Relaxed);
}

/// `events` more delivered by the kernel.
pub fn count_events(events: u64) {
    EVENTS.fetch_add(events, Ordering::Relaxed);
}

/// Events lost so far (the kernel's count).
pub fn note_lost(lost: u64) {
    LOST.fetch_max(lost, Ordering::Relaxed);
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

/// A counting tool's publisher: the label sets admitted so far.
#[derive(Default)]
pub struct Exporter {
    admitted: BTreeSet<Labels>,
}

impl Exporter {
    /// A publisher if metrics are served.
    pub fn if_serving() -> Option<Exporter> {
        serving().then(Exporter::default)
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
        for (i, declared) in counters.iter().enumerate() {
            let metrics = series
                .iter()
                .map(|(labels, counts)| {
                    let value = counts.get(i).copied().unwrap_or(0) as f64;
                    let mut metric = Metric::from_label(label_pairs(labels));
                    metric.set_counter(counter(value));
                    metric
                })
                .collect();
            families.extend(family(
                declared.name,
                declared.help,
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
        *FAMILIES.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(families));
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
}

/// What a scrape gets: the tool's families as last published, then the self-metrics
/// of this moment.
fn exposition() -> Result<String, String> {
    // The published families are encoded where they are, not copied (10,000 series).
    let published = FAMILIES.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let encoder = prometheus::TextEncoder::new();
    let mut text = String::new();
    for families in [
        published.as_deref().map_or(&[][..], Vec::as_slice),
        &self_metrics(),
    ] {
        text.push_str(
            &encoder
                .encode_to_string(families)
                .map_err(|err| err.to_string())?,
        );
    }
    Ok(text)
}

/// Build info, programs attached, events (event tools) and program stats.
fn self_metrics() -> Vec<MetricFamily> {
    let mut families = Vec::new();
    let mut build = Metric::from_label(label_pairs(&[
        ("tool".to_string(), crate::run::tool_name().to_string()),
        ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ]));
    build.set_gauge(gauge(1.0));
    families.extend(family(
        "build_info",
        "The tool and version serving these metrics (always 1)",
        MetricType::GAUGE,
        vec![build],
    ));
    let programs = PROGRAMS.get().map(Vec::as_slice).unwrap_or_default();
    families.extend(family(
        "programs_attached",
        "BPF programs the tool has attached",
        MetricType::GAUGE,
        vec![Metric::from_gauge(gauge(programs.len() as f64))],
    ));
    if STREAMING.load(Ordering::Relaxed) {
        for (name, help, value) in [
            (
                "events_total",
                "Events the kernel delivered to the tool",
                &EVENTS,
            ),
            (
                "lost_events_total",
                "Events the kernel dropped: the event buffer was full",
                &LOST,
            ),
        ] {
            let mut metric = Metric::default();
            metric.set_counter(counter(value.load(Ordering::Relaxed) as f64));
            families.extend(family(name, help, MetricType::COUNTER, vec![metric]));
        }
    }
    families.extend(program_stats(programs));
    families
}

/// Each program's run count and run time, once the kernel keeps them (all zero while
/// no one has switched BPF stats on: then not served).
fn program_stats(programs: &[(String, OwnedFd)]) -> Vec<MetricFamily> {
    let stats: Vec<(&str, libbpf_sys::bpf_prog_info)> = programs
        .iter()
        .filter_map(|(name, fd)| Some((name.as_str(), program_info(fd)?)))
        .collect();
    if stats.iter().all(|(_, info)| info.run_cnt == 0) && !bpf_stats_enabled() {
        return Vec::new();
    }
    let per_program = |value: fn(&libbpf_sys::bpf_prog_info) -> f64| {
        stats
            .iter()
            .map(|(name, info)| {
                let labels = [("program".to_string(), name.to_string())];
                let mut metric = Metric::from_label(label_pairs(&labels));
                metric.set_counter(counter(value(info)));
                metric
            })
            .collect()
    };
    [
        family(
            "program_runs_total",
            "Times each BPF program ran (while BPF stats are on)",
            MetricType::COUNTER,
            per_program(|info| info.run_cnt as f64),
        ),
        family(
            "program_run_seconds_total",
            "Time each BPF program ran (while BPF stats are on)",
            MetricType::COUNTER,
            per_program(|info| info.run_time_ns as f64 / 1e9),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The kernel's fixed-size information on a program (no arrays asked for).
fn program_info(fd: &OwnedFd) -> Option<libbpf_sys::bpf_prog_info> {
    let mut info = libbpf_sys::bpf_prog_info::default();
    let mut len = std::mem::size_of::<libbpf_sys::bpf_prog_info>() as u32;
    // SAFETY: `info` is a zeroed bpf_prog_info of `len` bytes; with every array pointer
    // zero the kernel writes only into the struct itself.
    let err = unsafe { libbpf_sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len) };
    (err == 0).then_some(info)
}

fn bpf_stats_enabled() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/bpf_stats_enabled")
        .is_ok_and(|text| text.trim() == "1")
}

fn gauge(value: f64) -> Gauge {
    let mut gauge = Gauge::default();
    gauge.set_value(value);
    gauge
}

fn counter(value: f64) -> Counter {
    let mut counter = Counter::default();
    counter.set_value(value);
    counter
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
