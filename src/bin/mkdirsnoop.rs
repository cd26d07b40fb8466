//! mkdirsnoop: trace mkdir(2) and mkdirat(2), one line per call with its mode and result.
//! The kernel side is bpf/mkdirsnoop.bpf.c (with bpf/path_call.bpf.h).

use std::process::ExitCode;

use ebpf_tracers::skel::mkdirsnoop::types::event;
use ebpf_tracers::skel::mkdirsnoop::MkdirsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::mkdirsnoop::Args;
use ebpf_tracers::tools::mkdirsnoop::PathCall;
use ebpf_tracers::tools::mkdirsnoop::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::snoop(&args.snoop, &args.stream);
        let tracing = tool::load::<MkdirsnoopSkelBuilder>(loading, |rodata| {
            rodata.full_path = args.path.full_path;
            Ok(())
        })?;
        let table = PathCall::table(&args.snoop, true);
        let spec = StreamSpec::new("mkdir and mkdirat", table, &args.stream);
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &args.snoop.task,
            |event: &event, task| {
                Some(PathCall::new(
                    task,
                    event.ret,
                    Some(event.mode),
                    event.path.decoded(),
                ))
            },
        )
    })
}
