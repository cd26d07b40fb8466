//! Prometheus metrics (--metrics-addr): the counting tools' cumulative report state
//! (report.rs `Counts`) served as `GET /metrics` in the Prometheus text format, beside
//! the sampling loop.
//!
//! - Names: `ebpf_tracers_<name>` as each tool declares its counters (`Declared`, in its
//!   src/tools module): `_total` counters in base units (bytes; seconds for a field the
//!   kernel counts in nanoseconds, named `*_ns`), a log2 histogram as a Prometheus
//!   histogram.
//! - Labels: the fields of the tool's typed key (comm, uid, user, path, dest, cpu, and
//!   with --by-cgroup cgroup, container_id, pod_uid), as its JSON names them.
//! - Counters never go down: they are the runtime's totals since the start, which also
//!   keep what the kernel hands over and forgets (filetop) or evicts.
//! - Series are bounded: at most `MAX_SERIES` label sets get a series each (the report's
//!   kept keys, the busiest: report.rs `Tally`); everything beyond them is summed into
//!   one series whose labels all read `[overflow]`, with `overflow="true"` besides (no
//!   process name can forge it), so the sum over all series is
//!   always every count. A key that loses its place to a busier one leaves the
//!   exposition and its count moves into the overflow series.
//! - Counting tools whose map can fill serve `ebpf_tracers_not_counted_total`: events
//!   the kernel could not count.
//!
//! - Event tools serve how many events the kernel delivered and how many it lost (its
//!   buffer full), so that a fleet can alert on loss.
//! - Every tool serves `ebpf_tracers_program_runs_skipped_total` per program: runs the
//!   kernel skipped (`kernel::programs::runs_skipped`), whose events are lost to every
//!   BPF tool.
//! - Self-metrics: build info, programs attached, and each program's run count and run
//!   time once the kernel keeps them (kernel.bpf_stats_enabled, or a BPF_ENABLE_STATS
//!   descriptor held by anyone), as ebpf_exporter does.
//!
//! The address is bound before anything loads (`serve`, from kernel::load); the server
//! (server.rs) runs in a thread of its own. The sampling loop builds the tool's families
//! after each read and swaps them in; a scrape encodes the families it took plus the
//! self-metrics of that moment, so a slow scrape never holds up the loop.

mod server;
mod web_config;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;

use anyhow::Result;
use hyper::body::Bytes;
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

use crate::cli::MetricsArgs;
use crate::kernel::counters::Counters;
use crate::kernel::programs;
use crate::output::record::cell_text;
use web_config::WebConfig;

/// A series' labels: (name, value), in the key's field order.
type Labels = Vec<(String, String)>;

/// Every metric's name starts so.
pub const PREFIX: &str = "ebpf_tracers";

/// Label sets beyond this many, per tool, are summed into the overflow series.
pub const MAX_SERIES: usize = crate::kernel::counters::MAX_KEYS;

/// The label value of the overflow series.
pub const OVERFLOW: &str = "[overflow]";

/// Key fields that are not labels: the cgroup's id says what `cgroup` says, and a
/// cut path is marked in the path's own text.
const NOT_LABELS: [&str; 2] = ["cgroup_id", "path_cut"];

/// One counter of a tool: the field `field` of its counters (counters.rs), as the
/// metric `ebpf_tracers_<name>` (a name ending in `_total`).
#[derive(Debug, Clone, Copy)]
pub struct CounterSeries {
    pub field: &'static str,
    pub name: &'static str,
    pub help: &'static str,
}

/// A log2 histogram as a Prometheus histogram: `ebpf_tracers_<name>`, its `_sum` the
/// total's counter `sum_of` (a field name).
#[derive(Debug, Clone, Copy)]
pub struct HistogramSeries {
    pub name: &'static str,
    pub help: &'static str,
    pub sum_of: &'static str,
}

/// What a counting tool serves: the series of its counters' fields, and its histogram
/// if it keeps one.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub counters: &'static [CounterSeries],
    pub histogram: Option<HistogramSeries>,
}

static DECLARED: OnceLock<&'static Declared> = OnceLock::new();
/// The attached programs: their names and (duplicated) descriptors, for their stats.
static SERVING: AtomicBool = AtomicBool::new(false);
static STREAMING: AtomicBool = AtomicBool::new(false);
static EVENTS: AtomicU64 = AtomicU64::new(0);
static LOST: AtomicU64 = AtomicU64::new(0);
/// The tool's own families as the sampling loop last published them, and their text,
/// encoded by the first scrape that wants it and shared by every later one.
static SNAPSHOT: Mutex<Option<Arc<Snapshot>>> = Mutex::new(None);
/// The address being served (port 0 resolved to the kernel's choice) and its scheme.
static BOUND: OnceLock<(SocketAddr, &'static str)> = OnceLock::new();

struct Snapshot {
    families: Vec<MetricFamily>,
    encoded: OnceLock<Result<Bytes, String>>,
}

/// Binds --metrics-addr and serves /metrics from now on (kernel::load, before anything
/// loads), with TLS and basic authentication as --web-config says: an address that
/// cannot be bound, or a web configuration that cannot be used, is an error (one line).
pub fn serve(args: &MetricsArgs) -> Result<()> {
    let Some(addr) = args.metrics_addr else {
        return Ok(());
    };
    let web = match &args.web_config {
        Some(path) if !path.as_os_str().is_empty() => WebConfig::load(path)?,
        _ => WebConfig::default(),
    };
    let scheme = if web.tls.is_some() { "https" } else { "http" };
    let bound = server::serve(addr, exposition, web)?;
    let _ = BOUND.set((bound, scheme));
    SERVING.store(true, Ordering::Relaxed);
    Ok(())
}

/// Whether --metrics-addr is being served.
pub fn serving() -> bool {
    SERVING.load(Ordering::Relaxed)
}

/// The address served, as bound, and "http" or "https" (for the readiness line).
pub fn bound() -> Option<(SocketAddr, &'static str)> {
    BOUND.get().copied()
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

/// What a counting tool publishes after a read: its counters per key (cumulative),
/// what its kept keys could not hold (the overflow row), the total where it has no
/// keys, the histogram's cumulative slots, and what the kernel could not count.
pub struct Published<'a, K, C> {
    pub per_key: &'a [(K, C)],
    pub overflow: &'a C,
    pub total: Option<&'a C>,
    pub histogram: Option<&'a [u64]>,
    pub not_counted: Option<u64>,
}

/// A counting tool's publisher.
#[derive(Default)]
pub struct Exporter {}

impl Exporter {
    /// A publisher if metrics are served.
    pub fn if_serving() -> Option<Exporter> {
        serving().then(Exporter::default)
    }

    /// Publishes what a read brought: a series per label set, at most `MAX_SERIES`
    /// of them (the busiest by all their counters, as the tally ranks its rows; the
    /// rest and the tally's own overflow row are summed into the overflow series).
    pub fn publish<K: Serialize, C: Counters>(&mut self, published: Published<'_, K, C>) {
        let Published {
            per_key,
            overflow,
            total,
            histogram,
            not_counted,
        } = published;
        let declared = DECLARED.get().copied();
        let counters = declared.map(|d| d.counters).unwrap_or_default();
        let mut series: BTreeMap<Labels, C> = BTreeMap::new();
        let rows: Vec<(Labels, &C)> = if per_key.is_empty() {
            total.map(|t| (Vec::new(), t)).into_iter().collect()
        } else {
            per_key
                .iter()
                .map(|(key, counts)| (labels_of(key), counts))
                .collect()
        };
        for (labels, counts) in rows {
            series.entry(labels).or_default().add(counts);
        }
        let overflowing = !overflow.is_zero();
        if series.len() > MAX_SERIES || overflowing {
            // Its own label too: a process may well be named "[overflow]".
            let mut overflow_labels: Labels = series
                .keys()
                .next()
                .map(|labels| {
                    labels
                        .iter()
                        .map(|(name, _)| (name.clone(), OVERFLOW.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            overflow_labels.push(("overflow".to_string(), "true".to_string()));
            let mut ranked: Vec<(Labels, C)> = series.into_iter().collect();
            ranked.sort_by(|(a_labels, a), (b_labels, b)| {
                (b.weight().cmp(&a.weight())).then_with(|| a_labels.cmp(b_labels))
            });
            let rest = ranked.split_off(ranked.len().min(MAX_SERIES));
            series = ranked.into_iter().collect();
            let sums = series.entry(overflow_labels).or_default();
            sums.add(overflow);
            for (_, counts) in rest {
                sums.add(&counts);
            }
        }
        let mut families = Vec::new();
        for declared in counters {
            let metrics = series
                .iter()
                .map(|(labels, counts)| {
                    let value = in_base_units(declared.field, counts.get(declared.field));
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
            let sum = total.and_then(|t| t.get(spec.sum_of)).unwrap_or(0);
            families.extend(family(
                spec.name,
                spec.help,
                MetricType::HISTOGRAM,
                vec![log2_histogram(slots, sum)],
            ));
        }
        if let Some(missed) = not_counted {
            let mut metric = Metric::default();
            metric.set_counter(counter(missed as f64));
            families.extend(family(
                "not_counted_total",
                "Events the kernel could not count: the tool's map was full",
                MetricType::COUNTER,
                vec![metric],
            ));
        }
        let snapshot = Snapshot {
            families,
            encoded: OnceLock::new(),
        };
        *SNAPSHOT.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(snapshot));
    }
}

/// What a scrape gets: the tool's families as last published (encoded once per
/// snapshot, the same buffer for every scrape of it), then the self-metrics of this
/// moment (a few lines, encoded each time).
fn exposition() -> Result<Vec<Bytes>, String> {
    let published = SNAPSHOT.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut parts = Vec::with_capacity(2);
    if let Some(snapshot) = published {
        let encoded = snapshot
            .encoded
            .get_or_init(|| encode(&snapshot.families).map(Bytes::from));
        parts.push(encoded.clone()?);
    }
    parts.push(Bytes::from(encode(&self_metrics())?));
    Ok(parts)
}

fn encode(families: &[MetricFamily]) -> Result<String, String> {
    prometheus::TextEncoder::new()
        .encode_to_string(families)
        .map_err(|err| err.to_string())
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
    families.extend(family(
        "programs_attached",
        "BPF programs the tool has attached",
        MetricType::GAUGE,
        vec![Metric::from_gauge(gauge(programs::attached() as f64))],
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
    families.extend(program_stats());
    families
}

/// Each program's run count and run time, once the kernel keeps them (all zero while
/// no one has switched BPF stats on: then not served).
fn program_stats() -> Vec<MetricFamily> {
    let stats = programs::infos();
    let per_program = |value: fn(&programs::ProgramInfo) -> f64| {
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
    // Kept by the kernel whether or not BPF stats are on.
    let skipped = family(
        "program_runs_skipped_total",
        "Runs of each BPF program the kernel skipped (it was already running on that CPU): \
         their events are lost",
        MetricType::COUNTER,
        per_program(|info| info.recursion_misses as f64),
    );
    if stats.iter().all(|(_, info)| info.run_cnt == 0) && !programs::stats_enabled() {
        return skipped.into_iter().collect();
    }
    [
        skipped,
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

/// A counter field's value in the base unit Prometheus wants: `*_ns` fields in seconds.
fn in_base_units(field: &str, value: Option<u64>) -> f64 {
    let value = value.unwrap_or(0) as f64;
    if field.ends_with("_ns") {
        value / 1e9
    } else {
        value
    }
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
    fn the_overflow_row_and_what_was_not_counted_are_served() {
        use crate::kernel::counters::Count;
        static COUNTS: Declared = Declared {
            counters: &[CounterSeries {
                field: "count",
                name: "calls_total",
                help: "Calls",
            }],
            histogram: None,
        };
        declare(Some(&COUNTS));
        let key = |comm: &str| Key {
            cgroup_id: None,
            comm: comm.into(),
            uid: 0,
        };
        Exporter::default().publish(Published {
            per_key: &[
                (key("cat"), Count { count: 5 }),
                (key("ls"), Count { count: 2 }),
            ],
            overflow: &Count { count: 3 },
            total: None,
            histogram: None,
            not_counted: Some(9),
        });
        let text: String = exposition()
            .unwrap()
            .iter()
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect();
        assert!(
            text.contains(r#"ebpf_tracers_calls_total{comm="cat",uid="0"} 5"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ebpf_tracers_calls_total{comm="[overflow]",uid="[overflow]",overflow="true"} 3"#
            ),
            "{text}"
        );
        assert!(text.contains("ebpf_tracers_not_counted_total 9"), "{text}");
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
