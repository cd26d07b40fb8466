//! execve_count: execve(2) calls per name of the binary executed, counted in the kernel.
//! The kernel side is bpf/execve_count.bpf.c.

use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::c_chars;
use ebpf_tracers::cli::CountArgs;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::skel::execve_count::ExecveCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

/// Count execve(2) calls per executed binary name.
#[derive(Debug, Parser)]
#[command(name = "execve_count", version, after_help = EXAMPLES)]
#[command(mut_arg("comm", |arg| arg.help(
    "Count only executions of a binary named exactly NAME (at most 15 bytes, in the kernel)"
)))]
struct Args {
    #[command(flatten)]
    counting: CountArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execve_count              # executions per binary name, every second
    execve_count -c cat       # only executions of binaries named cat (the tutorial's)
    execve_count -p 181       # only executions started by process 181

NAME is the last component of the path passed to execve(), read when the call
starts (the kernel still calls the task by the caller's name, bash say, at that
point). Failed executions count too.";

const COLUMNS: Columns = Columns::new(&["NAME"], &["COUNT"]);

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("execve_count", |args: &Args| {
        let filters = &args.counting.filters;
        let tracing =
            tool::load::<ExecveCountSkelBuilder>(Loading::counting(&args.counting), |rodata| {
                // -c names the binary executed, not the caller: it goes to targ_name instead.
                rodata.filter_comm = false;
                rodata.filter_name = filters.comm.is_some();
                rodata.targ_name = c_chars(filters.comm.as_deref().unwrap_or(""));
                Ok(())
            })?;
        let name = |key: &[u8]| Some(vec![escape(until_nul(key))]);
        report::count_per_key(
            &tracing.maps.counts,
            &args.counting,
            COLUMNS,
            "execve() per executed name",
            name,
        )
    })
}
