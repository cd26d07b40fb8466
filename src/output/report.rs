//! The aggregating tools' reports. A tool reads its maps into `Counts` (typed keys,
//! typed counters: counters.rs), which keeps everything cumulative since the start of the run; every
//! report is derived from that one state: each interval the increase since the last
//! interval report, at the stop the totals. Tables and JSON come from the same typed
//! rows (record.rs), so numbers stay numbers.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use anyhow::Result;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::cli::CountArgs;
use crate::cli::OutputArgs;
use crate::cli::ReportArgs;
use crate::kernel::counters;
use crate::kernel::counters::Count;
use crate::kernel::counters::Counters;
use crate::kernel::counters::Counting;
use crate::kernel::maps::top_n;
use crate::output::metrics::Exporter;
use crate::output::metrics::Published;
use crate::output::record::Column;
use crate::output::record::Format;
use crate::output::record::Printer;
use crate::output::record::Table;
use crate::output::stream;
use crate::output::text::log2_hist_lines;
use crate::output::text::slot_range;

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
/// rows, what the kept keys could not hold (the overflow row) and what the kernel could
/// not count where its map can fill, and a histogram where the tool has one (at the
/// stop).
#[derive(Serialize, JsonSchema)]
pub struct ReportRecord<K, C> {
    pub scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<C>,
    pub rows: Vec<Row<K, C>>,
    /// The counters of keys beyond the 10,000 kept apart (the least busy), summed
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflow: Option<C>,
    /// Events the kernel could not count in this scope: its map was full
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<u64>,
    /// Runs of the tool's BPF programs the kernel skipped in this scope (a program
    /// already running on that CPU, preempted): what they would have counted is not
    /// counted; absent when none
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_runs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<Bucket>>,
}

/// Keys a drained tally keeps apart (`Tally::add`); what comes beyond them is summed
/// into the overflow row, as the metrics' overflow series.
pub const MAX_KEYS: usize = crate::kernel::counters::MAX_KEYS;

/// Counters per key, cumulative since the tool started, and what the last interval
/// report saw of them.
///
/// Counters the kernel hands over and forgets (`add`: a drained map, filetop's taken
/// entries) are kept for at most `MAX_KEYS` keys, chosen as the Space-Saving algorithm
/// chooses the heavy hitters of a stream: every key has a rank (the sum of its counters
/// since it got its row); a new key always gets a row, in place of the key of the
/// lowest rank, and starts at that rank plus its own counts. So a flood of keys that
/// count once each only ever replaces its own kind (a key that counts more outranks
/// them), a key that keeps counting rises above the flood however late it comes, and
/// no key waits for a place. A key's counts are its own, exact since it got its row;
/// the key it replaced is summed into the overflow row (the metrics' overflow series),
/// so the sum over all rows stays every count and none is counted twice. (A rate over
/// the overflow series counts a replaced key's history once more, when it moves.)
#[derive(Debug)]
pub struct Tally<K, C> {
    totals: BTreeMap<K, C>,
    reported: BTreeMap<K, C>,
    /// For `add`: each kept key's rank, and the keys by rank, the lowest first.
    ranks: BTreeMap<K, u64>,
    by_rank: BTreeSet<(u64, K)>,
    max_keys: usize,
    overflow: C,
    overflow_reported: C,
}

impl<K, C: Counters> Default for Tally<K, C> {
    fn default() -> Self {
        Self {
            totals: BTreeMap::new(),
            reported: BTreeMap::new(),
            ranks: BTreeMap::new(),
            by_rank: BTreeSet::new(),
            max_keys: MAX_KEYS,
            overflow: C::default(),
            overflow_reported: C::default(),
        }
    }
}

/// The increase of `now` over `before` (none: since zero), field by field.
fn increase<C: Counters>(now: &C, before: Option<&C>) -> C {
    before.map_or(*now, |before| now.since(before))
}

impl<K: Ord + Clone, C: Counters> Tally<K, C> {
    /// A tally that keeps `max_keys` keys apart in `add`.
    pub fn keeping(max_keys: usize) -> Self {
        Self {
            max_keys,
            ..Self::default()
        }
    }

    /// A reading of counters the kernel keeps cumulative: they replace what was known.
    /// Raw keys that decode to one key are summed; keys not read again keep their
    /// totals (counters never go down). The kernel's map bounds the keys.
    pub fn set(&mut self, readings: impl IntoIterator<Item = (K, C)>) {
        let mut summed: BTreeMap<K, C> = BTreeMap::new();
        for (key, counts) in readings {
            summed.entry(key).or_default().add(&counts);
        }
        self.totals.extend(summed);
    }

    /// Counters the kernel handed over and forgot (drained or taken entries): added to
    /// the totals, within `MAX_KEYS` keys (the type's doc says which are kept).
    pub fn add(&mut self, taken: impl IntoIterator<Item = (K, C)>) {
        for (key, counts) in taken {
            let base = match self.totals.get_mut(&key) {
                Some(sums) => {
                    sums.add(&counts);
                    let rank = self.ranks.get(&key).copied().unwrap_or(0);
                    self.by_rank.remove(&(rank, key.clone()));
                    rank
                }
                None => {
                    let floor = if self.totals.len() >= self.max_keys {
                        self.replace_lowest()
                    } else {
                        0
                    };
                    self.totals.insert(key.clone(), counts);
                    floor
                }
            };
            let rank = base.saturating_add(counts.weight());
            self.ranks.insert(key.clone(), rank);
            self.by_rank.insert((rank, key));
        }
    }

    /// Moves the key of the lowest rank into the overflow row (what was reported of it
    /// too); its rank, where the new key starts.
    fn replace_lowest(&mut self) -> u64 {
        let Some((rank, key)) = self.by_rank.pop_first() else {
            return 0;
        };
        self.ranks.remove(&key);
        if let Some(counts) = self.totals.remove(&key) {
            self.overflow.add(&counts);
        }
        if let Some(reported) = self.reported.remove(&key) {
            self.overflow_reported.add(&reported);
        }
        rank
    }

    /// Every key with its counters since the start.
    pub fn totals(&self) -> Vec<(K, C)> {
        self.totals
            .iter()
            .map(|(key, counts)| (key.clone(), *counts))
            .collect()
    }

    /// What the overflow row has counted since the start (zeros: nothing).
    pub fn overflow(&self) -> &C {
        &self.overflow
    }

    /// Every key with its increase since the last call (zeros included), and the
    /// overflow row's.
    pub fn interval(&mut self) -> (Vec<(K, C)>, C) {
        let deltas = self
            .totals
            .iter()
            .map(|(key, counts)| (key.clone(), increase(counts, self.reported.get(key))))
            .collect();
        self.reported = self.totals.clone();
        let overflow = self.overflow.since(&self.overflow_reported);
        self.overflow_reported = self.overflow;
        (deltas, overflow)
    }
}

/// Events the kernel could not count (its map full): its count since the start (the
/// `not_counted` slot of common.bpf.h), what the last report said, and the map's size.
#[derive(Debug, Default, Clone, Copy)]
pub struct NotCounted {
    pub total: u64,
    reported: u64,
    /// Keys the kernel's map holds, for the message.
    pub capacity: u32,
}

/// Everything an aggregating tool has counted: per key, in all where the tool counts
/// that apart, and a log2 histogram where it keeps one. Filled by the tool's reader
/// before each report.
#[derive(Debug)]
pub struct Counts<K, C> {
    pub per_key: Tally<K, C>,
    pub total: Option<Tally<NoKey, C>>,
    /// Cumulative log2 slots (slot 0 counts zeros, slot i 2^(i-1)..2^i - 1).
    pub histogram: Option<Vec<u64>>,
    /// Where the tool's map can fill: what the kernel could not count.
    pub not_counted: Option<NotCounted>,
    /// Runs of the tool's programs the kernel skipped (kernel::programs::runs_skipped):
    /// since the start, and what the last report said.
    pub skipped_runs: (u64, u64),
}

impl<K, C: Counters> Default for Counts<K, C> {
    fn default() -> Self {
        Self {
            per_key: Tally::default(),
            total: None,
            histogram: None,
            not_counted: None,
            skipped_runs: (0, 0),
        }
    }
}

impl<K: Ord + Clone, C: Counters> Counts<K, C> {
    /// The kernel's count of events it could not count, in a map of `capacity` keys.
    pub fn set_not_counted(&mut self, total: u64, capacity: u32) {
        let entry = self.not_counted.get_or_insert_with(NotCounted::default);
        entry.total = total;
        entry.capacity = capacity;
    }

    /// The counters of everything together (a map of its own in the kernel).
    pub fn set_total(&mut self, counts: C) {
        self.total
            .get_or_insert_with(Tally::default)
            .set([(NoKey {}, counts)]);
    }
}

/// What ranks a row: a number made from its counters (the larger, the higher).
pub type Weight<C> = Box<dyn Fn(&C) -> u64>;

/// How rows are chosen and ordered.
pub enum Ranking<C> {
    /// Every key that counted something, in key order (CPUs, protocols).
    KeyOrder,
    /// Every key, counted or not, in key order: one fixed row (sendrecv_count).
    AllKeys,
    /// The `top` keys with the largest `weight` (ties by key).
    Top { top: usize, weight: Weight<C> },
}

impl<C: Counters> Ranking<C> {
    /// The largest counters first (all of them summed: most tools have one), `top` of
    /// them.
    pub fn top(top: u32) -> Self {
        Self::top_by(top, C::weight)
    }

    pub fn top_by(top: u32, weight: impl Fn(&C) -> u64 + 'static) -> Self {
        Self::Top {
            top: top as usize,
            weight: Box::new(weight),
        }
    }
}

/// What a report looks like: its key and counter columns (record.rs), the rows it
/// shows, and the total row where the tool keeps a total.
pub struct ReportSpec<'a, C> {
    /// For the readiness line: "Tracing {what}... Hit Ctrl-C to end."
    pub what: &'a str,
    /// The key columns, then the counter columns.
    pub table: Table,
    pub ranking: Ranking<C>,
    /// The table's total row: the key column that names it and the name (the JSON
    /// has `total` instead); None where there is no key column.
    pub total_label: Option<(&'static str, &'static str)>,
    /// The total row before the rows (else after them).
    pub total_first: bool,
    /// The histogram's unit ("bytes"), if the tool keeps one.
    pub histogram_unit: &'static str,
}

impl<'a, C> ReportSpec<'a, C> {
    pub fn new(what: &'a str, table: Table, ranking: Ranking<C>) -> Self {
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
    mut spec: ReportSpec<'_, C>,
    mut read: impl FnMut(&mut Counts<K, C>) -> Result<()>,
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
    stream::announce_ready(spec.what);
    // The kernel is read at least every second (metrics stay fresh, and a drained map
    // only holds what a second brought); a table is printed every -i, that is every
    // `reads_per_report` reads.
    let every = args.interval.every();
    let reads_per_report = every.as_secs_f64().ceil().max(1.0) as u32;
    let mut reads = 0u32;
    stream::sample_every(every / reads_per_report, args.run.duration, |last| {
        read(&mut counts)?;
        counts.skipped_runs.0 = crate::kernel::programs::runs_skipped();
        reads += 1;
        if let Some(exporter) = &mut exporter {
            let total = counts.total.as_ref().map(|t| first_counts(t.totals()));
            exporter.publish(Published {
                per_key: &counts.per_key.totals(),
                overflow: counts.per_key.overflow(),
                total: total.as_ref(),
                histogram: counts.histogram.as_deref(),
                not_counted: counts.not_counted.map(|n| n.total),
            });
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
fn report_printer<C>(output: &OutputArgs, spec: &mut ReportSpec<'_, C>) -> Printer {
    let table = Table::new()
        .column(Column::left("scope", "SCOPE", 8))
        .then(std::mem::take(&mut spec.table));
    Printer::new(Format::of(output, table))
}

/// One report of the totals `read` makes, for a tool that counts while it does
/// something else and reports once, at its end (key_pressed): after a blank line, the
/// header and the rows, or one JSON object.
pub fn print_once<K, C>(
    output: &OutputArgs,
    mut spec: ReportSpec<'_, C>,
    read: impl FnOnce(&mut Counts<K, C>) -> Result<()>,
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
    spec: &ReportSpec<'_, C>,
    counts: &mut Counts<K, C>,
    scope: Scope,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
    C: Counters,
{
    let (keyed, overflow, total) = match scope {
        Scope::Interval => {
            let (keyed, overflow) = counts.per_key.interval();
            let total = counts.total.as_mut().map(|t| first_counts(t.interval().0));
            (keyed, overflow, total)
        }
        Scope::Total => (
            counts.per_key.totals(),
            *counts.per_key.overflow(),
            counts.total.as_ref().map(|t| first_counts(t.totals())),
        ),
    };
    let overflow = (!overflow.is_zero()).then_some(overflow);
    let not_counted = counts.not_counted.as_mut().map(|n| {
        let in_scope = match scope {
            Scope::Interval => n.total.wrapping_sub(n.reported),
            Scope::Total => n.total,
        };
        n.reported = n.total;
        (in_scope, n.capacity)
    });
    if let Some((missed @ 1.., capacity)) = not_counted {
        let when = match scope {
            Scope::Interval => "since the last report",
            Scope::Total => "in all",
        };
        eprintln!(
            "{}: {missed} events not counted {when}: the kernel's map of {capacity} keys was full",
            crate::run::tool_name()
        );
    }
    let (skipped_since_start, skipped_reported) = counts.skipped_runs;
    let skipped = match scope {
        Scope::Interval => skipped_since_start.saturating_sub(skipped_reported),
        Scope::Total => skipped_since_start,
    };
    counts.skipped_runs.1 = skipped_since_start;
    if skipped > 0 {
        let when = match scope {
            Scope::Interval => "since the last report",
            Scope::Total => "in all",
        };
        eprintln!(
            "{}: {skipped} runs of its BPF programs skipped by the kernel {when} (a program \
             already running on that CPU): what they would have counted is not counted",
            crate::run::tool_name()
        );
    }
    let skipped_runs = (skipped > 0).then_some(skipped);
    let moved = |rows: Vec<(K, C)>| -> Vec<(K, C)> {
        rows.into_iter().filter(|(_, c)| !c.is_zero()).collect()
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
        .map(|(key, counters)| Row { key, counters })
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
            total,
            rows,
            overflow,
            not_counted: not_counted.map(|(n, _)| n),
            skipped_runs,
            histogram: slots.as_deref().map(buckets),
        };
        printer.record_at(time.as_deref(), &report)?;
        return Ok(());
    }
    let total_line = |printer: &Printer| -> Result<()> {
        if let Some(total) = &total {
            let mut value = serde_json::to_value(total)?;
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
    if let Some(overflow) = &overflow {
        // The overflow row: its counters, and [overflow] in every key column.
        let mut value = serde_json::to_value(overflow)?;
        if let Value::Object(map) = &mut value {
            for field in printer.fields().into_iter().filter(|&f| f != "scope") {
                map.entry(field.to_string())
                    .or_insert_with(|| Value::from(crate::output::metrics::OVERFLOW));
            }
        }
        printer.record_at(time.as_deref(), &Scoped { scope, row: &value })?;
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

fn first_counts<C: Counters>(rows: Vec<(NoKey, C)>) -> C {
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

/// The life of a per-key counting tool once attached: every read drains `counts` (a
/// DRAINED_COUNTS map of per-CPU u64 counters, summed over CPUs, common.bpf.h) into the
/// runtime's totals, turns each map key into the row's typed key with `decode` (None:
/// an entry not to show, e.g. not matching -n), and notes what the kernel could not
/// count (`not_counted`); every report prints the largest rows (--top) under
/// `key_columns` and a COUNT column (before a last key column, a path, as in bcc's
/// tables).
pub fn count_per_key<K>(
    counting: Counting<'_>,
    args: &CountArgs,
    key_columns: Table,
    what: &str,
    decode: impl FnMut(&[u8]) -> Option<K>,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
{
    let table = key_columns
        .counters_before_last(Table::new().column(Column::right("count", "COUNT", 10)))
        .cgroup_first(args.grouping.by_cgroup);
    let spec = ReportSpec::new(what, table, Ranking::top(args.top.top));
    drain_per_key::<K, Count>(counting, &args.report, spec, decode)
}

/// `count_per_key` for counters of any shape `C` (the value struct the kernel counts
/// into, e.g. calls and time) under the table and ranking of `spec`.
pub fn drain_per_key<K, C>(
    counting: Counting<'_>,
    args: &ReportArgs,
    spec: ReportSpec<'_, C>,
    mut decode: impl FnMut(&[u8]) -> Option<K>,
) -> Result<()>
where
    K: Ord + Clone + Serialize + JsonSchema,
    C: Counters,
{
    let Counting {
        mut counts,
        not_counted,
    } = counting;
    let capacity = counts.capacity();
    run_reports::<K, C>(args, spec, |report| {
        let taken = counts
            .drain::<C>()?
            .into_iter()
            .filter_map(|(raw, sums)| Some((decode(&raw)?, sums)));
        report.per_key.add(taken);
        report.set_not_counted(counters::per_cpu_number(not_counted)?, capacity);
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

    fn n(count: u64) -> Count {
        Count { count }
    }

    #[derive(Debug, Default, Clone, Copy)]
    #[repr(C)]
    pub struct Io {
        pub reads: u64,
        pub writes: u64,
    }

    // SAFETY: two u64s, no padding.
    unsafe impl plain::Plain for Io {}

    counters::counters! {
        /// Calls and bytes.
        pub struct Calls from Io {
            /// Reads
            reads,
            /// Writes
            writes,
        }
    }

    fn io(reads: u64, writes: u64) -> Calls {
        Calls { reads, writes }
    }

    #[test]
    fn tally_keeps_totals_and_derives_intervals() {
        let mut tally = Tally::default();
        tally.set([(comm("a"), n(1)), (comm("b"), n(5))]);
        assert_eq!(
            tally.interval().0,
            vec![(comm("a"), n(1)), (comm("b"), n(5))]
        );
        // "b" is not read again (an evicted key): its total stays.
        tally.set([(comm("a"), n(9))]);
        assert_eq!(
            tally.interval().0,
            vec![(comm("a"), n(8)), (comm("b"), n(0))]
        );
        assert_eq!(tally.totals(), vec![(comm("a"), n(9)), (comm("b"), n(5))]);
    }

    #[test]
    fn keys_that_decode_alike_are_summed_and_taken_counts_add_up() {
        let mut tally = Tally::default();
        tally.set([(comm("cat"), n(2)), (comm("cat"), n(3))]);
        assert_eq!(tally.totals(), vec![(comm("cat"), n(5))]);
        let mut taken = Tally::default();
        taken.add([(comm("w"), io(1, 10))]);
        taken.add([(comm("w"), io(2, 20))]);
        assert_eq!(taken.interval().0, vec![(comm("w"), io(3, 30))]);
        assert_eq!(taken.interval().0, vec![(comm("w"), io(0, 0))]);
    }

    #[test]
    fn a_flood_of_keys_counted_once_cannot_push_out_a_busier_one() {
        let mut tally = Tally::keeping(3);
        // A flood: five names counted once each; three are kept, two overflow.
        tally.add((0..5).map(|i| (comm(&format!("f{i}")), n(1))));
        assert_eq!(tally.totals().len(), 3);
        assert_eq!(*tally.overflow(), n(2));
        let (_, overflow) = tally.interval();
        assert_eq!(overflow, n(2));
        // A busier key takes the place of a least busy one, which overflows.
        tally.add([(comm("root"), n(500))]);
        let totals = tally.totals();
        assert_eq!(totals.len(), 3);
        assert!(totals.contains(&(comm("root"), n(500))));
        assert_eq!(*tally.overflow(), n(3));
        // The interval: root's 500 and the evicted key's 1 that had been reported
        // already does not count again.
        let (rows, overflow) = tally.interval();
        assert_eq!(overflow, n(0));
        assert!(rows.contains(&(comm("root"), n(500))));
        // Later counts of root add up; the sum over keys and overflow is every count.
        tally.add([(comm("root"), n(7))]);
        let sum: u64 = tally.totals().iter().map(|(_, c)| c.count).sum();
        assert_eq!(sum + tally.overflow().count, 5 + 500 + 7);
        // A key that comes late and counts once per read gets a row at once and keeps
        // it, exact from then on, while the flood's keys give way.
        for i in 0..3 {
            tally.add([(comm("late"), n(1))]);
            tally.add([(comm(&format!("n{i}")), n(1))]);
        }
        assert!(tally.totals().contains(&(comm("late"), n(3))));
        assert!(tally.totals().contains(&(comm("root"), n(507))));
        let sum: u64 = tally.totals().iter().map(|(_, c)| c.count).sum();
        assert_eq!(sum + tally.overflow().count, 5 + 500 + 7 + 6);
    }

    #[test]
    fn a_thread_that_only_writes_ranks_by_its_bytes_too() {
        let mut tally = Tally::keeping(1);
        tally.add([(comm("reader"), io(10, 0))]);
        tally.add([(comm("writer"), io(0, 4096))]);
        tally.add([(comm("reader"), io(10, 0))]);
        // The writer outranked the reader and kept its row; the reader came back above it.
        assert_eq!(tally.totals().len(), 1);
        let overflow = tally.overflow().weight();
        let kept: u64 = tally.totals().iter().map(|(_, c)| c.weight()).sum();
        assert_eq!(overflow + kept, 10 + 4096 + 10);
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
            overflow: None,
            not_counted: None,
            skipped_runs: None,
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
