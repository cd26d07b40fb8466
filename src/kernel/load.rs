//! The first steps of a tool's life, which every tool shares, in the order it takes
//! them: prepare (log + preflight), open the skeleton, configure the object, load and
//! attach. What comes after (streaming events or sampling maps) is output/stream.rs's.

use std::mem::MaybeUninit;
use std::ops::Deref;
use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::skel::OpenSkel;
use libbpf_rs::skel::Skel;
use libbpf_rs::skel::SkelBuilder;
use libbpf_rs::Link;
use libbpf_rs::MapMut;
use libbpf_rs::Object;
use libbpf_rs::OpenMapMut;
use libbpf_rs::OpenObject;
use libbpf_rs::UprobeOpts;

use crate::cli::CountArgs;
use crate::cli::EventArgs;
use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::ProbeMode;
use crate::cli::ReportArgs;
use crate::cli::RunArgs;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::cli::TotalArgs;
use crate::kernel::events::size_event_buffers;
use crate::kernel::events::EventMaps;
use crate::kernel::events::EventSource;
use crate::kernel::events::PerfReader;
use crate::kernel::features;
use crate::kernel::inflight;
use crate::kernel::preflight;
use crate::kernel::preflight::KernelFeatures;
use crate::kernel::preflight::KernelFunction;
use crate::model::cgroup;
use crate::run;

/// Routes libbpf's log (-v) and runs the preflight checks, once per process (a tool
/// that needs tracefs before `load`, to choose its probes, calls it first). Returns the
/// tracefs root, mounting tracefs when nothing has.
pub fn prepare(verbose: bool) -> Result<PathBuf> {
    prepare_loading(verbose)?;
    tracefs()
}

/// The preflight checks but tracefs (once per process).
fn prepare_loading(verbose: bool) -> Result<()> {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.get().is_none() {
        run::init_libbpf_log(verbose);
        preflight::prepare_loading()?;
        let _ = DONE.set(());
    }
    Ok(())
}

/// The tracefs root, mounted if nothing has (once per process).
fn tracefs() -> Result<PathBuf> {
    static TRACEFS: OnceLock<PathBuf> = OnceLock::new();
    if let Some(tracefs) = TRACEFS.get() {
        return Ok(tracefs.clone());
    }
    let tracefs = preflight::ensure_tracefs()?;
    Ok(TRACEFS.get_or_init(|| tracefs).clone())
}

/// Whether a program the object will load attaches through tracefs: a tracepoint (its
/// id), or a kprobe (libbpf's fallback on kernels without the kprobe PMU). XDP and
/// LSM programs do not: their tools run without tracefs (in a network namespace, say,
/// where `ip netns exec` has mounted a /sys of its own).
fn uses_tracefs(object: &OpenObject) -> bool {
    const SECTIONS: [&str; 6] = [
        "tracepoint/",
        "tp/",
        "kprobe/",
        "kretprobe/",
        "ksyscall/",
        "kretsyscall/",
    ];
    object.progs().filter(|prog| prog.autoload()).any(|prog| {
        let section = prog.section().to_string_lossy();
        SECTIONS.iter().any(|prefix| section.starts_with(prefix))
    })
}

/// The rodata every tool's BPF object carries: the filters of bpf/common.bpf.h and, in
/// streaming tools, the event switches of bpf/events.bpf.h. skel.rs implements it for
/// each generated `types::rodata`.
pub trait ToolRodata {
    /// The filters of bpf/common.bpf.h; `failed_only`: -x (targ_failed).
    fn write_filters(&mut self, filters: &FilterArgs, failed_only: bool);
    /// `with_ppid`: fill_task() reads the parent's tgid; `by_cgroup`: counting keys
    /// carry the cgroup id (key_cgroup()).
    fn write_task(&mut self, with_ppid: bool, by_cgroup: bool);
    /// False for an object without events.bpf.h (an aggregating tool).
    fn write_event_source(&mut self, source: EventSource) -> bool;
    /// bpf/inflight.bpf.h's choice (task storage or the hash); nothing for an object
    /// without in-flight maps.
    fn write_inflight(&mut self, task_storage: bool);
    /// fill_task() reads the task through its BTF pointer (kernel/features.rs).
    fn write_task_btf(&mut self, usable: bool);
}

/// A tool's open skeleton as the runtime sees it (implemented in skel.rs).
pub trait ToolSkel<'obj>: OpenSkel<'obj, Output: ToolMaps<'obj>> {
    type Rodata: ToolRodata;
    fn tool_rodata(&mut self) -> Result<&mut Self::Rodata>;
    /// A streaming tool's ring buffer and perf event array (bpf/events.bpf.h), to size
    /// before load; None for an aggregating tool.
    fn event_buffers(&mut self) -> Option<(&mut OpenMapMut<'obj>, &mut OpenMapMut<'obj>)>;
    /// Each in-flight state's two maps (bpf/inflight.bpf.h): the hash by thread id and
    /// the task storage; empty for a tool without.
    fn inflight_maps(&mut self) -> Vec<(&mut OpenMapMut<'obj>, &mut OpenMapMut<'obj>)>;
}

/// A tool's loaded skeleton as the runtime sees it (implemented in skel.rs): the maps
/// of the shared BPF code, through the skeleton's typed fields.
pub trait ToolMaps<'obj> {
    /// --cgroup's one-slot cgroup array (bpf/common.bpf.h).
    fn cgroup_filter(&self) -> &MapMut<'obj>;
    /// A streaming tool's event output (bpf/events.bpf.h); None for an aggregating tool.
    fn event_maps(&self) -> Option<EventMaps<'_, 'obj>>;
}

/// The open (not yet loaded) skeleton of the tool built by `B`.
pub type OpenOf<B> = <B as SkelBuilder<'static>>::Output;
/// The loaded skeleton of the tool built by `B`.
pub type SkelOf<B> = <<B as SkelBuilder<'static>>::Output as OpenSkel<'static>>::Output;

/// What `load` takes from a tool's command line.
#[derive(Debug, Clone, Copy)]
pub struct Loading<'a> {
    filters: &'a FilterArgs,
    run: &'a RunArgs,
    events: Option<&'a EventArgs>,
    probes: Option<ProbeMode>,
    /// Kprobe targets by section name, and the name each has in this kernel.
    renames: &'a [(&'a str, &'a str)],
    uprobe: Option<Uprobe<'a>>,
    xdp: Option<Xdp>,
    with_ppid: bool,
    by_cgroup: bool,
    failed_only: bool,
    /// Where and how to serve Prometheus metrics (--metrics-addr, --web-config).
    metrics: Option<&'a crate::cli::MetricsArgs>,
}

/// The interface for the tool's XDP program (section "xdp": it cannot name one).
#[derive(Debug, Clone, Copy)]
pub struct Xdp {
    pub ifindex: i32,
}

/// Where the tool's uprobe goes, named at run time (section "uprobe" or "uretprobe"
/// without a target: the binary is an option).
#[derive(Debug, Clone, Copy)]
pub struct Uprobe<'a> {
    pub binary: &'a Path,
    pub function: &'a str,
}

/// What attaches a program whose section names no target: the uprobe and XDP sections
/// without one, which `Loading::uprobe` and `Loading::xdp` complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Untargeted {
    Uprobe { retprobe: bool },
    Xdp,
}

impl Untargeted {
    fn of(prog: &libbpf_rs::ProgramMut<'_>) -> Option<Self> {
        match prog.section().to_str()? {
            "uprobe" => Some(Self::Uprobe { retprobe: false }),
            "uretprobe" => Some(Self::Uprobe { retprobe: true }),
            "xdp" => Some(Self::Xdp),
            _ => None,
        }
    }
}

impl<'a> Loading<'a> {
    /// A tool whose programs only take the filters (and -v).
    pub fn new(filters: &'a FilterArgs, run: &'a RunArgs) -> Self {
        Self {
            filters,
            run,
            events: None,
            probes: None,
            renames: &[],
            uprobe: None,
            xdp: None,
            with_ppid: false,
            by_cgroup: false,
            failed_only: false,
            metrics: None,
        }
    }

    /// A syscall tracer (`SnoopArgs`): filters, -x, and events through the ring (or
    /// perf) buffer.
    pub fn snoop(snoop: &'a SnoopArgs, stream: &'a StreamArgs) -> Self {
        Self::stream(&snoop.filters, stream).failed_only(snoop.failed)
    }

    /// Only calls that failed are reported or counted (-x).
    pub fn failed_only(self, failed_only: bool) -> Self {
        Self {
            failed_only,
            ..self
        }
    }

    /// Events carry the parent's tgid in their task (a PPID column).
    pub fn with_ppid(self, with_ppid: bool) -> Self {
        Self { with_ppid, ..self }
    }

    /// A streaming tool: filters, and events through the ring (or perf) buffer.
    pub fn stream(filters: &'a FilterArgs, stream: &'a StreamArgs) -> Self {
        Self {
            events: Some(&stream.events),
            metrics: Some(&stream.metrics),
            ..Self::new(filters, &stream.run)
        }
    }

    /// An aggregating tool: filters only; its maps are read by the report loop.
    pub fn report(filters: &'a FilterArgs, report: &'a ReportArgs) -> Self {
        Self {
            metrics: Some(&report.metrics),
            ..Self::new(filters, &report.run)
        }
    }

    /// A per-key counting tool (`CountArgs`).
    pub fn counting(args: &'a CountArgs) -> Self {
        Self::report(&args.filters, &args.report).by_cgroup(args.grouping.by_cgroup)
    }

    /// Counting keys carry the task's cgroup (--by-cgroup).
    pub fn by_cgroup(self, by_cgroup: bool) -> Self {
        Self { by_cgroup, ..self }
    }

    /// A tool with a fixed set of counters (`TotalArgs`).
    pub fn totals(args: &'a TotalArgs) -> Self {
        Self::report(&args.filters, &args.report)
    }

    /// Attaches the program `uprobe.program` where `uprobe` says, instead of where its
    /// section would.
    pub fn uprobe(self, uprobe: Uprobe<'a>) -> Self {
        Self {
            uprobe: Some(uprobe),
            ..self
        }
    }

    /// Attaches the program `xdp.program` to the interface `xdp.ifindex`.
    pub fn xdp(self, xdp: Xdp) -> Self {
        Self {
            xdp: Some(xdp),
            ..self
        }
    }

    /// Loads only the programs of the mode `probes` chose (kprobes or tracepoints); the
    /// others stay off. Kprobes attach to their functions under this kernel's names.
    pub fn probes(self, probes: &'a Probes<'a>) -> Self {
        Self {
            probes: Some(probes.mode),
            renames: &probes.renames,
            ..self
        }
    }
}

/// A loaded and attached tool. Dropping it (on any return from main) detaches every
/// program and closes the object.
pub struct Tracing<S> {
    // Declared first, so dropped first: programs detach before their object closes.
    _links: Vec<Link>,
    // Closed before the object too: closing empties the perf event array's slots.
    pub(crate) perf: Option<PerfReader>,
    pub(crate) skel: S,
    pub(crate) source: Option<EventSource>,
    pub(crate) with_ppid: bool,
}

impl<S> Deref for Tracing<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.skel
    }
}

/// Everything between the command line and a running tool: preflight, open the
/// skeleton, write the filters (and event switches) into rodata, let `setup` write the
/// tool's own rodata, size the event buffers, switch off programs whose hook this kernel
/// lacks, load, attach.
pub fn load<B>(
    loading: Loading<'_>,
    setup: impl FnOnce(&mut OpenOf<B>) -> Result<()>,
) -> Result<Tracing<SkelOf<B>>>
where
    B: SkelBuilder<'static> + Default,
    B::Output: ToolSkel<'static>,
{
    load_then::<B>(loading, setup, |_| Ok(()))
}

/// `load`, with `before_attach` given the loaded skeleton before any program is
/// attached: what the programs must find in their maps from their first run (a
/// policy's rules) is written there, so that no event meets an empty map.
pub fn load_then<B>(
    loading: Loading<'_>,
    setup: impl FnOnce(&mut OpenOf<B>) -> Result<()>,
    before_attach: impl FnOnce(&SkelOf<B>) -> Result<()>,
) -> Result<Tracing<SkelOf<B>>>
where
    B: SkelBuilder<'static> + Default,
    B::Output: ToolSkel<'static>,
{
    // Bound first: an address that cannot be served stops the tool before it loads.
    // (The one call up a layer, to output: the server must be bound before the load.)
    if let Some(metrics) = loading.metrics {
        crate::output::metrics::serve(metrics)?;
    }
    prepare_loading(loading.run.verbose)?;
    run::start_step("preflight");
    let source = loading.events.map(EventSource::from_args);
    // A tool loads one object and keeps it until it exits, so its storage is simply
    // never freed; the skeleton still closes the object (and its programs) on drop.
    let storage = Box::leak(Box::new(MaybeUninit::<OpenObject>::uninit()));
    let mut open_skel = B::default()
        .open(storage)
        .context("failed to open the BPF object")?;
    let rodata = open_skel.tool_rodata()?;
    rodata.write_filters(loading.filters, loading.failed_only);
    rodata.write_task(loading.with_ppid, loading.by_cgroup);
    if let Some(source) = source {
        anyhow::ensure!(
            rodata.write_event_source(source),
            "BPF object has no event output (events.bpf.h)"
        );
    }
    if let Some(mode) = loading.probes {
        preflight::keep_programs_of(open_skel.open_object_mut(), mode);
        if mode == ProbeMode::Fexit {
            retarget_fexits(open_skel.open_object_mut(), loading.renames)?;
        }
    }
    // The tool's own rodata, and the programs and maps its options switch off or size,
    // through the skeleton's typed fields.
    setup(&mut open_skel)?;
    let tracefs = if uses_tracefs(open_skel.open_object_mut()) {
        Some(tracefs()?)
    } else {
        None
    };
    let task_storage = configure(&mut open_skel, source, tracefs.as_deref(), loading.probes)?;
    run::start_step("open");
    let (skel, perf, links) =
        load_and_attach(open_skel, &loading, source, task_storage, before_attach)?;
    run::start_step("attach");
    Ok(Tracing {
        _links: links,
        perf,
        skel,
        source,
        with_ppid: loading.with_ppid,
    })
}

/// Before load: sizes the event buffers (streaming tools), switches off programs
/// whose tracepoint this kernel lacks, and chooses where in-flight calls are kept:
/// true for task storage.
fn configure<'obj>(
    open: &mut impl ToolSkel<'obj>,
    events: Option<EventSource>,
    tracefs: Option<&Path>,
    probes: Option<ProbeMode>,
) -> Result<bool> {
    if let Some(source) = events {
        let (ring, perf) = open
            .event_buffers()
            .context("BPF object has no event output (events.bpf.h)")?;
        size_event_buffers(source, ring, perf)?;
    }
    if let Some(tracefs) = tracefs {
        preflight::skip_missing_tracepoints(open.open_object_mut(), tracefs);
    }
    // After the programs are chosen: what they may call is probed for each that loads.
    let task_btf = features::task_btf_usable(open.open_object_mut());
    open.tool_rodata()?.write_task_btf(task_btf);
    if open.inflight_maps().is_empty() {
        return Ok(false);
    }
    if probes == Some(ProbeMode::Fexit) {
        inflight::leave_out_all(open.inflight_maps())?;
        return Ok(false);
    }
    let task_storage = inflight::task_storage_usable(open.open_object_mut());
    inflight::leave_out_unused(task_storage, open.inflight_maps())?;
    open.tool_rodata()?.write_inflight(task_storage);
    Ok(task_storage)
}

/// Loads the programs and attaches every one that is switched on. The links come back
/// with the skeleton: dropping them (on any return from main) detaches.
/// Loads, opens the perf buffer if events go through one (before attach, so that no
/// event finds its CPU's slot empty), attaches.
fn load_and_attach<'obj, S>(
    open: S,
    loading: &Loading<'_>,
    source: Option<EventSource>,
    task_storage: bool,
    before_attach: impl FnOnce(&S::Output) -> Result<()>,
) -> Result<(S::Output, Option<PerfReader>, Vec<Link>)>
where
    S: ToolSkel<'obj>,
{
    let skel = open.load().with_context(|| {
        // The probe said yes; should this kernel still refuse, the way around it.
        if task_storage {
            format!(
                "failed to load BPF programs (in-flight calls in task storage: {}=hash keeps \
                 them in a hash)",
                inflight::FORCE_ENV
            )
        } else {
            "failed to load BPF programs".to_string()
        }
    })?;
    run::start_step("load (kernel BTF, relocation, verification)");
    // Warnings so far were about the load that succeeded; a later error is not theirs.
    run::clear_libbpf_warning();
    // Before attach: no event passes --cgroup's filter with an empty slot.
    if let Some(dir) = &loading.filters.cgroup {
        cgroup::fill_filter(skel.cgroup_filter(), dir)?;
    }
    let perf = match source {
        Some(EventSource::PerfBuffer) => {
            let maps = skel
                .event_maps()
                .context("BPF object has no event output")?;
            Some(PerfReader::open(maps.perf)?)
        }
        _ => None,
    };
    before_attach(&skel)?;
    let links = attach_all(skel.object(), loading)?;
    crate::kernel::programs::note(skel.object());
    Ok((skel, perf, links))
}

/// Attaches each program that is switched on: where `loading` says for the uprobe or
/// XDP program it names, else where the program's section says.
fn attach_all(object: &Object, loading: &Loading<'_>) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    for prog in object.progs_mut() {
        if !prog.autoload() {
            continue;
        }
        let uprobe = matches!(Untargeted::of(&prog), Some(Untargeted::Uprobe { .. }));
        let link = attach_one(&prog, loading).map_err(|err| {
            let refused = err.chain().any(|cause| {
                cause
                    .downcast_ref::<libbpf_rs::Error>()
                    .is_some_and(|err| err.kind() == libbpf_rs::ErrorKind::PermissionDenied)
            });
            match refused
                .then(|| preflight::perf_permission_hint(uprobe))
                .flatten()
            {
                Some(hint) => anyhow::anyhow!("{err:#}; {hint}"),
                None => err,
            }
        })?;
        links.push(link);
    }
    if links.is_empty() {
        anyhow::bail!(
            "no program could be attached: this kernel has none of the hooks this tool uses"
        );
    }
    Ok(links)
}

/// Attaches one program: where `loading` says for a section that names no target
/// (uprobe, XDP), else where the program's section says.
fn attach_one(prog: &libbpf_rs::ProgramMut<'_>, loading: &Loading<'_>) -> Result<Link> {
    {
        let link = match (Untargeted::of(prog), loading.uprobe, loading.xdp) {
            (Some(Untargeted::Xdp), _, Some(xdp)) => {
                prog.attach_xdp(xdp.ifindex).with_context(|| {
                    format!(
                        "failed to attach the XDP program to interface index {} (an \
                         interface takes one XDP program at a time: see `ip link`)",
                        xdp.ifindex
                    )
                })?
            }
            (Some(Untargeted::Uprobe { retprobe }), Some(probe), _) => {
                let opts = UprobeOpts {
                    func_name: Some(probe.function.to_string()),
                    retprobe,
                    ..Default::default()
                };
                prog.attach_uprobe_with_opts(-1, probe.binary, 0, opts)
                    .with_context(|| {
                        format!(
                            "failed to attach a uprobe to {} in {}",
                            probe.function,
                            probe.binary.display()
                        )
                    })?
            }
            _ => {
                let section = prog.section().to_string_lossy().into_owned();
                match renamed_kprobe(&section, loading.renames) {
                    Some((retprobe, function)) => prog
                        .attach_kprobe(retprobe, function)
                        .with_context(|| format!("failed to attach {section} to {function}"))?,
                    None => prog
                        .attach()
                        .with_context(|| format!("failed to attach {section}"))?,
                }
            }
        };
        Ok(link)
    }
}

/// Before load: points each fexit program whose function has another name in this
/// kernel at that name.
fn retarget_fexits(object: &mut libbpf_rs::OpenObject, renames: &[(&str, &str)]) -> Result<()> {
    for mut prog in object.progs_mut() {
        let section = prog.section().to_string_lossy().into_owned();
        let Some(written) = section.strip_prefix("fexit/") else {
            continue;
        };
        if let Some(actual) = renamed(written, renames) {
            prog.set_attach_target(0, Some(actual.to_string()))
                .with_context(|| format!("cannot point {section} at {actual}"))?;
        }
    }
    Ok(())
}

/// A kprobe section ("kprobe/do_unlinkat", "kretprobe/...") whose function has another
/// name in this kernel: whether it is a return probe, and that name.
fn renamed_kprobe<'a>(section: &str, renames: &[(&str, &'a str)]) -> Option<(bool, &'a str)> {
    let (retprobe, function) = match section.split_once('/')? {
        ("kprobe", function) => (false, function),
        ("kretprobe", function) => (true, function),
        _ => return None,
    };
    renamed(function, renames).map(|actual| (retprobe, actual))
}

/// The name `function` (as a section writes it) has in this kernel, if another.
fn renamed<'a>(function: &str, renames: &[(&str, &'a str)]) -> Option<&'a str> {
    renames
        .iter()
        .find(|(written, actual)| *written == function && written != actual)
        .map(|(_, actual)| *actual)
}

/// The two ways into the kernel of a tool that has them: programs on kernel functions
/// (kprobes, or fexit), or tracepoints where the kernel cannot hook the functions.
#[derive(Debug, Clone, Copy)]
pub struct Hooks<'a> {
    /// What is traced, for the readiness line ("unlinks").
    pub what: &'a str,
    /// The kernel functions the programs need (under whichever name this kernel has).
    pub functions: &'a [KernelFunction<'a>],
    /// How the functions are hooked: ProbeMode::Kprobe or ProbeMode::Fexit.
    pub by: ProbeMode,
    /// How the readiness line names the function hooks, before the functions ("kprobe").
    pub kprobes: &'a str,
    pub tracepoints: &'a str,
}

/// The hooks a tool goes in by on this kernel (Hooks::choose).
#[derive(Debug, Clone)]
pub struct Probes<'a> {
    pub mode: ProbeMode,
    /// The readiness line's "what ... via ...".
    pub what: String,
    /// With kernel functions: each function's section name and its name in this kernel.
    renames: preflight::Renames<'a>,
}

impl<'a> Hooks<'a> {
    /// kprobes on `functions`, else tracepoints.
    pub const fn new(
        what: &'a str,
        functions: &'a [KernelFunction<'a>],
        kprobes: &'a str,
        tracepoints: &'a str,
    ) -> Self {
        Self {
            what,
            functions,
            by: ProbeMode::Kprobe,
            kprobes,
            tracepoints,
        }
    }

    /// fexit on `functions` where BPF trampolines work, else tracepoints. Tracepoints
    /// being the same events at a higher cost, the fallback is said with -v only.
    pub const fn fexit(
        what: &'a str,
        functions: &'a [KernelFunction<'a>],
        tracepoints: &'a str,
    ) -> Self {
        Self {
            what,
            functions,
            by: ProbeMode::Fexit,
            kprobes: "fexit",
            tracepoints,
        }
    }

    /// The mode --mode and this kernel allow (saying so on stderr when the kprobes are
    /// not to be had; with -v, always), the functions found, and the readiness line's
    /// "what ... via ...".
    pub fn choose(&self, args: &ModeArgs, run_args: &RunArgs) -> Result<Probes<'a>> {
        let tracefs = prepare(run_args.verbose)?;
        let features = KernelFeatures::probe(&tracefs);
        let (mode, fallback, renames) =
            preflight::choose_probe_mode(args.mode, self.by, features, self.functions)?;
        if let Some(why) = fallback {
            let line = format!("{why}; falling back to {}", self.tracepoints);
            match self.by {
                ProbeMode::Kprobe => run::notice(&line),
                _ => run::verbose_notice(&line),
            }
        }
        let via = match mode {
            ProbeMode::Kprobe | ProbeMode::Fexit => {
                let names: Vec<&str> = renames.iter().map(|(_, name)| *name).collect();
                format!("{} {}", self.kprobes, names.join("/"))
            }
            _ => self.tracepoints.to_string(),
        };
        run::verbose_notice(&format!("{} via {via}", self.what));
        Ok(Probes {
            mode,
            what: format!("{} via {via}", self.what),
            renames,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::renamed_kprobe;

    #[test]
    fn kprobe_sections_attach_to_the_name_this_kernel_has() {
        let renames = [
            ("do_unlinkat", "filename_unlinkat"),
            ("vfs_read", "vfs_read"),
        ];
        assert_eq!(
            renamed_kprobe("kprobe/do_unlinkat", &renames),
            Some((false, "filename_unlinkat"))
        );
        assert_eq!(
            renamed_kprobe("kretprobe/do_unlinkat", &renames),
            Some((true, "filename_unlinkat"))
        );
        // Same name: the section attaches as written.
        assert_eq!(renamed_kprobe("kprobe/vfs_read", &renames), None);
        assert_eq!(
            renamed_kprobe("tracepoint/syscalls/sys_enter_unlink", &renames),
            None
        );
        assert_eq!(renamed_kprobe("kprobe/input_event", &renames), None);
    }
}
