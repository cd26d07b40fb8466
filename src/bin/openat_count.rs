//! openat_count: openat(2) calls per process name, counted in the kernel.
//! The kernel side is bpf/openat_count.bpf.c.

use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use libbpf_rs::skel::OpenSkel;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::IntervalArgs;
use ebpf_tracers::cli::OutputArgs;
use ebpf_tracers::cli::RunArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::output::Output;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Scope;
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
    top: TopArgs,
    #[command(flatten)]
    interval: IntervalArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    run: RunArgs,
}

fn main() -> ExitCode {
    match ebpf_tracers::cli::parse::<Args>() {
        Ok(args) => ebpf_tracers::run::main_with("openat_count", || trace(&args)),
        Err(code) => code,
    }
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let mut open_skel = tool::open::<OpenatCountSkelBuilder>(&mut object)?;
    write_filter_rodata!(
        tool::rodata(&mut open_skel.maps.rodata_data)?,
        &args.filters
    );
    tool::configure(open_skel.open_object_mut(), None, &tracefs)?;
    let (skel, _links) = tool::load_and_attach(open_skel)?;

    let output = Output::new();
    if !args.output.json {
        output.line(&report::header(COLUMNS, &args.output))?;
    }
    tool::announce_ready("openat() per process name");
    let mut tally = Tally::new(args.top.top as usize);
    tool::sample_every(args.interval.interval, args.run.duration, |last| {
        let scope = Scope::from_last(last);
        let rows: Vec<Row> = tally
            .select(maps::percpu_hash_sums(&skel.maps.counts)?, scope)
            .into_iter()
            .filter(|(comm, _)| args.filters.name_matches(until_nul(comm)))
            .map(|(comm, counts)| Row {
                keys: vec![escape(until_nul(&comm))],
                counts,
            })
            .collect();
        Ok(report::print(&output, &args.output, COLUMNS, scope, &rows)?)
    })
}
