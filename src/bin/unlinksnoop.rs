//! unlinksnoop: trace file unlinks, one line per call, with the result.
//! kprobes on do_unlinkat where the kernel has them, else the unlink/unlinkat syscall
//! tracepoints. The kernel side is bpf/unlinksnoop.bpf.c.

use std::mem::offset_of;
use std::process::ExitCode;

use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::record::Column;
use ebpf_tracers::skel::unlinksnoop::types::event;
use ebpf_tracers::skel::unlinksnoop::UnlinksnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Hooks;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::mkdirsnoop::PathCall;
use ebpf_tracers::tools::unlinksnoop::Args;
use ebpf_tracers::tools::unlinksnoop::TOOL;

const HOOKS: Hooks = Hooks::new(
    "unlinks",
    "do_unlinkat",
    "kprobe do_unlinkat",
    "tracepoints sys_enter/exit_unlink(at)",
);

fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let (mode, what) = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.snoop.filters, &args.stream).probes(mode);
        let tracing = tool::load::<UnlinksnoopSkelBuilder>(loading, |rodata| {
            rodata.targ_failed = args.snoop.failed;
            Ok(())
        })?;
        let table = args
            .snoop
            .table()
            .column(Column::left("pid", "PID", 7))
            .column(Column::left("comm", "COMM", 16))
            .column(Column::right("ret", "RET", 4))
            .column(Column::last("path", "PATH"));
        let spec = StreamSpec::new(&what, table, &args.stream);
        let min_len = offset_of!(event, path);
        tracing.stream_tasks(spec, min_len, &args.snoop.name, |event: &event, task| {
            Some(PathCall {
                task,
                mode: None,
                ret: event.ret,
                path: escape(c_bytes(&event.path)),
            })
        })
    })
}
