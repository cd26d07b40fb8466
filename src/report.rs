//! The aggregating tools' reports. A tool reads its maps into `Counts` (typed keys,
//! u64 counters), which keeps everything cumulative since the start of the run; every
//! report is derived from that one state: each interval the increase since the last
//! interval report, at the stop the totals. Tables and JSON come from the same typed
//! rows (record.rs), so numbers stay numbers.

use std::collections::BTreeMap;

use anyhow::Result;
use libbpf_rs::MapCore;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::cli::CountArgs;
use crate::cli::OutputArgs;
use crate::cli::ReportArgs;
use crate::maps;
use crate::maps::top_n;
use crate::metrics::Exporter;
use crate::output::log2_hist_lines;
use crate::output::slot_range;
use crate::record::Column;
use crate::record::Printer;
use crate::record::Table;
use crate::tool;

/// Whether a report covers the last interval or the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Interval,
    Total,
}

impl Scope {
    pub fn from_last(last: bool) -> Self {
        if last {
            Scope::Total
        } else {
            Scope::Interval
        }
    }
}

/// The counters of one row as the table and JSON show them, made from the kernel's
/// u64 counters (in the order of the BPF value struct).
pub trait Counters: Serialize + JsonSchema {
    fn from_counts(counts: &[u64]) -> Self;
}

/// The one counter of most per-key tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Count {
    /// Calls counted
    pub count: u64,
}

impl Counters for Count {
    fn from_counts(counts: &[u64]) -> Self {
        Self {
            count: counts.first().copied().unwrap_or(0),
        }
    }
}

/// A key for a report without keys (one row of counters).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
pub struct NoKey {}

/// One row of a report: the key's fields, then the counters.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Row<K, C> {
    #[serde(flatten)]
    pub key: K,
    #[serde(flatten)]
    pub counters: C,
}

/// A log2 histogram bucket in JSON: the values it counts, and how many there were.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Bucket {
    pub low: u64,
    pub high: u64,
    pub count: u64,
}

/// One report as JSON: the scope, the sum over all keys where the tool keeps one, the
/// rows, and a histogram where the tool has one (at the stop).
#[derive(Serialize, JsonSchema)]
pub struct ReportRecord<K, C> {
    pub scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<C>,
    pub rows: Vec<Row<K, C>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<Bucket>>,
}

/// Counters per key, cumulative since the tool started, and what the last interval
/// report saw of them.
#[derive(Debug)]
pub struct Tally<K> {
    totals: BTreeMap<K, Vec<u64>>,
    reported: BTreeMap<K, Vec<u64>>,
}

impl<K> Default for Tally<K> {
    fn default() -> Self {
        Self {
            totals: BTreeMap::new(),
            reported: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone> Tally<K> {
    /// A reading of counters the kernel keeps cumulative: they replace what was known.
    /// Raw keys that decode to one key are summed; keys not read again keep their
    /// totals (counters never go down).
    pub fn set(&mut self, readings: impl IntoIterator<Item = (K, Vec<u64>)>) {
        let mut summed: BTreeMap<K, Vec<u64>> = BTreeMap::new();
        for (key, counts) in readings {
            let sums = summed.entry(key).or_default();
            *sums = maps::sum_counters([std::mem::take(sums), counts]);
        }
        self.totals.extend(summed);
    }

    /// Counters the kernel handed over and forgot (taken entries): added to the totals.
    pub fn add(&mut self, taken: impl IntoIterator<Item = (K, Vec<u64>)>) {
        for (key, counts) in taken {
            let sums = self.totals.entry(key).or_default();
            *sums = maps::sum_counters([std::mem::take(sums), counts]);
        }
    }

    /// Every key with its counters since the start.
    pub fn totals(&self) -> Vec<(K, Vec<u64>)> {
        self.totals
            .iter()
            .map(|(key, counts)| (key.clone(), counts.clone()))
            .collect()
    }

    /// Every key with its increase since the last call (zeros included).
    pub fn interval(&mut self) -> Vec<(K, Vec<u64>)> {
        let mut deltas = Vec::with_capacity(self.totals.len());
        for (key, counts) in &self.totals {
            let before = self.reported.get(key);
            let delta = counts
                .iter()
                .enumerate()
                .map(|(i, now)| {
                    now.wrapping_sub(before.and_then(|b| b.get(i)).copied().unwrap_or(0))
                })
                .collect();
            deltas.push((key.clone(), delta));
        }
        self.reported = self.totals.clone();
        deltas
    }
}

/// Everything an aggregating tool has counted: per key, in all where the tool counts
/// that apart, and a log2 histogram where it keeps one. Filled by the tool's reader
/// before each report.
#[derive(Debug)]
pub struct Counts<K> {
    pub per_key: Tally<K>,
    pub total: Option<Tally<NoKey>>,
    /// Cumulative log2 slots (slot 0 counts zeros, slot i 2^(i-1)..2^i - 1).
    pub histogram: Option<Vec<u64>>,
}

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Self {
            per_key: Tally::default(),
            total: None,
            histogram: None,
        }
    }
}

impl<K: Ord + Clone> Counts<K> {
    /// The counters of everything together (a map of its own in the kernel).
    pub fn set_total(&mut self, counts: Vec<u64>) {
        self.total
            .get_or_insert_with(Tally::default)
            .set([(NoKey {}, counts)]);
    }
}

/// What ranks a row: a number made from its counters (the larger, the higher).
pub type Weight = Box<dyn Fn(&[u64]) -> u64>;

/// How rows are chosen and ordered.
pub enum Ranking {
    /// Every key that counted something, in key order (CPUs, protocols).
    KeyOrder,
    /// Every key, counted or not, in key order: one fixed row (sendrecv_count).
    AllKeys,
    /// The `top` keys with the largest `weight` (ties by key).
    Top { top: usize, weight: Weight },
}

impl Ranking {
    /// The largest first counter first, `top` of them.
    pub fn top(top: u32) -> Self {
        Self::top_by(top, |counts| counts.first().copied().unwrap_or(0))
    }

    pub fn top_by(top: u32, weight: impl Fn(&[u64]) -> u64 + 'static) -> Self {
        Self::Top {
            top: top as usize,
            weight: Box::new(weight),
        }
    }
}

/// What a report looks like: its key and counter columns (record.rs), the rows it
/// shows, and the total row where the tool keeps a total.
pub struct ReportSpec<'a> {
    /// For the readiness line: "Tracing {what}... Hit Ctrl-C to end."
    pub what: &'a str,
    /// The key columns, then the counter columns.
    pub table: Table,
    pub ranking: Ranking,
    /// The table's total row: the key column that names it and the name (the JSON
    /// has `total` instead); None where there is no key column.
    pub total_label: Option<(&'static str, &'static str)>,
    /// The total row before the rows (else after them).
    pub total_first: bool,
    /// The histogram's unit ("bytes"), if the tool keeps one.
    pub histogram_unit: &'static str,
}

impl<'a> ReportSpec<'a> {
    pub fn new(what: &'a str, table: Table, ranking: Ranking) -> Self {
        Self {
            what,
            table,
            ranking,
            total_label: None,
            total_first: false,
            histogram_unit: "",
        }
    }
}

/// The life of an aggregating tool once attached: the header (not with --json), the
/// readiness line, then every interval `read` brings `counts` up to date and the
/// increase is printed, and at the stop (Ctrl-C, SIGTERM, --duration, closed stdout)
/// the totals.
pub fn run_reports<K, C>(
    args: &ReportArgs,
    mut spec: ReportSpec<'_>,
    mut read: impl FnMut(&mut Counts<K>) -> Result<()>,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
    C: Counters,
{
    let mut counts = Counts::default();
    let printer = report_printer(&args.output, &mut spec);
    let mut exporter = Exporter::if_serving();
    // A daemon's stdout is a log: with metrics, a table only if -i asks for one.
    let tables = exporter.is_none() || args.interval.interval.is_some();
    if tables {
        printer.header()?;
    }
    tool::announce_ready(spec.what);
    // Metrics are refreshed at least every second; a table is printed every -i, that is
    // every `reads_per_report` reads.
    let every = args.interval.every();
    let reads_per_report = match exporter {
        Some(_) => every.as_secs_f64().ceil().max(1.0) as u32,
        None => 1,
    };
    let mut reads = 0u32;
    tool::sample_every(every / reads_per_report, args.run.duration, |last| {
        read(&mut counts)?;
        reads += 1;
        if let Some(exporter) = &mut exporter {
            let total = counts.total.as_ref().map(|t| first_counts(t.totals()));
            exporter.publish(
                &counts.per_key.totals(),
                total.as_deref(),
                counts.histogram.as_deref(),
            );
        }
        if !tables || !(last || reads % reads_per_report == 0) {
            return Ok(());
        }
        let scope = Scope::from_last(last);
        print_report::<K, C>(&printer, &spec, &mut counts, scope)?;
        Ok(printer.flush()?)
    })
}

/// Reports go under SCOPE and the spec's columns.
fn report_printer(output: &OutputArgs, spec: &mut ReportSpec<'_>) -> Printer {
    let table = Table::new()
        .column(Column::left("scope", "SCOPE", 8))
        .then(std::mem::take(&mut spec.table));
    Printer::new(table, output.json, output.timestamp)
}

/// One report of the totals `read` makes, for a tool that counts while it does
/// something else and reports once, at its end (key_pressed): after a blank line, the
/// header and the rows, or one JSON object.
pub fn print_once<K, C>(
    output: &OutputArgs,
    mut spec: ReportSpec<'_>,
    read: impl FnOnce(&mut Counts<K>) -> Result<()>,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
    C: Counters,
{
    let mut counts = Counts::default();
    read(&mut counts)?;
    let printer = report_printer(output, &mut spec);
    printer.text("")?;
    printer.header()?;
    print_report::<K, C>(&printer, &spec, &mut counts, Scope::Total)?;
    Ok(printer.flush()?)
}

/// Prints one report of `counts`: rows (and the total row) as a table, or one JSON
/// object.
pub fn print_report<K, C>(
    printer: &Printer,
    spec: &ReportSpec<'_>,
    counts: &mut Counts<K>,
    scope: Scope,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
    C: Counters,
{
    let (keyed, total) = match scope {
        Scope::Interval => (
            counts.per_key.interval(),
            counts.total.as_mut().map(|t| first_counts(t.interval())),
        ),
        Scope::Total => (
            counts.per_key.totals(),
            counts.total.as_ref().map(|t| first_counts(t.totals())),
        ),
    };
    let moved = |rows: Vec<(K, Vec<u64>)>| -> Vec<(K, Vec<u64>)> {
        rows.into_iter()
            .filter(|(_, c)| c.iter().any(|&n| n != 0))
            .collect()
    };
    let chosen = match &spec.ranking {
        Ranking::AllKeys => keyed,
        Ranking::KeyOrder => moved(keyed),
        Ranking::Top { top, weight } => {
            top_n(moved(keyed), *top, |(key, c)| (weight(c), key.clone()))
        }
    };
    let rows: Vec<Row<K, C>> = chosen
        .into_iter()
        .map(|(key, c)| Row {
            key,
            counters: C::from_counts(&c),
        })
        .collect();
    // The histogram comes with the totals, once.
    let slots = match scope {
        Scope::Total => counts.histogram.clone(),
        Scope::Interval => None,
    };
    let time = printer.time();
    if printer.is_json() {
        let report = ReportRecord {
            scope,
            total: total.map(|c| C::from_counts(&c)),
            rows,
            histogram: slots.as_deref().map(buckets),
        };
        printer.record_at(time.as_deref(), &report)?;
        return Ok(());
    }
    let total_line = |printer: &Printer| -> Result<()> {
        if let Some(total) = &total {
            let mut value = serde_json::to_value(C::from_counts(total))?;
            if let (Some((field, label)), Value::Object(map)) = (spec.total_label, &mut value) {
                map.insert(field.to_string(), Value::from(label));
            }
            printer.record_at(time.as_deref(), &Scoped { scope, row: &value })?;
        }
        Ok(())
    };
    if spec.total_first {
        total_line(printer)?;
    }
    for row in &rows {
        printer.record_at(time.as_deref(), &Scoped { scope, row })?;
    }
    if !spec.total_first {
        total_line(printer)?;
    }
    if let Some(slots) = slots {
        for line in log2_hist_lines(&slots, spec.histogram_unit) {
            printer.text(&line)?;
        }
    }
    Ok(())
}

/// A table row: the scope in front of the row's fields.
#[derive(Serialize)]
struct Scoped<'a, R> {
    scope: Scope,
    #[serde(flatten)]
    row: &'a R,
}

fn first_counts(rows: Vec<(NoKey, Vec<u64>)>) -> Vec<u64> {
    rows.into_iter().next().map(|(_, c)| c).unwrap_or_default()
}

/// The used slots of a log2 histogram as JSON buckets.
fn buckets(slots: &[u64]) -> Vec<Bucket> {
    slots
        .iter()
        .enumerate()
        .filter(|(_, &count)| count > 0)
        .map(|(slot, &count)| {
            let (low, high) = slot_range(slot);
            Bucket { low, high, count }
        })
        .collect()
}

/// The life of a per-key counting tool once attached: every report reads `map` (a
/// per-CPU hash of u64 counters, summed over CPUs), turns each map key into the row's
/// typed key with `decode` (None: an entry not to show, e.g. not matching -n), and
/// prints the largest rows (--top) under `key_columns` and a COUNT column (before a
/// last key column, a path, as in bcc's tables).
pub fn count_per_key<K>(
    map: &dyn MapCore,
    args: &CountArgs,
    key_columns: Table,
    what: &str,
    mut decode: impl FnMut(&[u8]) -> Option<K>,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
{
    let table = key_columns
        .counters_before_last(Table::new().column(Column::right("count", "COUNT", 10)))
        .cgroup_first(args.grouping.by_cgroup);
    let spec = ReportSpec::new(what, table, Ranking::top(args.top.top));
    run_reports::<K, Count>(&args.report, spec, |counts| {
        let readings = maps::percpu_hash_sums(map)?
            .into_iter()
            .filter_map(|(raw, sums)| Some((decode(&raw)?, sums)));
        counts.per_key.set(readings);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
    struct Comm {
        comm: String,
    }

    fn comm(name: &str) -> Comm {
        Comm { comm: name.into() }
    }

    #[test]
    fn tally_keeps_totals_and_derives_intervals() {
        let mut tally = Tally::default();
        tally.set([(comm("a"), vec![1]), (comm("b"), vec![5])]);
        assert_eq!(
            tally.interval(),
            vec![(comm("a"), vec![1]), (comm("b"), vec![5])]
        );
        // "b" is not read again (an evicted key): its total stays.
        tally.set([(comm("a"), vec![9])]);
        assert_eq!(
            tally.interval(),
            vec![(comm("a"), vec![8]), (comm("b"), vec![0])]
        );
        assert_eq!(
            tally.totals(),
            vec![(comm("a"), vec![9]), (comm("b"), vec![5])]
        );
    }

    #[test]
    fn keys_that_decode_alike_are_summed_and_taken_counts_add_up() {
        let mut tally = Tally::default();
        tally.set([(comm("cat"), vec![2]), (comm("cat"), vec![3])]);
        assert_eq!(tally.totals(), vec![(comm("cat"), vec![5])]);
        let mut taken = Tally::default();
        taken.add([(comm("w"), vec![1, 10])]);
        taken.add([(comm("w"), vec![2, 20])]);
        assert_eq!(taken.interval(), vec![(comm("w"), vec![3, 30])]);
        assert_eq!(taken.interval(), vec![(comm("w"), vec![0, 0])]);
    }

    #[test]
    fn json_rows_carry_typed_keys_and_counters() {
        let report = ReportRecord {
            scope: Scope::Total,
            total: None::<Count>,
            rows: vec![Row {
                key: comm("cat"),
                counters: Count { count: 5 },
            }],
            histogram: None,
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"scope":"total","rows":[{"comm":"cat","count":5}]}"#
        );
    }

    #[test]
    fn histogram_buckets_are_the_used_slots() {
        let json = serde_json::to_string(&buckets(&[0, 0, 2])).unwrap();
        assert_eq!(json, r#"[{"low":2,"high":3,"count":2}]"#);
    }
}
