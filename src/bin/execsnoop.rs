//! execsnoop: trace execve(2), one line per call with its arguments and result.
//! A port of bcc libbpf-tools execsnoop; the kernel side is bpf/execsnoop.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::output::as_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
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
                // The arguments follow the path's used bytes, on into `more`.
                let mut after_path = path.names[path.used()..].to_vec();
                after_path.extend_from_slice(as_bytes(&event.more));
                let mut argv = vec![escape(&executed)];
                argv.extend(arguments(&after_path, event.args_size, event.args_count));
                if let Some(line) = &args.line {
                    argv.iter().find(|arg| arg.contains(line.as_str()))?;
                }
                Some(Exec {
                    task,
                    ret: event.ret,
                    args: argv,
                    args_cut: event.args_cut,
                    path_cut,
                })
            },
        )
    })
}

/// The arguments of a record: `count` NUL-terminated strings in the first `size` bytes.
fn arguments(bytes: &[u8], size: u32, count: u32) -> Vec<String> {
    let used = &bytes[..(size as usize).min(bytes.len())];
    used.split_inclusive(|&b| b == 0)
        .take(count as usize)
        .map(|arg| escape(until_nul(arg)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &[u8]) -> Vec<u8> {
        let mut raw = text.to_vec();
        raw.resize(64, 0);
        raw
    }

    #[test]
    fn arguments_split_at_each_nul_up_to_size_and_count() {
        let record = raw(b"/bin/ls\0-l\0/tmp\0");
        assert_eq!(arguments(&record, 16, 3), ["/bin/ls", "-l", "/tmp"]);
        assert_eq!(arguments(&record, 16, 2), ["/bin/ls", "-l"]);
        assert_eq!(arguments(&record, 11, 3), ["/bin/ls", "-l"]);
        assert!(arguments(&record, 0, 3).is_empty());
    }
}
