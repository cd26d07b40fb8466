//! execve_count: execve(2) calls per name of the binary executed, counted in the kernel.
//! The kernel side is bpf/execve_count.bpf.c.

use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use ebpf_tracers::cli::c_chars;
use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Reporting;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Tally;
use ebpf_tracers::skel::execve_count::ExecveCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    execve_count              # executions per binary name, every second
    execve_count -c cat       # only executions of binaries named cat (the tutorial's)
    execve_count -p 181       # only executions started by process 181

NAME is the last component of the path passed to execve(), read when the call
starts (the kernel still calls the task by the caller's name, bash say, at that
point). Failed executions count too.";

const COLUMNS: Columns = Columns {
    keys: &["NAME"],
    counts: &["COUNT"],
    path_last: false,
};

/// Count execve(2) calls per executed binary name.
#[derive(Debug, Parser)]
#[command(name = "execve_count", version, after_help = EXAMPLES)]
#[command(mut_arg("comm", |arg| arg.help(
    "Count only executions of a binary named exactly NAME (at most 15 bytes, in the kernel)"
)))]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("execve_count", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<ExecveCountSkelBuilder>(&mut object, &tracefs, None, |skel| {
            let rodata = tool::rodata(&mut skel.maps.rodata_data)?;
            write_filter_rodata!(rodata, &args.filters);
            // -c names the binary executed, not the caller: it goes to targ_name instead.
            rodata.filter_comm = false;
            rodata.filter_name = args.filters.comm.is_some();
            rodata.targ_name = c_chars(args.filters.comm.as_deref().unwrap_or(""));
            Ok(())
        })?;

    let spec = Reporting::new(COLUMNS, &args.report, "execve() per executed name");
    let mut tally = Tally::new(args.top.top as usize);
    report::run_reports(spec, |scope| {
        let counts = tally.select(maps::percpu_hash_sums(&skel.maps.counts)?, scope);
        Ok(counts
            .into_iter()
            .map(|(name, counts)| Row {
                keys: vec![escape(until_nul(&name))],
                counts,
            })
            .collect())
    })
}
