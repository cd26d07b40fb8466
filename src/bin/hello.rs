//! hello: bpf_printk("hello world") at every execve, and the lines it wrote to the
//! kernel's trace buffer. The kernel side is bpf/hello.bpf.c.

use std::process::ExitCode;
use std::time::Duration;

use ebpf_tracers::record::Printer;
use ebpf_tracers::run::StopConditions;
use ebpf_tracers::skel::hello::HelloSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::hello::Args;
use ebpf_tracers::tools::hello::Printk;
use ebpf_tracers::tools::hello::TOOL;
use ebpf_tracers::trace_pipe::PrintkLine;
use ebpf_tracers::trace_pipe::TracePipe;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let run_id = std::process::id();
        // Kept to the end of main: dropping it detaches the program.
        let _tracing =
            tool::load::<HelloSkelBuilder>(Loading::new(&args.filters, &args.run), |rodata| {
                rodata.run_id = run_id;
                Ok(())
            })?;
        let mut pipe = TracePipe::open(&tool::prepare(args.run.verbose)?)?;
        let ours = format!(" #{run_id}@");
        let printer = Printer::new(Printk::table(), args.output.json, args.output.timestamp);
        printer.header()?;
        tool::announce_ready("execve with bpf_printk");
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
