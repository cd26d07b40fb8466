//! The output of the aggregating tools: a table of counters per interval and at exit,
//! `[TIME] SCOPE KEY... COUNT...`, or with --json one object per report.

use std::collections::BTreeMap;
use std::io;

use anyhow::Result;
use libbpf_rs::MapCore;

use crate::cli::CountArgs;
use crate::cli::OutputArgs;
use crate::cli::ReportArgs;
use crate::maps;
use crate::maps::top_n;
use crate::maps::IntervalDeltas;
use crate::output::time_cell;
use crate::output::JsonLine;
use crate::output::Output;
use crate::tool;

/// Whether a report covers the last interval or the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Interval,
    Total,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Interval => "interval",
            Scope::Total => "total",
        }
    }

    pub fn from_last(last: bool) -> Self {
        if last {
            Scope::Total
        } else {
            Scope::Interval
        }
    }
}

/// The columns of a counter table: text keys first, then counters; with
/// `path_last` the last key (a path, of any length) goes after the counters, as in
/// bcc's tables.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub keys: &'a [&'a str],
    pub counts: &'a [&'a str],
    pub path_last: bool,
}

impl<'a> Columns<'a> {
    pub const fn new(keys: &'a [&'a str], counts: &'a [&'a str]) -> Self {
        Self {
            keys,
            counts,
            path_last: false,
        }
    }

    /// The last key is a path: printed after the counts, however long it is.
    pub const fn path_last(self) -> Self {
        Self {
            path_last: true,
            ..self
        }
    }
}

/// One row: as many keys and counts as the columns say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub keys: Vec<String>,
    pub counts: Vec<u64>,
}

const KEY_WIDTH: usize = 16;
const COUNT_WIDTH: usize = 10;

pub fn header(columns: Columns<'_>, output: &OutputArgs) -> String {
    let mut line = output.time_header();
    line.push_str(&format!("{:<8}", "SCOPE"));
    push_row(
        &mut line,
        columns,
        columns.keys,
        columns.counts.iter().copied(),
    );
    line
}

/// Keys are left-aligned, counts right-aligned.
fn push_row<K: AsRef<str>, C: std::fmt::Display>(
    line: &mut String,
    columns: Columns<'_>,
    keys: &[K],
    counts: impl Iterator<Item = C>,
) {
    let (front, last) = match keys.split_last() {
        Some((last, front)) if columns.path_last => (front, Some(last)),
        _ => (keys, None),
    };
    for key in front {
        line.push_str(&format!(" {:<KEY_WIDTH$}", key.as_ref()));
    }
    for count in counts {
        line.push_str(&format!(" {count:>COUNT_WIDTH$}"));
    }
    if let Some(last) = last {
        line.push(' ');
        line.push_str(last.as_ref());
    }
}

/// Prints one report: a row per entry (table), or one JSON object with a "rows" array.
pub fn print(
    output: &Output,
    options: &OutputArgs,
    columns: Columns<'_>,
    scope: Scope,
    rows: &[Row],
) -> io::Result<()> {
    let time = options.time();
    if options.json {
        let rendered: Vec<String> = rows.iter().map(|row| json_row(columns, row)).collect();
        let mut json = JsonLine::new();
        if let Some(time) = &time {
            json = json.str("time", time);
        }
        output.line(
            &json
                .str("scope", scope.label())
                .objects("rows", &rendered)
                .finish(),
        )?;
    } else {
        for row in rows {
            let mut line = time_cell(time.as_deref());
            line.push_str(&format!("{:<8}", scope.label()));
            push_row(&mut line, columns, &row.keys, row.counts.iter());
            output.line(line.trim_end())?;
        }
    }
    Ok(())
}

fn json_row(columns: Columns<'_>, row: &Row) -> String {
    let mut json = JsonLine::new();
    for (name, key) in columns.keys.iter().zip(&row.keys) {
        json = json.str(&name.to_ascii_lowercase(), key);
    }
    for (name, count) in columns.counts.iter().zip(&row.counts) {
        json = json.uint(&name.to_ascii_lowercase(), *count);
    }
    json.finish()
}

/// The life of an aggregating tool once attached: the header (not with --json), the
/// readiness line, then `print(Scope::Interval)` every interval and
/// `print(Scope::Total)` once at the stop (Ctrl-C, SIGTERM, --duration, closed stdout).
pub fn every_interval(
    args: &ReportArgs,
    header: &str,
    what: &str,
    mut print: impl FnMut(&Output, Scope) -> Result<()>,
) -> Result<()> {
    let output = Output::new();
    if !args.output.json {
        output.line(header)?;
        output.flush()?;
    }
    tool::announce_ready(what);
    tool::sample_every(args.interval.interval, args.run.duration, |last| {
        print(&output, Scope::from_last(last))?;
        Ok(output.flush()?)
    })
}

/// `every_interval` for a table of `columns`: each report prints the rows `rows` makes.
pub fn run_reports(
    args: &ReportArgs,
    columns: Columns<'_>,
    what: &str,
    mut rows: impl FnMut(Scope) -> Result<Vec<Row>>,
) -> Result<()> {
    let header = header(columns, &args.output);
    every_interval(args, &header, what, |output, scope| {
        let rows = rows(scope)?;
        Ok(print(output, &args.output, columns, scope, &rows)?)
    })
}

/// The life of a per-key counting tool once attached: every report reads `map` (a
/// per-CPU hash of u64 counters, summed over CPUs), turns each map key into the row's
/// keys with `render` (None: an entry not to show, e.g. not matching -n), and prints the
/// largest rows (--top).
pub fn count_per_key(
    map: &dyn MapCore,
    args: &CountArgs,
    columns: Columns<'_>,
    what: &str,
    mut render: impl FnMut(&[u8]) -> Option<Vec<String>>,
) -> Result<()> {
    let mut tally = Tally::new(args.top.top as usize);
    run_reports(&args.report, columns, what, |scope| {
        // Rendered before the cut, so that --top counts only rows that are shown.
        let rendered = render_keys(maps::percpu_hash_sums(map)?, &mut render);
        Ok(tally
            .select(rendered, scope)
            .into_iter()
            .map(|(keys, counts)| Row { keys, counts })
            .collect())
    })
}

/// Map entries as rows of text keys, without those `render` leaves out; entries that
/// render alike are summed.
fn render_keys(
    entries: Vec<(Vec<u8>, Vec<u64>)>,
    render: &mut impl FnMut(&[u8]) -> Option<Vec<String>>,
) -> Vec<(Vec<String>, Vec<u64>)> {
    let mut rendered: BTreeMap<Vec<String>, Vec<u64>> = BTreeMap::new();
    for (key, counts) in entries {
        if let Some(keys) = render(&key) {
            let sums = rendered.entry(keys).or_default();
            *sums = maps::sum_counters([std::mem::take(sums), counts]);
        }
    }
    rendered.into_iter().collect()
}

/// The life of a tool with a fixed set of counters (one row, or one per CPU, not keys to
/// rank): every report reads the cumulative counters with `read`, takes them as they are
/// (total) or their increase since the previous report, zeros included (interval), and
/// lays them out as rows with `rows`.
pub fn count_fixed<K: Eq + std::hash::Hash + Clone>(
    args: &ReportArgs,
    columns: Columns<'_>,
    what: &str,
    mut read: impl FnMut() -> Result<Vec<(K, Vec<u64>)>>,
    mut rows: impl FnMut(Vec<(K, Vec<u64>)>) -> Vec<Row>,
) -> Result<()> {
    let mut deltas = IntervalDeltas::default();
    run_reports(args, columns, what, |scope| {
        let current = read()?;
        Ok(rows(match scope {
            Scope::Total => current,
            Scope::Interval => deltas.advance_all(current),
        }))
    })
}

/// Turns successive readings of cumulative kernel counters into the rows of each
/// report: increases per interval, everything at the end; sorted by the first counter,
/// largest first, and cut to `limit`.
pub struct Tally<K> {
    deltas: IntervalDeltas<K>,
    limit: usize,
}

impl<K: Eq + std::hash::Hash + Clone + Ord> Tally<K> {
    pub fn new(limit: usize) -> Self {
        Self {
            deltas: IntervalDeltas::default(),
            limit,
        }
    }

    pub fn select(&mut self, current: Vec<(K, Vec<u64>)>, scope: Scope) -> Vec<(K, Vec<u64>)> {
        let chosen = match scope {
            Scope::Interval => self.deltas.advance(current),
            Scope::Total => current,
        };
        top_n(chosen, self.limit, |(key, counts)| {
            (counts.first().copied().unwrap_or(0), key.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows_have_the_same_columns() {
        let columns = Columns::new(&["COMM"], &["COUNT"]);
        let options = OutputArgs::default();
        assert_eq!(
            header(columns, &options)
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["SCOPE", "COMM", "COUNT"]
        );
    }

    #[test]
    fn a_path_column_goes_last() {
        let columns = Columns::new(&["UID", "PATH"], &["COUNT"]).path_last();
        let header = header(columns, &OutputArgs::default());
        assert_eq!(
            header.split_whitespace().collect::<Vec<_>>(),
            ["SCOPE", "UID", "COUNT", "PATH"]
        );
    }

    #[test]
    fn json_rows_use_lowercase_column_names() {
        let columns = Columns::new(&["DEST"], &["COUNT"]);
        let row = Row {
            keys: vec!["127.0.0.2".into()],
            counts: vec![5],
        };
        assert_eq!(json_row(columns, &row), r#"{"dest":"127.0.0.2","count":5}"#);
    }

    #[test]
    fn rendered_keys_skip_what_is_not_shown_and_sum_what_renders_alike() {
        let entries = vec![
            (b"cat\0\0".to_vec(), vec![2]),
            (b"cat\0x".to_vec(), vec![3]),
            (b"ls\0\0\0".to_vec(), vec![7]),
        ];
        let mut render = |key: &[u8]| {
            let name = String::from_utf8_lossy(crate::output::until_nul(key)).into_owned();
            (name != "ls").then(|| vec![name])
        };
        assert_eq!(
            render_keys(entries, &mut render),
            vec![(vec!["cat".to_string()], vec![5])]
        );
    }

    #[test]
    fn tally_reports_increases_then_totals_largest_first() {
        let mut tally = Tally::new(2);
        let first = tally.select(
            vec![("a", vec![1]), ("b", vec![5]), ("c", vec![3])],
            Scope::Interval,
        );
        assert_eq!(first, vec![("b", vec![5]), ("c", vec![3])]);
        let second = tally.select(
            vec![("a", vec![9]), ("b", vec![5]), ("c", vec![3])],
            Scope::Interval,
        );
        assert_eq!(second, vec![("a", vec![8])]);
        let total = tally.select(
            vec![("a", vec![9]), ("b", vec![5]), ("c", vec![3])],
            Scope::Total,
        );
        assert_eq!(total, vec![("a", vec![9]), ("b", vec![5])]);
    }
}
