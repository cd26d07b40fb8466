//! unlinksnoop: trace file unlinks, one line per call, with the result.
//! kprobes on do_unlinkat where the kernel has them, else the unlink/unlinkat syscall
//! tracepoints. The kernel side is bpf/unlinksnoop.bpf.c.

use std::mem::offset_of;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::ModeArgs;
use ebpf_tracers::cli::SnoopArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::skel::unlinksnoop::types::event;
use ebpf_tracers::skel::unlinksnoop::UnlinksnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Hooks;
use ebpf_tracers::tool::LineStart;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

const HOOKS: Hooks = Hooks::new(
    "unlinks",
    "do_unlinkat",
    "kprobe do_unlinkat",
    "tracepoints sys_enter/exit_unlink(at)",
);

/// Trace unlink(2) and unlinkat(2): who removed which file, and the result.
#[derive(Debug, Parser)]
#[command(name = "unlinksnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    snoop: SnoopArgs,
    #[command(flatten)]
    mode: ModeArgs,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    unlinksnoop                   # trace every unlink
    unlinksnoop -c rm             # only processes named rm
    unlinksnoop -x -U             # only failed unlinks, with the UID
    unlinksnoop -p 181 -T         # only PID 181, with a time column
    unlinksnoop --mode tracepoint # use the syscall tracepoints even where kprobes work
    unlinksnoop --json            # one JSON object per line";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("unlinksnoop", |args: &Args| {
        let (mode, what) = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.snoop.filters, &args.stream).probes(mode);
        let tracing = tool::load::<UnlinksnoopSkelBuilder>(loading, |rodata| {
            rodata.targ_failed = args.snoop.failed;
            Ok(())
        })?;
        let spec = StreamSpec::new(&what, header(args), &args.stream);
        let min_len = offset_of!(event, path);
        tracing.stream_tasks(spec, min_len, &args.snoop, |event, comm, start| {
            Some(print_event(event, comm, start))
        })
    })
}

fn header(args: &Args) -> String {
    let mut line = args.snoop.header_start(&args.stream.output);
    line.push_str(&format!("{:<7} {:<16} {:>4} PATH", "PID", "COMM", "RET"));
    line
}

fn print_event(event: &event, comm: &str, start: LineStart) -> String {
    let path = escape(c_bytes(&event.path));
    match start {
        LineStart::Json(json) => json.int("ret", event.ret).str("path", &path).finish(),
        LineStart::Text(start) => {
            format!(
                "{start}{:<7} {comm:<16} {:>4} {path}",
                event.tgid, event.ret
            )
        }
    }
}
