//! The steps of a tool's life that every binary shares, in the order a tool takes them:
//! prepare (log + preflight), open the skeleton, configure the object, load and attach,
//! then stream events (or sample maps) until stopped.

use std::io;
use std::mem::MaybeUninit;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::skel::OpenSkel;
use libbpf_rs::skel::Skel;
use libbpf_rs::skel::SkelBuilder;
use libbpf_rs::Link;
use libbpf_rs::Object;
use libbpf_rs::OpenObject;

use crate::cli::StreamArgs;
use crate::events::size_event_maps;
use crate::events::EventSource;
use crate::events::EventStream;
use crate::output::Output;
use crate::preflight;
use crate::run;
use crate::run::StopConditions;

/// Routes libbpf's log (-v) and runs the preflight checks. Returns the tracefs root.
pub fn prepare(verbose: bool) -> Result<PathBuf> {
    run::init_libbpf_log(verbose);
    preflight::prepare_tracing()
}

/// Opens a tool's skeleton; its rodata is writable until load.
fn open<'obj, B>(object: &'obj mut MaybeUninit<OpenObject>) -> Result<B::Output>
where
    B: SkelBuilder<'obj> + Default,
{
    B::default()
        .open(object)
        .context("failed to open the BPF object")
}

/// Opens a tool's skeleton, lets `setup` write its rodata (and switch programs off),
/// sizes the event buffers and skips tracepoints this kernel lacks, then loads and
/// attaches. The links come back with the skeleton: dropping them detaches.
pub fn load<'obj, B>(
    object: &'obj mut MaybeUninit<OpenObject>,
    tracefs: &Path,
    events: Option<EventSource>,
    setup: impl FnOnce(&mut B::Output) -> Result<()>,
) -> Result<(<B::Output as OpenSkel<'obj>>::Output, Vec<Link>)>
where
    B: SkelBuilder<'obj> + Default,
{
    let mut open_skel = open::<B>(object)?;
    setup(&mut open_skel)?;
    configure(open_skel.open_object_mut(), events, tracefs)?;
    load_and_attach(open_skel)
}

/// The generated `rodata_data` of an open skeleton.
pub fn rodata<'a, T>(data: &'a mut Option<&mut T>) -> Result<&'a mut T> {
    data.as_deref_mut().context("BPF object has no rodata")
}

/// Before load: sizes the event buffers (streaming tools) and switches off programs
/// whose tracepoint this kernel lacks.
fn configure(object: &mut OpenObject, events: Option<EventSource>, tracefs: &Path) -> Result<()> {
    if let Some(source) = events {
        size_event_maps(object, source)?;
    }
    preflight::skip_missing_tracepoints(object, tracefs);
    Ok(())
}

/// Loads the programs and attaches every one that is switched on. The links come back
/// with the skeleton: dropping them (on any return from main) detaches.
fn load_and_attach<'obj, S>(open: S) -> Result<(S::Output, Vec<Link>)>
where
    S: OpenSkel<'obj>,
{
    let skel = open.load().context("failed to load BPF programs")?;
    // Warnings so far were about the load that succeeded; a later error is not theirs.
    run::clear_libbpf_warning();
    let links = attach_all(skel.object())?;
    Ok((skel, links))
}

fn attach_all(object: &Object) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    for prog in object.progs_mut() {
        if !prog.autoload() {
            continue;
        }
        let section = prog.section().to_string_lossy().into_owned();
        let link = prog
            .attach()
            .with_context(|| format!("failed to attach {section}"))?;
        links.push(link);
    }
    if links.is_empty() {
        anyhow::bail!(
            "no program could be attached: this kernel has none of the hooks this tool uses"
        );
    }
    Ok(links)
}

/// The readiness line of DESIGN.md: printed on stderr once everything is attached.
pub fn announce_ready(what: &str) {
    eprintln!("Tracing {what}... Hit Ctrl-C to end.");
}

/// What a streaming tool prints around its events.
pub struct StreamSpec<'a> {
    /// Name for messages on stderr.
    pub tool: &'a str,
    /// For the readiness line: "Tracing {what}... Hit Ctrl-C to end."
    pub what: &'a str,
    /// The table header, printed before readiness (None with --json).
    pub header: Option<String>,
    pub duration: Option<Duration>,
}

impl<'a> StreamSpec<'a> {
    pub fn new(tool: &'a str, what: &'a str, header: String, args: &StreamArgs) -> Self {
        Self {
            tool,
            what,
            header: (!args.output.json).then_some(header),
            duration: args.run.duration,
        }
    }
}

/// Everything a streaming tool does once attached: header, readiness line, events
/// until a stop condition, then a drain of what the kernel already produced (so that
/// nothing caused before the stop is missing) and a report of lost events.
pub fn stream_events<'a, F>(
    object: &'a Object,
    source: EventSource,
    output: &Output,
    spec: StreamSpec<'_>,
    handler: F,
) -> Result<()>
where
    F: FnMut(&[u8]) -> io::Result<()> + 'a,
{
    let stream = EventStream::new(object, source, handler)?;
    if let Some(header) = &spec.header {
        output.line(header)?;
        output.flush()?;
    }
    announce_ready(spec.what);
    let stop = StopConditions::start(spec.duration);
    while !stop.reached() {
        stream.poll(stop.next_wait())?;
        output.flush()?;
    }
    stream.drain()?;
    output.flush()?;
    let lost = stream.lost()?;
    if lost > 0 {
        eprintln!(
            "{}: {lost} events lost: the buffer was full (user space fell behind)",
            spec.tool
        );
    }
    Ok(())
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
