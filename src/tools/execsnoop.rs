//! execsnoop: trace execve(2), one line per call with its arguments and result.
//! A port of bcc libbpf-tools execsnoop; the kernel side is bpf/execsnoop.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::model::bytes::escape;
use crate::kernel::preflight::KernelFeatures;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::output::record::cell_text;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::ExecsnoopSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/execsnoop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    execsnoop, OpenExecsnoopSkel => ExecsnoopSkel,
    streaming,
    plain[event],
    task_event,
    path_event,
    inflight[(exec_calls_by_tid, exec_calls_in_task)]
);

pub const TOOL: Tool = Tool::events::<Args, Exec>(
    "execsnoop",
    "Trace execve(2) and execveat(2): who ran what, with which arguments, and the result.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    /// Put each argument in double quotes
    #[arg(short = 'q', long = "quote")]
    pub quote: bool,
    /// Show only executions whose arguments contain LINE
    #[arg(short = 'l', long = "line", value_name = "LINE")]
    pub line: Option<String>,
    /// Arguments kept per execution, the executed path included (1 to 60)
    #[arg(long = "max-args", value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    pub max_args: u32,
    /// Read the arguments with a BPF_KSYSCALL kprobe on execve instead of the
    /// sys_enter_execve tracepoint (needs kprobes)
    #[arg(long = "ksyscall")]
    pub ksyscall: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
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
    execsnoop -G             # with a CONTAINER column
    execsnoop --cgroup /sys/fs/cgroup/kubepods.slice
                             # only execs in Kubernetes pods

ARGS starts with the path executed (argv[0] need not name it), then argv[1..], as
the kernel copied them: a success's from the new program's memory, a failure's from
the caller's, as far as they could be read ([unreadable] where they could not).
A success is named by the new program (PCOMM) with RET 0; a failure by the caller,
with RET -errno. -p/-t/-u/-c select the calling task, in the kernel.";

/// One execve(2) call. `comm` is the new program's name after a success.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Exec {
    #[serde(flatten)]
    pub task: Task,
    /// 0, or -errno of a failed exec
    pub ret: i32,
    /// The path executed (execveat: in full when relative to a directory descriptor,
    /// the file's own path for fexecve), then argv[1..]
    pub args: Vec<String>,
    /// 1 when there were more arguments than were kept (--max-args), else 0
    pub args_cut: u32,
    /// True when the path executed was longer than the kernel side reads (it ends in
    /// "..."); absent otherwise
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_cut: bool,
    /// True when the kernel could not read the path executed (args[0] is then empty);
    /// absent otherwise
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_unreadable: bool,
    /// True when the kernel could not read the arguments, or their rest (a failed exec
    /// refused before the kernel copied them); absent otherwise
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub args_unreadable: bool,
}

/// What a table shows where the kernel could not read the path or the arguments.
const UNREADABLE: &str = "[unreadable]";

/// bcc's columns: `[UID] PCOMM PID PPID RET ARGS`.
pub fn table(args: &Args) -> Table {
    let quote = args.quote;
    let args_column = move |record: &serde_json::Value| {
        let mut argv: Vec<String> = match record["args"].as_array() {
            Some(argv) => argv.iter().map(cell_text).collect(),
            None => Vec::new(),
        };
        if record["path_unreadable"] == true {
            if let Some(path) = argv.first_mut() {
                *path = UNREADABLE.to_string();
            }
        }
        let mut shown = args_column(&argv, quote, record["args_cut"] != 0);
        if record["args_unreadable"] == true {
            shown.push(' ');
            shown.push_str(UNREADABLE);
        }
        shown
    };
    Table::new()
        .column_if(args.snoop.print_uid, Task::uid_column())
        .column(Column::left("comm", "PCOMM", 16))
        .column(Task::pid_column())
        .column(Task::ppid_column())
        .column(Column::right("ret", "RET", 3))
        .column(Column::last("args", "ARGS").formatted(args_column))
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

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        if args.ksyscall {
            let tracefs = kernel::prepare(args.stream.run.verbose)?;
            anyhow::ensure!(
                KernelFeatures::probe(&tracefs).kprobes,
                "--ksyscall: kernel has no kprobes (CONFIG_KPROBES); drop --ksyscall to use \
                 the sys_enter_execve tracepoint"
            );
        }
        let loading = Loading::snoop(&args.snoop, &args.stream).with_ppid(true);
        let tracing = kernel::load::<ExecsnoopSkelBuilder>(loading, |open| {
            open.rodata()?.max_args = args.max_args;
            // The entry hooks: the pair the options did not choose stays unloaded.
            let (ksyscall, tracepoint) = (args.ksyscall, !args.ksyscall);
            let progs = &mut open.progs;
            progs.ksyscall__execve.set_autoload(ksyscall);
            progs.ksyscall__execveat.set_autoload(ksyscall);
            progs.tracepoint__syscalls__sys_enter_execve.set_autoload(tracepoint);
            progs.tracepoint__syscalls__sys_enter_execveat.set_autoload(tracepoint);
            Ok(())
        })?;
        let what = if args.ksyscall {
            "execve and execveat via ksyscall"
        } else {
            "execve and execveat via tracepoints"
        };
        let spec = StreamSpec::new(what, table(args), &args.stream);
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &args.snoop.task,
            |event: &event, task| {
                let path = event.path.decoded();
                let (executed, path_cut) = path.path();
                // argv follows the path's used bytes, on into `more`.
                let keep = args.max_args.saturating_sub(1) as usize;
                let (after, args_cut) = crate::model::exec::arguments_of(
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

#[cfg(test)]
mod tests {
    use super::*;

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
