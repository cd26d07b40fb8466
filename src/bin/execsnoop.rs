//! execsnoop: trace execve(2), one line per call with its arguments and result.
//! A port of bcc libbpf-tools execsnoop; the kernel side is bpf/execsnoop.bpf.c.

use std::mem::offset_of;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::SnoopArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::skel::execsnoop::types::event;
use ebpf_tracers::skel::execsnoop::ExecsnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::LineStart;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Trace execve(2): who ran what, with which arguments, and the result.
#[derive(Debug, Parser)]
#[command(name = "execsnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    snoop: SnoopArgs,
    /// Put each argument in double quotes
    #[arg(short = 'q', long = "quote")]
    quote: bool,
    /// Show only executions whose arguments contain LINE
    #[arg(short = 'l', long = "line", value_name = "LINE")]
    line: Option<String>,
    /// Arguments kept per execution, the executed path included (1 to 60)
    #[arg(long = "max-args", value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    max_args: u32,
    /// Read the arguments with a BPF_KSYSCALL kprobe on execve instead of the
    /// sys_enter_execve tracepoint (needs kprobes)
    #[arg(long = "ksyscall")]
    ksyscall: bool,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execsnoop                # every exec, with its arguments
    execsnoop -x             # only failed execs
    execsnoop -U -T          # with UID and time columns
    execsnoop -p 181         # only execs called by PID 181
    execsnoop -c bash        # only execs called by processes named bash
    execsnoop -n ls          # only new programs whose name contains ls
    execsnoop -l testpkg     # only execs with an argument containing testpkg
    execsnoop -q --max-args 5
    execsnoop --ksyscall     # arguments from a kprobe on the syscall

ARGS starts with the path executed (argv[0] need not name it), then argv[1..].
A success is named by the new program (PCOMM) with RET 0; a failure by the caller,
with RET -errno. -p/-t/-u/-c select the calling task, in the kernel.";

/// The entry hooks; the one the options did not choose stays unloaded.
const TRACEPOINT_ENTRY: &str = "tracepoint__syscalls__sys_enter_execve";
const KSYSCALL_ENTRY: &str = "ksyscall__execve";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("execsnoop", |args: &Args| {
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
        let loading = Loading::stream(&args.snoop.filters, &args.stream).switch_off(&unused_entry);
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
        let spec = StreamSpec::new(what, header(args), &args.stream);
        let min_len = offset_of!(event, args);
        tracing.stream_tasks(spec, min_len, &args.snoop, |event, comm, start| {
            print_event(args, event, comm, start)
        })
    })
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

fn header(args: &Args) -> String {
    let mut line = args.snoop.header_start(&args.stream.output);
    line.push_str(&format!(
        "{:<16} {:<7} {:<7} {:>3} ARGS",
        "PCOMM", "PID", "PPID", "RET"
    ));
    line
}

fn print_event(args: &Args, event: &event, comm: &str, start: LineStart) -> Option<String> {
    let argv = arguments(&event.args, event.args_size, event.args_count);
    if let Some(line) = &args.line {
        argv.iter().find(|arg| arg.contains(line.as_str()))?;
    }
    let cut = event.args_cut != 0;
    Some(match start {
        LineStart::Json(json) => json
            .uint("ppid", event.ppid.into())
            .int("ret", event.ret)
            .strs("args", &argv)
            .uint("args_cut", cut.into())
            .finish(),
        LineStart::Text(start) => format!(
            "{start}{comm:<16} {:<7} {:<7} {:>3} {}",
            event.tgid,
            event.ppid,
            event.ret,
            args_column(&argv, args.quote, cut)
        ),
    })
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
    fn header_has_the_bcc_columns() {
        let header = header(&Args::parse_from(["execsnoop", "-T", "-U"]));
        let expected = ["TIME", "UID", "PCOMM", "PID", "PPID", "RET", "ARGS"];
        assert!(header.split_whitespace().eq(expected), "{header}");
    }
}
