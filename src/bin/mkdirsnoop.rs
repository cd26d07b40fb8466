//! mkdirsnoop: trace mkdir(2) and mkdirat(2), one line per call with its mode and result.
//! The kernel side is bpf/mkdirsnoop.bpf.c (with bpf/path_call.bpf.h).

use std::mem::offset_of;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::SnoopArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::skel::mkdirsnoop::types::event;
use ebpf_tracers::skel::mkdirsnoop::MkdirsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::LineStart;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Trace mkdir(2) and mkdirat(2): who created which directory, with which mode.
#[derive(Debug, Parser)]
#[command(name = "mkdirsnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    snoop: SnoopArgs,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    mkdirsnoop                # every directory created
    mkdirsnoop -x             # only the mkdir calls that failed
    mkdirsnoop -c make -T     # only processes named make, with a time column
    mkdirsnoop --json

MODE is the mode asked for, in octal, before the process umask applies.
A relative PATH is relative to the caller's working directory (mkdir) or to the
directory it passed (mkdirat).";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("mkdirsnoop", |args: &Args| {
        let loading = Loading::stream(&args.snoop.filters, &args.stream);
        let tracing = tool::load::<MkdirsnoopSkelBuilder>(loading, |rodata| {
            rodata.targ_failed = args.snoop.failed;
            Ok(())
        })?;
        let mut header = args.snoop.header_start(&args.stream.output);
        header.push_str(&format!(
            "{:<7} {:<16} {:<5} {:>4} PATH",
            "PID", "COMM", "MODE", "RET"
        ));
        let spec = StreamSpec::new("mkdir and mkdirat", header, &args.stream);
        let min_len = offset_of!(event, path);
        tracing.stream_tasks(spec, min_len, &args.snoop, |event, comm, start| {
            Some(print_event(event, comm, start))
        })
    })
}

fn print_event(event: &event, comm: &str, start: LineStart) -> String {
    let path = escape(c_bytes(&event.path));
    match start {
        LineStart::Json(json) => json
            .uint("mode", event.mode.into())
            .int("ret", event.ret)
            .str("path", &path)
            .finish(),
        LineStart::Text(start) => format!(
            "{start}{:<7} {comm:<16} {:<5} {:>4} {path}",
            event.tgid,
            format!("{:04o}", event.mode),
            event.ret
        ),
    }
}
