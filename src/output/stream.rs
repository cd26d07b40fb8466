//! The life of a tool once its programs are attached: the readiness line, then
//! streaming events (or sampling maps) until a stop condition.

use std::cell::Cell;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::skel::Skel;
use serde::Serialize;

use crate::cli::StreamArgs;
use crate::cli::TaskArgs;
use crate::kernel::events::decode_prefix;
use crate::kernel::events::decode_shown;
use crate::kernel::events::EventStream;
use crate::kernel::events::TaskEvent;
use crate::kernel::load::ToolMaps;
use crate::kernel::load::Tracing;
use crate::model::task::Task;
use crate::output::metrics;
use crate::output::record::Format;
use crate::output::record::Printer;
use crate::output::record::Table;
use crate::run;
use crate::run::StopConditions;

/// The readiness line (README): printed on stderr once everything is attached.
pub fn announce_ready(what: &str) {
    if let Some(start) = run::start_summary() {
        eprintln!("{}: {start}", run::tool_name());
    }
    match crate::output::metrics::bound() {
        Some((addr, scheme)) => {
            eprintln!("Tracing {what}... Hit Ctrl-C to end. Metrics at {scheme}://{addr}/metrics")
        }
        None => eprintln!("Tracing {what}... Hit Ctrl-C to end."),
    }
}

/// What a streaming tool prints around its events.
pub struct StreamSpec<'a> {
    /// For the readiness line: "Tracing {what}... Hit Ctrl-C to end."
    pub what: &'a str,
    pub duration: Option<Duration>,
    /// How records are printed: the table (under its header), or JSON lines.
    pub printer: Printer,
}

impl<'a> StreamSpec<'a> {
    /// Records shown under `table`, with a TIME column with -T.
    pub fn new(what: &'a str, table: Table, args: &StreamArgs) -> Self {
        Self {
            what,
            duration: args.run.duration,
            printer: Printer::new(Format::of(&args.output, table)),
        }
    }

    /// With the TIME column whether -T is given or not, as the bcc tools that always
    /// show one do.
    pub fn always_timed(self) -> Self {
        Self {
            printer: self.printer.always_timed(),
            ..self
        }
    }
}

impl<'obj, S: Skel<'obj> + ToolMaps<'obj>> Tracing<S> {
    /// Everything a streaming tool does once attached: header, readiness line, records
    /// (each made by `record` from an event's bytes, None: not shown) until a stop
    /// condition, then a drain of what the kernel already produced (so that nothing
    /// caused before the stop is missing) and a report of lost events.
    pub fn stream<R, F>(&self, spec: StreamSpec<'_>, mut record: F) -> Result<()>
    where
        R: Serialize,
        F: FnMut(&[u8]) -> Option<R>,
    {
        anyhow::ensure!(
            self.source.is_some(),
            "this tool was loaded without event output"
        );
        let printer = &spec.printer;
        // Counted here, handed to the metrics once per poll: no shared write per event.
        let delivered = Cell::new(0u64);
        let maps = self
            .skel
            .event_maps()
            .context("BPF object has no event output (events.bpf.h)")?;
        let stream = EventStream::new(maps, self.perf.as_ref(), |data| {
            delivered.set(delivered.get() + 1);
            match (event_time(data), record(data)) {
                (Some(boot_ns), Some(record)) => printer.event(boot_ns, &record),
                _ => Ok(()),
            }
        })?;
        printer.header()?;
        metrics::note_streaming();
        announce_ready(spec.what);
        let stop = StopConditions::start(spec.duration);
        // Served metrics see the kernel's lost count at most a second late.
        let mut lost_read = Instant::now();
        while !stop.reached() {
            stream.poll(stop.next_wait())?;
            printer.flush()?;
            metrics::count_events(delivered.take());
            if metrics::serving() && lost_read.elapsed() >= Duration::from_secs(1) {
                metrics::note_lost(stream.lost()?);
                lost_read = Instant::now();
            }
        }
        stream.drain()?;
        printer.flush()?;
        metrics::count_events(delivered.take());
        let lost = stream.lost()?;
        metrics::note_lost(lost);
        if lost > 0 {
            run::notice(&format!(
                "{lost} events lost: the buffer was full (user space fell behind)"
            ));
        }
        let skipped = crate::kernel::programs::runs_skipped();
        if skipped > 0 {
            run::notice(&format!(
                "{skipped} runs of its BPF programs skipped by the kernel (a program already \
                 running on that CPU): their events are lost"
            ));
        }
        Ok(())
    }

    /// `stream` for fixed-size records of `T`: `record` gets each one decoded (a short
    /// record is skipped).
    pub fn stream_events<T, R, F>(&self, spec: StreamSpec<'_>, mut record: F) -> Result<()>
    where
        T: plain::Plain + Default,
        R: Serialize,
        F: FnMut(T) -> Option<R>,
    {
        self.stream(spec, |data| {
            record(decode_prefix::<T>(data, std::mem::size_of::<T>())?)
        })
    }

    /// `stream` for the tools whose records of `T` (each at least `min_len` bytes)
    /// start with their task: `record` gets each one decoded, with its task (see
    /// `events::decode_shown`: records -n leaves out or the tool itself caused never
    /// reach it), and returns the record to show (None: none). -G puts the CONTAINER
    /// column first.
    pub fn stream_tasks<T, R, F>(
        &self,
        spec: StreamSpec<'_>,
        min_len: usize,
        shown: &TaskArgs,
        mut record: F,
    ) -> Result<()>
    where
        T: TaskEvent,
        R: Serialize,
        F: FnMut(&T, Task) -> Option<R>,
    {
        let with_ppid = self.with_ppid;
        let spec = StreamSpec {
            printer: spec.printer.cgroup_first(shown.containers),
            ..spec
        };
        // A table without -G shows no cgroup: its names are not looked up.
        let with_cgroup = shown.containers || spec.printer.is_json();
        self.stream(spec, |data| {
            let (event, header) = decode_shown::<T>(data, min_len, &shown.name)?;
            record(&event, header.task(with_ppid, with_cgroup))
        })
    }
}

/// The kernel's time of an event record: its first 8 bytes, which submit_event
/// (bpf/events.bpf.h) stamps with CLOCK_BOOTTIME nanoseconds.
fn event_time(data: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(data.get(..8)?.try_into().ok()?))
}

/// The loop of an aggregating tool: `report(false)` every interval, then
/// `report(true)` once at the stop (Ctrl-C, SIGTERM, --duration, closed stdout).
pub fn sample_every(
    interval: Duration,
    duration: Option<Duration>,
    mut report: impl FnMut(bool) -> Result<()>,
) -> Result<()> {
    let stop = StopConditions::start(duration);
    let mut next = std::time::Instant::now() + interval;
    while stop.sleep_until(next) {
        next += interval;
        report(false)?;
    }
    report(true)
}
