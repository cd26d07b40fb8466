//! openat_count: openat(2) calls per process name, counted in the kernel.
//! The kernel side is bpf/openat_count.bpf.c.

use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::NameArgs;
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
use ebpf_tracers::skel::openat_count::OpenatCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    openat_count              # openat() calls per process name, every second
    openat_count -c test      # only processes named test (the tutorial's example)
    openat_count -p 181 -d 10 # one process, for ten seconds
    openat_count -i 5 --top 5 # the five busiest names every five seconds";

const COLUMNS: Columns = Columns {
    keys: &["COMM"],
    counts: &["COUNT"],
    path_last: false,
};

/// Count openat(2) calls per process name.
#[derive(Debug, Parser)]
#[command(name = "openat_count", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    name: NameArgs,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("openat_count", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<OpenatCountSkelBuilder>(&mut object, &tracefs, None, |skel| {
            write_filter_rodata!(tool::rodata(&mut skel.maps.rodata_data)?, &args.filters);
            Ok(())
        })?;

    let spec = Reporting::new(COLUMNS, &args.report, "openat() per process name");
    let mut tally = Tally::new(args.top.top as usize);
    report::run_reports(spec, |scope| {
        let counts = tally.select(maps::percpu_hash_sums(&skel.maps.counts)?, scope);
        Ok(counts
            .into_iter()
            .filter(|(comm, _)| args.name.matches(until_nul(comm)))
            .map(|(comm, counts)| Row {
                keys: vec![escape(until_nul(&comm))],
                counts,
            })
            .collect())
    })
}
