//! execsnoop: trace execve(2), one line per call with its arguments and result.
//! A port of bcc libbpf-tools execsnoop; the kernel side is bpf/execsnoop.bpf.c.

use std::mem::offset_of;
use std::process::ExitCode;

use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::record::cell_text;
use ebpf_tracers::record::Column;
use ebpf_tracers::record::Table;
use ebpf_tracers::skel::execsnoop::types::event;
use ebpf_tracers::skel::execsnoop::ExecsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::execsnoop::Args;
use ebpf_tracers::tools::execsnoop::Exec;
use ebpf_tracers::tools::execsnoop::TOOL;

/// The entry hooks; the one the options did not choose stays unloaded.
const TRACEPOINT_ENTRY: &str = "tracepoint__syscalls__sys_enter_execve";
const KSYSCALL_ENTRY: &str = "ksyscall__execve";

fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let unused_entry = if args.ksyscall {
            let tracefs = tool::prepare(args.stream.run.verbose)?;
            anyhow::ensure!(
                KernelFeatures::probe(&tracefs).kprobes,
                "--ksyscall: kernel has no kprobes (CONFIG_KPROBES); drop --ksyscall to use \
                 the sys_enter_execve tracepoint"
            );
            [TRACEPOINT_ENTRY]
        } else {
            [KSYSCALL_ENTRY]
        };
        let loading = Loading::stream(&args.snoop.filters, &args.stream)
            .switch_off(&unused_entry)
            .with_ppid(true);
        let tracing = tool::load::<ExecsnoopSkelBuilder>(loading, |rodata| {
            rodata.targ_failed = args.snoop.failed;
            rodata.max_args = args.max_args;
            Ok(())
        })?;
        let what = if args.ksyscall {
            "execve via ksyscall"
        } else {
            "execve via tracepoints"
        };
        let spec = StreamSpec::new(what, table(args), &args.stream);
        let min_len = offset_of!(event, args);
        tracing.stream_tasks(spec, min_len, &args.snoop.name, |event: &event, task| {
            let argv = arguments(&event.args, event.args_size, event.args_count);
            if let Some(line) = &args.line {
                argv.iter().find(|arg| arg.contains(line.as_str()))?;
            }
            Some(Exec {
                task,
                ret: event.ret,
                args: argv,
                args_cut: event.args_cut,
            })
        })
    })
}

/// bcc's columns: `[UID] PCOMM PID PPID RET ARGS`.
fn table(args: &Args) -> Table {
    let quote = args.quote;
    let args_column = move |record: &serde_json::Value| {
        let argv: Vec<String> = match record["args"].as_array() {
            Some(argv) => argv.iter().map(cell_text).collect(),
            None => Vec::new(),
        };
        args_column(&argv, quote, record["args_cut"] != 0)
    };
    args.snoop
        .table()
        .column(Column::left("comm", "PCOMM", 16))
        .column(Column::left("pid", "PID", 7))
        .column(Column::left("ppid", "PPID", 7))
        .column(Column::right("ret", "RET", 3))
        .column(Column::last("args", "ARGS").formatted(args_column))
}

/// The arguments of a record: `count` NUL-terminated strings in the first `size` bytes.
fn arguments(raw: &[i8], size: u32, count: u32) -> Vec<String> {
    let bytes: Vec<u8> = raw.iter().map(|&c| c as u8).collect();
    let used = &bytes[..(size as usize).min(bytes.len())];
    used.split_inclusive(|&b| b == 0)
        .take(count as usize)
        .map(|arg| escape(until_nul(arg)))
        .collect()
}

/// ARGS as printed: space-separated, each quoted with -q, "..." when some were cut.
fn args_column(args: &[String], quote: bool, cut: bool) -> String {
    let mut shown: Vec<String> = if quote {
        args.iter()
            .map(|arg| format!("\"{}\"", arg.replace('"', "\\\"")))
            .collect()
    } else {
        args.to_vec()
    };
    if cut {
        shown.push("...".to_string());
    }
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &[u8]) -> Vec<i8> {
        let mut raw: Vec<i8> = text.iter().map(|&b| b as i8).collect();
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

    #[test]
    fn args_column_quotes_and_marks_cut_lists() {
        let argv = vec!["echo".to_string(), "a \"b\"".to_string()];
        assert_eq!(args_column(&argv, false, false), "echo a \"b\"");
        assert_eq!(
            args_column(&argv, true, true),
            "\"echo\" \"a \\\"b\\\"\" ..."
        );
    }

    #[test]
    fn table_has_the_bcc_columns() {
        let args = TOOL
            .parse_from::<Args, _>(["execsnoop", "-U"].map(Into::into))
            .unwrap();
        let header = table(&args).header();
        let expected = ["UID", "PCOMM", "PID", "PPID", "RET", "ARGS"];
        assert!(header.split_whitespace().eq(expected), "{header}");
    }
}
