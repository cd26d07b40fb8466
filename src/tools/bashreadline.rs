//! bashreadline's identity: command line and record (what it does:
//! src/bin/bashreadline.rs).

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::cli::TaskArgs;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::tools::Tool;

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
