//! unlinksnoop's identity: command line and record (what it does:
//! src/bin/unlinksnoop.rs).

use crate::cli::ModeArgs;
use crate::cli::PathArgs;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::preflight::KernelFunction;
use crate::tool::Hooks;
use crate::tools::mkdirsnoop::PathCall;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, PathCall>(
    "unlinksnoop",
    "Trace unlink(2) and unlinkat(2): who removed which file, and the result.",
    EXAMPLES,
);

/// The two ways into the kernel: kprobes where the kernel has them, else tracepoints.
pub const HOOKS: Hooks = Hooks::new(
    "unlinks",
    // (int dfd, struct filename *name) under either name: 7.2 calls it filename_unlinkat.
    &[KernelFunction::new(
        &["do_unlinkat", "filename_unlinkat"],
        &["int", "struct filename *"],
    )],
    "kprobe",
    "tracepoints sys_enter/exit_unlink(at)",
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    #[command(flatten)]
    pub path: PathArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    unlinksnoop                   # trace every unlink
    unlinksnoop -c rm             # only processes named rm
    unlinksnoop -x -U             # only failed unlinks, with the UID
    unlinksnoop -p 181 -T         # only PID 181, with a time column
    unlinksnoop --mode tracepoint # use the syscall tracepoints even where kprobes work
    unlinksnoop -F                # relative paths in full (from the directory they start in)
    unlinksnoop --json            # one JSON object per line";
