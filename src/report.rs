//! The output of the aggregating tools: a table of counters per interval and at exit,
//! `[TIME] SCOPE KEY... COUNT...`, or with --json one object per report.

use std::io;
use std::time::Duration;

use anyhow::Result;

use crate::cli::OutputArgs;
use crate::cli::ReportArgs;
use crate::maps::top_n;
use crate::maps::IntervalDeltas;
use crate::output::local_time_hms;
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

/// One row: as many keys and counts as the columns say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub keys: Vec<String>,
    pub counts: Vec<u64>,
}

const KEY_WIDTH: usize = 16;
const COUNT_WIDTH: usize = 10;

pub fn header(columns: Columns<'_>, output: &OutputArgs) -> String {
    let mut line = String::new();
    if output.timestamp {
        line.push_str(&format!("{:<8} ", "TIME"));
    }
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
    let time = options.timestamp.then(local_time_hms);
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
            let mut line = String::new();
            if let Some(time) = &time {
                line.push_str(&format!("{time:<8} "));
            }
            line.push_str(&format!("{:<8}", scope.label()));
            push_row(&mut line, columns, &row.keys, row.counts.iter());
            output.line(line.trim_end())?;
        }
    }
    output.flush()
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

/// What an aggregating tool reports, and how often.
pub struct Reporting<'a> {
    pub columns: Columns<'a>,
    pub output: &'a OutputArgs,
    pub interval: Duration,
    pub duration: Option<Duration>,
    /// For the readiness line: "Tracing {what}... Hit Ctrl-C to end."
    pub what: &'a str,
}

impl<'a> Reporting<'a> {
    pub fn new(columns: Columns<'a>, args: &'a ReportArgs, what: &'a str) -> Self {
        Self {
            columns,
            output: &args.output,
            interval: args.interval.interval,
            duration: args.run.duration,
            what,
        }
    }
}

/// The life of an aggregating tool once attached: the header, the readiness line,
/// then `rows(Scope::Interval)` printed every interval and `rows(Scope::Total)` once
/// at the stop.
pub fn run_reports(
    spec: Reporting<'_>,
    mut rows: impl FnMut(Scope) -> Result<Vec<Row>>,
) -> Result<()> {
    let output = Output::new();
    if !spec.output.json {
        output.line(&header(spec.columns, spec.output))?;
    }
    tool::announce_ready(spec.what);
    tool::sample_every(spec.interval, spec.duration, |last| {
        let scope = Scope::from_last(last);
        let rows = rows(scope)?;
        Ok(print(&output, spec.output, spec.columns, scope, &rows)?)
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
        let columns = Columns {
            keys: &["COMM"],
            counts: &["COUNT"],
            path_last: false,
        };
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
        let columns = Columns {
            keys: &["UID", "PATH"],
            counts: &["COUNT"],
            path_last: true,
        };
        let header = header(columns, &OutputArgs::default());
        assert_eq!(
            header.split_whitespace().collect::<Vec<_>>(),
            ["SCOPE", "UID", "COUNT", "PATH"]
        );
    }

    #[test]
    fn json_rows_use_lowercase_column_names() {
        let columns = Columns {
            keys: &["DEST"],
            counts: &["COUNT"],
            path_last: false,
        };
        let row = Row {
            keys: vec!["127.0.0.2".into()],
            counts: vec![5],
        };
        assert_eq!(json_row(columns, &row), r#"{"dest":"127.0.0.2","count":5}"#);
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
