//! mkdirsnoop's identity: command line and record (what it does: src/bin/mkdirsnoop.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::record::Task;
use crate::tools::Tool;

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
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    mkdirsnoop                # every directory created
    mkdirsnoop -x             # only the mkdir calls that failed
    mkdirsnoop -c make -T     # only processes named make, with a time column
    mkdirsnoop --json

MODE is the mode asked for, in octal, before the process umask applies.
A relative PATH is relative to the caller's working directory (mkdir) or to the
directory it passed (mkdirat).";

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
    /// The path as passed
    pub path: String,
}
