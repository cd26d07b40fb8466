//! unlinksnoop: trace file unlinks, one line per call, with the result.
//! kprobes on do_unlinkat where the kernel has them, else the unlink/unlinkat syscall
//! tracepoints. The kernel side is bpf/unlinksnoop.bpf.c.

use std::mem::offset_of;
use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use libbpf_rs::skel::OpenSkel;
use libbpf_rs::skel::Skel;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::NameArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_prefix;
use ebpf_tracers::events::EventSource;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::local_time_hms;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::preflight;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::preflight::ProbeMode;
use ebpf_tracers::skel::unlinksnoop::types::event;
use ebpf_tracers::skel::unlinksnoop::UnlinksnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::write_event_rodata;
use ebpf_tracers::write_filter_rodata;

const KPROBE_FUNCTION: &str = "do_unlinkat";

const EXAMPLES: &str = "\
EXAMPLES:
    unlinksnoop                   # trace every unlink
    unlinksnoop -c rm             # only processes named rm
    unlinksnoop -p 181 -T         # only PID 181, with a time column
    unlinksnoop --mode tracepoint # use the syscall tracepoints even where kprobes work
    unlinksnoop --json            # one JSON object per line";

/// Trace unlink(2) and unlinkat(2): who removed which file, and the result.
#[derive(Debug, Parser)]
#[command(name = "unlinksnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    name: NameArgs,
    /// Where to hook: kprobe on do_unlinkat, or the syscall tracepoints
    #[arg(long = "mode", value_enum, default_value_t = ProbeMode::Auto)]
    mode: ProbeMode,
    #[command(flatten)]
    stream: StreamArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("unlinksnoop", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.stream.run.verbose)?;
    let source = EventSource::from_args(&args.stream.events);
    let features = KernelFeatures::probe(&tracefs);
    let (mode, fallback) = preflight::choose_probe_mode(args.mode, features, KPROBE_FUNCTION)?;
    if let Some(why) = fallback {
        eprintln!("unlinksnoop: {why}; falling back to the sys_enter/exit_unlink(at) tracepoints");
    }

    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<UnlinksnoopSkelBuilder>(&mut object, &tracefs, Some(source), |skel| {
            let rodata = tool::rodata(&mut skel.maps.rodata_data)?;
            write_filter_rodata!(rodata, &args.filters);
            write_event_rodata!(rodata, source);
            preflight::keep_programs_of(skel.open_object_mut(), mode);
            Ok(())
        })?;

    let output = Output::new();
    let spec = StreamSpec::new(
        "unlinksnoop",
        match mode {
            ProbeMode::Kprobe => "unlinks via kprobe do_unlinkat",
            _ => "unlinks via tracepoints sys_enter/exit_unlink(at)",
        },
        header(args),
        &args.stream,
    );
    tool::stream_events(skel.object(), source, &output, spec, |data| {
        print_event(args, &output, data)
    })
}

fn header(args: &Args) -> String {
    let time = if args.stream.output.timestamp {
        "TIME     "
    } else {
        ""
    };
    format!("{time}{:<7} {:<16} {:>4} PATH", "PID", "COMM", "RET")
}

fn print_event(args: &Args, output: &Output, data: &[u8]) -> std::io::Result<()> {
    let Some(event) = decode_prefix::<event>(data, offset_of!(event, path)) else {
        return Ok(());
    };
    let comm = c_bytes(&event.comm);
    if !args.name.matches(comm) {
        return Ok(());
    }
    let comm = escape(comm);
    let path = escape(c_bytes(&event.path));
    let time = args.stream.output.timestamp.then(local_time_hms);
    if args.stream.output.json {
        let mut json = JsonLine::new();
        if let Some(time) = &time {
            json = json.str("time", time);
        }
        let line = json
            .uint("uid", event.uid.into())
            .uint("pid", event.tgid.into())
            .uint("tid", event.pid.into())
            .str("comm", &comm)
            .int("ret", event.ret)
            .str("path", &path)
            .finish();
        return output.line(&line);
    }
    let time = time.map(|t| format!("{t:<8} ")).unwrap_or_default();
    output.line(&format!(
        "{time}{:<7} {:<16} {:>4} {path}",
        event.tgid, comm, event.ret
    ))
}
