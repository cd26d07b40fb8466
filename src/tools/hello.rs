//! hello: bpf_printk("hello world") at every execve, and the lines it wrote to the
//! kernel's trace buffer. The kernel side is bpf/hello.bpf.c.

use std::process::ExitCode;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::OutputArgs;
use crate::cli::RunArgs;
use crate::output::record::Column;
use crate::output::record::Format;
use crate::output::record::Printer;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::run::StopConditions;
use crate::kernel;
use crate::output::stream;
use crate::kernel::load::Loading;
use crate::tools::Tool;
use crate::kernel::trace_pipe::PrintkLine;
use crate::kernel::trace_pipe::TracePipe;

use skel::HelloSkelBuilder;

// The generated skeleton of bpf/hello.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(hello, OpenHelloSkel => HelloSkel, aggregating);

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

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let run_id = std::process::id();
        // Kept to the end of main: dropping it detaches the program.
        let _tracing =
            kernel::load::<HelloSkelBuilder>(Loading::new(&args.filters, &args.run), |open| {
                let rodata = open.rodata()?;
                rodata.run_id = run_id;
                Ok(())
            })?;
        let mut pipe = TracePipe::open(&kernel::prepare(args.run.verbose)?)?;
        let ours = format!(" #{run_id}@");
        let printer = Printer::new(Format::of(&args.output, Printk::table()));
        printer.header()?;
        stream::announce_ready("execve with bpf_printk");
        let show = |lines: Vec<String>| -> std::io::Result<()> {
            for line in lines {
                let Some(printk) = PrintkLine::parse(&line) else {
                    continue;
                };
                // "hello world #<run id>@<boot ns>": ours, and when.
                let Some((message, boot_ns)) = printk.message.rsplit_once(&ours) else {
                    continue;
                };
                if let Ok(boot_ns) = boot_ns.parse() {
                    printer.event(
                        boot_ns,
                        &Printk {
                            pid: printk.pid,
                            comm: printk.comm.clone(),
                            cpu: printk.cpu,
                            ktime: printk.timestamp.clone(),
                            message: message.to_string(),
                        },
                    )?;
                }
            }
            printer.flush()
        };
        let stop = StopConditions::start(args.run.duration);
        while !stop.reached() {
            show(pipe.read_lines(stop.next_wait())?)?;
        }
        // What the kernel wrote before the stop is shown too.
        show(pipe.read_lines(Duration::ZERO)?)?;
        Ok(())
    })
}
