//! hello's identity: command line and record (what it does: src/bin/hello.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::OutputArgs;
use crate::cli::RunArgs;
use crate::record::Column;
use crate::record::Table;
use crate::record::Task;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, Printk>(
    "hello",
    "Print \"hello world\" from the kernel at every execve(2), and show those lines.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    hello                 # a line per execve on the machine
    hello -c bash         # only execs called by processes named bash
    hello -d 5 --json

The lines come from the kernel's trace buffer (tracefs/trace_pipe), which every
bpf_printk on the machine shares; the tool shows only the lines its own program
wrote (they end with its id). Reading the buffer consumes it: while hello runs,
other readers of trace_pipe miss these lines, and it misses what they read.";

/// One bpf_printk line of this tool's program, as trace_pipe shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Printk {
    /// The process the line was printed in (its thread id, as trace_pipe names it)
    pub pid: u32,
    /// Its name (as trace_pipe shows it)
    pub comm: String,
    /// The CPU it ran on
    pub cpu: u32,
    /// The kernel's timestamp, seconds since boot, as trace_pipe prints it
    pub ktime: String,
    pub message: String,
}

impl Printk {
    /// `[TIME] PID COMM CPU MESSAGE`.
    pub fn table() -> Table {
        Table::new()
            .column(Task::pid_column())
            .column(Task::comm_column())
            .column(Column::right("cpu", "CPU", 3))
            .column(Column::last("message", "MESSAGE"))
    }
}
