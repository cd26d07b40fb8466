//! Records: what a tool reports (its model: task.rs and the tool's own types), declared
//! once as a struct (`Serialize` for the JSON,
//! `JsonSchema` for the declaration tests and documentation read), and rendered by the
//! runtime. A tool builds records; it never formats a table line or a JSON key itself.
//!
//! - JSON: serde_json writes the record, with the runtime's `time` in front: RFC 3339,
//!   the kernel's time of an event (output/clock.rs), or the time of a report.
//! - Table: a `Table` names, in display order, the record fields shown as columns, with
//!   their heading, width and alignment; the runtime prints the header and each line
//!   from it. The cells are the record's own values (numbers as numbers), so the table
//!   and the JSON cannot say different things.

use std::io;
use std::io::Write;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::cli::OutputArgs;
use crate::model::task::Task;
use crate::output::text::time_cell;
use crate::output::text::Output;

/// The task's columns, the same in every tool's table (bcc's headings and widths).
impl Task {
    pub fn pid_column() -> Column {
        Column::left("pid", "PID", 7)
    }

    pub fn ppid_column() -> Column {
        Column::left("ppid", "PPID", 7)
    }

    pub fn uid_column() -> Column {
        Column::left("uid", "UID", 7)
    }

    pub fn comm_column() -> Column {
        Column::left("comm", "COMM", 16)
    }
}

/// Characters of a container id the CONTAINER column shows (as `docker ps` does).
const SHORT_ID: usize = 12;

/// The CONTAINER column (-G, --by-cgroup): the short container id, or outside
/// containers the cgroup's last path component ("/" at the root), else its id.
pub fn container_column() -> Column {
    Column::left("cgroup", "CONTAINER", 16).formatted(container_cell)
}

fn container_cell(record: &Value) -> String {
    if let Some(id) = record["container_id"].as_str() {
        return id.chars().take(SHORT_ID).collect();
    }
    if let Some(path) = record["cgroup"].as_str() {
        return match path.rsplit('/').next() {
            Some(last) if !last.is_empty() => last.to_string(),
            _ => "/".to_string(),
        };
    }
    match record["cgroup_id"].as_u64() {
        Some(id) => id.to_string(),
        None => "-".to_string(),
    }
}

/// How a cell sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    /// The last column (a path, a command line): printed as it is, however long.
    Last,
}

/// Turns a record (as a JSON value) into the text of one cell.
pub type CellFormat = Box<dyn Fn(&Value) -> String>;

/// One column of a table: the record field it shows, and how.
pub struct Column {
    /// The field of the record, as named in its JSON.
    pub field: &'static str,
    pub heading: &'static str,
    pub width: usize,
    pub align: Align,
    /// None: the field's value as it is (numbers in decimal, lists space-separated).
    format: Option<CellFormat>,
}

impl Column {
    pub fn left(field: &'static str, heading: &'static str, width: usize) -> Self {
        Self::new(field, heading, width, Align::Left)
    }

    pub fn right(field: &'static str, heading: &'static str, width: usize) -> Self {
        Self::new(field, heading, width, Align::Right)
    }

    pub fn last(field: &'static str, heading: &'static str) -> Self {
        Self::new(field, heading, 0, Align::Last)
    }

    fn new(field: &'static str, heading: &'static str, width: usize, align: Align) -> Self {
        Self {
            field,
            heading,
            width,
            align,
            format: None,
        }
    }

    /// The field's number in octal, zero-padded to `digits` (modes, open flags).
    pub fn octal(self, digits: usize) -> Self {
        let field = self.field;
        self.formatted(move |record| match record[field].as_u64() {
            Some(n) => format!("{n:0digits$o}"),
            None => cell_text(&record[field]),
        })
    }

    /// The cell made from the whole record by `format` (several fields in one column).
    pub fn formatted(mut self, format: impl Fn(&Value) -> String + 'static) -> Self {
        self.format = Some(Box::new(format));
        self
    }

    fn cell(&self, record: &Value) -> String {
        match &self.format {
            Some(format) => format(record),
            None => cell_text(&record[self.field]),
        }
    }
}

/// A value as a table shows it: strings as they are, numbers in decimal, lists joined
/// by spaces, nothing as "-".
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        Value::Bool(flag) => u8::from(*flag).to_string(),
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// `text` with every invisible formatting character shown as `\u{XXXX}`: the bidi
/// overrides, embeddings and isolates (U+202A-202E, U+2066-2069) that make a path
/// display as another, zero-width characters and joiners, and the rest of Unicode's
/// format characters (category Cf), and the line and paragraph separators. Tables
/// only: JSON keeps the text exact (and escape() has made controls `\xNN` already,
/// and a backslash `\\`, so this cannot be confused with the text).
pub fn visible(text: &str) -> String {
    if !text.chars().any(invisible) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if invisible(ch) {
            out.push_str(&format!("\\u{{{:x}}}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Unicode's format characters (general category Cf, Unicode 15) and the line and
/// paragraph separators.
fn invisible(ch: char) -> bool {
    matches!(ch as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
        | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f)
}

/// The columns of a table, in display order.
#[derive(Default)]
pub struct Table {
    columns: Vec<Column>,
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// `column` when `shown` (a column an option adds, as -U or -P do).
    pub fn column_if(self, shown: bool, column: Column) -> Self {
        if shown {
            self.column(column)
        } else {
            self
        }
    }

    /// The CONTAINER column first, when `shown` (-G, --by-cgroup).
    pub fn cgroup_first(mut self, shown: bool) -> Self {
        if shown {
            self.columns.insert(0, container_column());
        }
        self
    }

    /// Every column of `other` after these.
    pub fn then(mut self, other: Table) -> Self {
        self.columns.extend(other.columns);
        self
    }

    /// The columns of `counters` after these, but before a last column (a path, which
    /// goes at the end of a line however long it is).
    pub fn counters_before_last(mut self, counters: Table) -> Self {
        let last = match self.columns.last() {
            Some(column) if column.align == Align::Last => self.columns.pop(),
            _ => None,
        };
        self.columns.extend(counters.columns);
        self.columns.extend(last);
        self
    }

    /// The record fields the table shows, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|column| column.field)
    }

    pub fn header(&self) -> String {
        let headings: Vec<String> = self
            .columns
            .iter()
            .map(|column| column.heading.to_string())
            .collect();
        self.join(&headings)
    }

    /// The line for `record` (a record serialized to a JSON object). Characters that
    /// change how text around them displays are shown by their code (see `visible`).
    pub fn line(&self, record: &Value) -> String {
        let cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| visible(&c.cell(record)))
            .collect();
        self.join(&cells)
    }

    fn join(&self, cells: &[String]) -> String {
        let mut line = String::new();
        for (i, (column, cell)) in self.columns.iter().zip(cells).enumerate() {
            if i > 0 {
                line.push(' ');
            }
            let width = column.width;
            match column.align {
                Align::Left => line.push_str(&format!("{cell:<width$}")),
                Align::Right => line.push_str(&format!("{cell:>width$}")),
                Align::Last => line.push_str(cell),
            }
        }
        line.trim_end().to_string()
    }
}

/// A record with the runtime's time in front (always in JSON; in a table with -T, or in
/// tools that always show it).
#[derive(Serialize)]
struct Stamped<'a, R> {
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    #[serde(flatten)]
    record: &'a R,
}

/// How records are written, chosen once (--json, -T): a table of these columns under
/// its header, or JSON lines.
pub enum Format {
    /// `timed`: with the TIME column (-T, or always in the tools that say so; JSON
    /// always has `time`).
    Table {
        table: Table,
        timed: bool,
    },
    Json,
}

impl Format {
    /// What --json and -T ask for, with `table`'s columns for the table.
    pub fn of(output: &OutputArgs, table: Table) -> Self {
        match output.json {
            true => Format::Json,
            false => Format::Table {
                table,
                timed: output.timestamp,
            },
        }
    }
}

/// Where records go, in their format, on the buffered stdout.
pub struct Printer {
    output: Output,
    format: Format,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        Self {
            output: Output::new(),
            format,
        }
    }

    /// The record fields a table shows, in order (none in JSON, which shows them all).
    pub fn fields(&self) -> Vec<&'static str> {
        match &self.format {
            Format::Table { table, .. } => table.fields().collect(),
            Format::Json => Vec::new(),
        }
    }

    /// The TIME column even without -T.
    pub fn always_timed(self) -> Self {
        let format = match self.format {
            Format::Table { table, .. } => Format::Table { table, timed: true },
            Format::Json => Format::Json,
        };
        Self { format, ..self }
    }

    /// The CONTAINER column first (after TIME), when `shown` (-G).
    pub fn cgroup_first(self, shown: bool) -> Self {
        let format = match self.format {
            Format::Table { table, timed } => Format::Table {
                table: table.cgroup_first(shown),
                timed,
            },
            Format::Json => Format::Json,
        };
        Self { format, ..self }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.format, Format::Json)
    }

    /// The table header (nothing in JSON). Printed at start: the clock offset for
    /// event times is read now too.
    pub fn header(&self) -> io::Result<()> {
        crate::output::clock::start();
        let Format::Table { table, timed } = &self.format else {
            return Ok(());
        };
        let mut line = time_cell(timed.then_some("TIME"));
        line.push_str(&table.header());
        self.output.line(&line)?;
        self.output.flush()
    }

    /// The time of a record made now: JSON's `time` (RFC 3339, always there), or the
    /// table's TIME column (local HH:MM:SS, with -T only).
    pub fn time(&self) -> Option<String> {
        match &self.format {
            Format::Json => Some(crate::output::clock::now()),
            Format::Table { timed, .. } => timed.then(crate::output::text::local_time_hms),
        }
    }

    /// Prints one record made now: a JSON line, or a table line.
    pub fn record<R: Serialize>(&self, record: &R) -> io::Result<()> {
        let time = self.time();
        self.record_at(time.as_deref(), record)
    }

    /// Prints the record of an event the kernel stamped at `boot_ns` (CLOCK_BOOTTIME):
    /// JSON's `time` is then, not when it is printed (output/clock.rs). A table's -T
    /// column stays the bcc tools' local time of printing.
    pub fn event<R: Serialize>(&self, boot_ns: u64, record: &R) -> io::Result<()> {
        match &self.format {
            Format::Json => {
                self.record_at(Some(&crate::output::clock::event_time(boot_ns)), record)
            }
            Format::Table { .. } => self.record(record),
        }
    }

    /// `record` with a given time column (the same for every row of one report).
    pub fn record_at<R: Serialize>(&self, time: Option<&str>, record: &R) -> io::Result<()> {
        match &self.format {
            Format::Json => {
                let stamped = Stamped { time, record };
                let mut out = self.output.writer();
                serde_json::to_writer(&mut *out, &stamped).map_err(io::Error::from)?;
                out.write_all(b"\n")
            }
            Format::Table { table, .. } => {
                let value = serde_json::to_value(record).map_err(io::Error::from)?;
                let mut line = time_cell(time);
                line.push_str(&table.line(&value));
                self.output.line(line.trim_end())
            }
        }
    }

    /// A line outside the table (a histogram, a section heading); not in JSON.
    pub fn text(&self, line: &str) -> io::Result<()> {
        match &self.format {
            Format::Json => Ok(()),
            Format::Table { .. } => self.output.line(line),
        }
    }

    pub fn flush(&self) -> io::Result<()> {
        self.output.flush()
    }
}

/// The JSON shape of a record type, from its declaration: field names, JSON types, and
/// which fields every record has. Tests check real output against it.
pub fn schema_of<R: JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(R)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cgroup::Cgroup;

    #[derive(Serialize, JsonSchema)]
    struct Open {
        #[serde(flatten)]
        task: Task,
        fd: i32,
        mode: u32,
        path: String,
    }

    fn record() -> Open {
        Open {
            task: Task {
                pid: 42,
                tid: 43,
                ppid: None,
                uid: 0,
                comm: "cat".into(),
                cgroup: Cgroup::default(),
            },
            fd: -1,
            mode: 0o750,
            path: "/tmp/a b".into(),
        }
    }

    fn table() -> Table {
        Table::new()
            .column(Column::left("pid", "PID", 7))
            .column(Column::left("comm", "COMM", 16))
            .column(Column::right("fd", "FD", 3))
            .column(Column::left("mode", "MODE", 5).octal(4))
            .column(Column::last("path", "PATH"))
    }

    #[test]
    fn header_and_line_come_from_one_declaration() {
        let table = table();
        assert_eq!(
            table.header().split_whitespace().collect::<Vec<_>>(),
            ["PID", "COMM", "FD", "MODE", "PATH"]
        );
        let value = serde_json::to_value(record()).unwrap();
        assert_eq!(
            table.line(&value),
            "42      cat               -1 0750  /tmp/a b"
        );
    }

    #[test]
    fn json_is_the_record_with_the_task_flattened_and_numbers_as_numbers() {
        let stamped = Stamped {
            time: Some("12:00:00"),
            record: &record(),
        };
        assert_eq!(
            serde_json::to_string(&stamped).unwrap(),
            r#"{"time":"12:00:00","pid":42,"tid":43,"uid":0,"comm":"cat","fd":-1,"mode":488,"path":"/tmp/a b"}"#
        );
    }

    #[test]
    fn the_schema_names_every_field_and_its_type() {
        let schema = schema_of::<Open>();
        let properties = schema.get("properties").unwrap();
        assert_eq!(properties["pid"]["type"], "integer");
        assert_eq!(properties["comm"]["type"], "string");
        assert_eq!(
            properties["ppid"]["type"],
            serde_json::json!(["integer", "null"])
        );
        let required = schema.get("required").unwrap().as_array().unwrap();
        assert!(required.contains(&Value::from("path")));
        assert!(!required.contains(&Value::from("ppid")));
    }

    #[test]
    fn bidi_and_zero_width_characters_are_shown_by_their_code_in_tables_only() {
        // "evil\u{202e}txt.exe" displays as "evilexe.txt".
        let record = serde_json::json!({ "path": "evil\u{202e}txt.exe\u{200b}\u{2066}é" });
        let table = Table::new().column(Column::last("path", "PATH"));
        assert_eq!(table.line(&record), r"evil\u{202e}txt.exe\u{200b}\u{2066}é");
        assert_eq!(visible("plain/path é"), "plain/path é");
        // JSON is the record itself: exact.
        assert_eq!(record["path"], "evil\u{202e}txt.exe\u{200b}\u{2066}é");
    }

    #[test]
    fn cells_show_lists_spaced_and_nothing_as_a_dash() {
        assert_eq!(cell_text(&serde_json::json!(["a", "b"])), "a b");
        assert_eq!(cell_text(&Value::Null), "-");
        assert_eq!(cell_text(&serde_json::json!(-3)), "-3");
    }

    #[test]
    fn the_column_shows_a_short_container_id_or_the_last_component() {
        const ID: &str = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";
        let cell = |value: serde_json::Value| container_cell(&value);
        assert_eq!(
            cell(serde_json::json!({"cgroup": "/x", "container_id": ID})),
            &ID[..12]
        );
        assert_eq!(
            cell(serde_json::json!({"cgroup": "/user.slice/session-2.scope"})),
            "session-2.scope"
        );
        assert_eq!(cell(serde_json::json!({"cgroup": "/"})), "/");
        assert_eq!(cell(serde_json::json!({"cgroup_id": 77})), "77");
        assert_eq!(cell(serde_json::json!({})), "-");
    }
}
