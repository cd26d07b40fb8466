//! mkdirsnoop: trace mkdir(2) and mkdirat(2), one line per call with its mode and result.
//! The kernel side is bpf/mkdirsnoop.bpf.c (with bpf/path_call.bpf.h).

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::PathArgs;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::model::paths::RawPath;
use crate::model::paths::ShownPath;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::MkdirsnoopSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/mkdirsnoop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    mkdirsnoop, OpenMkdirsnoopSkel => MkdirsnoopSkel,
    streaming,
    plain[event],
    task_event,
    path_event,
    inflight[(start_by_tid, start_in_task)]
);

pub const TOOL: Tool = Tool::events::<Args, PathCall>(
    "mkdirsnoop",
    "Trace mkdir(2) and mkdirat(2): who created which directory, with which mode.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    #[command(flatten)]
    pub path: PathArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    mkdirsnoop                # every directory created
    mkdirsnoop -x             # only the mkdir calls that failed
    mkdirsnoop -c make -T     # only processes named make, with a time column
    mkdirsnoop -F             # relative paths in full (from the directory they start in)
    mkdirsnoop --json

MODE is the mode asked for, in octal, before the process umask applies.
A relative PATH is relative to the caller's working directory (mkdir) or to the
directory it passed (mkdirat); -F shows it from the root.";

/// One call on a path (bpf/path_call.h): an unlink, or a mkdir with its mode.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PathCall {
    #[serde(flatten)]
    pub task: Task,
    /// The mode asked for (mkdirsnoop only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// 0, or -errno of a failed call
    pub ret: i32,
    #[serde(flatten)]
    pub path: ShownPath,
}

impl PathCall {
    /// The record of a call on `path` with its result.
    pub fn new(task: Task, ret: i32, mode: Option<u32>, path: RawPath<'_>) -> Self {
        Self {
            task,
            mode,
            ret,
            path: path.shown(),
        }
    }

    /// `[UID] PID COMM [MODE] RET PATH`: MODE in mkdirsnoop.
    pub fn table(snoop: &SnoopArgs, with_mode: bool) -> Table {
        Table::new()
            .column_if(snoop.print_uid, Task::uid_column())
            .column(Task::pid_column())
            .column(Task::comm_column())
            .column_if(with_mode, Column::left("mode", "MODE", 5).octal(4))
            .column(Column::right("ret", "RET", 4))
            .column(Column::last("path", "PATH"))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::snoop(&args.snoop, &args.stream);
        let tracing = kernel::load::<MkdirsnoopSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
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
