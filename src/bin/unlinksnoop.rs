//! unlinksnoop: trace file unlinks, one line per call, with the result.
//! kprobes on do_unlinkat (filename_unlinkat in 7.2) where the kernel has them, else the unlink/unlinkat syscall
//! tracepoints. The kernel side is bpf/unlinksnoop.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::skel::unlinksnoop::types::event;
use ebpf_tracers::skel::unlinksnoop::UnlinksnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::mkdirsnoop::PathCall;
use ebpf_tracers::tools::unlinksnoop;
use ebpf_tracers::tools::unlinksnoop::Args;
use ebpf_tracers::tools::unlinksnoop::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = unlinksnoop::HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::snoop(&args.snoop, &args.stream).probes(&probes);
        let tracing = tool::load::<UnlinksnoopSkelBuilder>(loading, |rodata| {
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
