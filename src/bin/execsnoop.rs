//! execsnoop: trace execve(2), one line per call with its arguments and result.
//! A port of bcc libbpf-tools execsnoop; the kernel side is bpf/execsnoop.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::output::escape;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::skel::execsnoop::types::event;
use ebpf_tracers::skel::execsnoop::ExecsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::execsnoop;
use ebpf_tracers::tools::execsnoop::Args;
use ebpf_tracers::tools::execsnoop::Exec;
use ebpf_tracers::tools::execsnoop::TOOL;

/// The entry hooks; the pair the options did not choose stays unloaded.
const TRACEPOINT_ENTRIES: [&str; 2] = [
    "tracepoint__syscalls__sys_enter_execve",
    "tracepoint__syscalls__sys_enter_execveat",
];
const KSYSCALL_ENTRIES: [&str; 2] = ["ksyscall__execve", "ksyscall__execveat"];

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let unused_entry = if args.ksyscall {
            let tracefs = tool::prepare(args.stream.run.verbose)?;
            anyhow::ensure!(
                KernelFeatures::probe(&tracefs).kprobes,
                "--ksyscall: kernel has no kprobes (CONFIG_KPROBES); drop --ksyscall to use \
                 the sys_enter_execve tracepoint"
            );
            TRACEPOINT_ENTRIES
        } else {
            KSYSCALL_ENTRIES
        };
        let loading = Loading::snoop(&args.snoop, &args.stream)
            .switch_off(&unused_entry)
            .with_ppid(true);
        let tracing = tool::load::<ExecsnoopSkelBuilder>(loading, |rodata| {
            rodata.max_args = args.max_args;
            Ok(())
        })?;
        let what = if args.ksyscall {
            "execve and execveat via ksyscall"
        } else {
            "execve and execveat via tracepoints"
        };
        let spec = StreamSpec::new(what, execsnoop::table(args), &args.stream);
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &args.snoop.task,
            |event: &event, task| {
                let path = event.path.decoded();
                let (executed, path_cut) = path.path();
                // argv follows the path's used bytes, on into `more`.
                let keep = args.max_args.saturating_sub(1) as usize;
                let (after, args_cut) = ebpf_tracers::exec::arguments_of(
                    &path.names[path.used()..],
                    &event.more,
                    event.args_size,
                    event.args_cut != 0,
                    keep,
                );
                let mut argv = vec![escape(&executed)];
                argv.extend(after);
                if let Some(line) = &args.line {
                    argv.iter().find(|arg| arg.contains(line.as_str()))?;
                }
                Some(Exec {
                    task,
                    ret: event.ret,
                    args: argv,
                    args_cut: u32::from(args_cut),
                    path_cut,
                    path_unreadable: event.path_unreadable != 0,
                    args_unreadable: event.args_unreadable != 0,
                })
            },
        )
    })
}
