//! hello: bpf_printk("hello world") at every execve, and the lines it wrote to the
//! kernel's trace buffer. The kernel side is bpf/hello.bpf.c.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::OutputArgs;
use ebpf_tracers::cli::RunArgs;
use ebpf_tracers::output::time_cell;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::run::StopConditions;
use ebpf_tracers::skel::hello::HelloSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::trace_pipe::PrintkLine;
use ebpf_tracers::trace_pipe::TracePipe;

/// Print "hello world" from the kernel at every execve(2), and show those lines.
#[derive(Debug, Parser)]
#[command(name = "hello", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    run: RunArgs,
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

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("hello", |args: &Args| {
        let run_id = std::process::id();
        // Kept to the end of main: dropping it detaches the program.
        let _tracing =
            tool::load::<HelloSkelBuilder>(Loading::new(&args.filters, &args.run), |rodata| {
                rodata.run_id = run_id;
                Ok(())
            })?;
        let mut pipe = TracePipe::open(&tool::prepare(args.run.verbose)?)?;
        let ours = format!(" #{run_id}");
        let output = Output::new();
        if !args.output.json {
            let mut header = args.output.time_header();
            header.push_str(&format!("{:<7} {:<16} {:>3} MESSAGE", "PID", "COMM", "CPU"));
            output.line(&header)?;
            output.flush()?;
        }
        tool::announce_ready("execve with bpf_printk");
        let show = |lines: Vec<String>| -> std::io::Result<()> {
            for line in lines {
                let Some(printk) = PrintkLine::parse(&line) else {
                    continue;
                };
                if let Some(message) = printk.message.strip_suffix(&ours) {
                    output.line(&render(&args.output, &printk, message))?;
                }
            }
            output.flush()
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

fn render(options: &OutputArgs, printk: &PrintkLine, message: &str) -> String {
    let time = options.time();
    if options.json {
        let mut json = JsonLine::new();
        if let Some(time) = &time {
            json = json.str("time", time);
        }
        return json
            .uint("pid", printk.pid.into())
            .str("comm", &printk.comm)
            .uint("cpu", printk.cpu.into())
            .str("ktime", &printk.timestamp)
            .str("message", message)
            .finish();
    }
    format!(
        "{}{:<7} {:<16} {:>3} {message}",
        time_cell(time.as_deref()),
        printk.pid,
        printk.comm,
        printk.cpu
    )
}
