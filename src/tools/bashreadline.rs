//! bashreadline: the command lines typed into interactive bash shells, from a
//! uretprobe on readline(). The kernel side is bpf/bashreadline.bpf.c.

use std::mem::offset_of;
use std::path::PathBuf;
use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::cli::TaskArgs;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::kernel::load::Uprobe;
use crate::tools::Tool;
use crate::model::users::UserNames;

use skel::BashreadlineSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/bashreadline.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    bashreadline, OpenBashreadlineSkel => BashreadlineSkel,
    streaming,
    plain[event],
    task_event
);

pub const TOOL: Tool = Tool::events::<Args, Readline>(
    "bashreadline",
    "Show the command lines typed into interactive bash shells (readline()).",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub task: TaskArgs,
    /// The binary or library whose readline() to probe: bash has it built in; give
    /// libreadline.so for shells that link it
    #[arg(
        short = 's',
        long = "shared",
        value_name = "PATH",
        default_value = "/bin/bash"
    )]
    pub shared: PathBuf,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    bashreadline                  # every line typed into bash, with who typed it
    bashreadline -u 1000          # only user 1000's shells
    bashreadline -s /usr/lib/x86_64-linux-gnu/libreadline.so.8
                                  # programs that use the shared libreadline

A line is reported when readline() returns it: when the user presses Enter,
before the shell runs it. Empty lines are left out. TIME is always shown.";

/// One line a shell read with readline().
#[derive(Debug, Serialize, JsonSchema)]
pub struct Readline {
    #[serde(flatten)]
    pub task: Task,
    /// The user's name ("?" when no account has the uid)
    pub user: String,
    /// The line as typed
    pub command: String,
}

impl Readline {
    /// `PID UID USER COMMAND`, after the TIME the tool always shows.
    pub fn table() -> Table {
        Table::new()
            .column(Task::pid_column())
            .column(Task::uid_column())
            .column(Column::left("user", "USER", 10))
            .column(Column::last("command", "COMMAND"))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        anyhow::ensure!(
            args.shared.is_file(),
            "-s {}: no such file (give the shell binary or the libreadline it uses)",
            args.shared.display()
        );
        let readline = Uprobe {
            binary: &args.shared,
            function: "readline",
        };
        let loading = Loading::stream(&args.filters, &args.stream).uprobe(readline);
        let tracing = kernel::load::<BashreadlineSkelBuilder>(loading, |_| Ok(()))?;
        // TIME is always shown, as in bcc's bashreadline.
        let spec =
            StreamSpec::new("readline() in bash", Readline::table(), &args.stream).always_timed();
        let mut users = UserNames::default();
        let min_len = offset_of!(event, line);
        tracing.stream_tasks(spec, min_len, &args.task, |event: &event, task| {
            Some(Readline {
                user: users.name(task.uid),
                task,
                command: escape(c_bytes(&event.line)),
            })
        })
    })
}
