//! unlinksnoop: trace file unlinks, one line per call, with the result.
//! kprobes on do_unlinkat (filename_unlinkat in 7.2) where the kernel has them, else the unlink/unlinkat syscall
//! tracepoints. The kernel side is bpf/unlinksnoop.bpf.c.

use std::process::ExitCode;

use crate::cli::ModeArgs;
use crate::cli::PathArgs;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::kernel::preflight::KernelFunction;
use crate::kernel;
use crate::kernel::load::Hooks;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;
use crate::tools::mkdirsnoop::PathCall;

use skel::UnlinksnoopSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/unlinksnoop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    unlinksnoop, OpenUnlinksnoopSkel => UnlinksnoopSkel,
    streaming,
    plain[event],
    task_event,
    path_event,
    inflight[(start_by_tid, start_in_task)]
);

pub const TOOL: Tool = Tool::events::<Args, PathCall>(
    "unlinksnoop",
    "Trace unlink(2) and unlinkat(2): who removed which file, and the result.",
    EXAMPLES,
);

/// The two ways into the kernel: kprobes where the kernel has them, else tracepoints.
pub const HOOKS: Hooks = Hooks::new(
    "unlinks",
    // (int dfd, struct filename *name) under either name: 7.2 calls it filename_unlinkat.
    &[KernelFunction::new(
        &["do_unlinkat", "filename_unlinkat"],
        &["int", "struct filename *"],
    )],
    "kprobe",
    "tracepoints sys_enter/exit_unlink(at)",
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    #[command(flatten)]
    pub path: PathArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    unlinksnoop                   # trace every unlink
    unlinksnoop -c rm             # only processes named rm
    unlinksnoop -x -U             # only failed unlinks, with the UID
    unlinksnoop -p 181 -T         # only PID 181, with a time column
    unlinksnoop --mode tracepoint # use the syscall tracepoints even where kprobes work
    unlinksnoop -F                # relative paths in full (from the directory they start in)
    unlinksnoop --json            # one JSON object per line";

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::snoop(&args.snoop, &args.stream).probes(&probes);
        let tracing = kernel::load::<UnlinksnoopSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
            rodata.full_path = args.path.full_path;
            Ok(())
        })?;
        let spec = StreamSpec::new(
            &probes.what,
            PathCall::table(&args.snoop, false),
            &args.stream,
        );
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &args.snoop.task,
            |event: &event, task| Some(PathCall::new(task, event.ret, None, event.path.decoded())),
        )
    })
}
