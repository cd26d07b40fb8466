//! sendrecv_count: sendto(2) and recvfrom(2) calls per interval and in total.
//! The kernel side is bpf/sendrecv_count.bpf.c.

use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::maps;
use ebpf_tracers::maps::IntervalDeltas;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Reporting;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Scope;
use ebpf_tracers::skel::sendrecv_count::SendrecvCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    sendrecv_count            # sendto()/recvfrom() calls every second
    sendrecv_count -c ping    # only processes named ping
    sendrecv_count -p 181 -i 5 -d 60";

const COLUMNS: Columns = Columns {
    keys: &[],
    counts: &["SENT", "RECV"],
    path_last: false,
};

/// Count sendto(2) and recvfrom(2) calls.
#[derive(Debug, Parser)]
#[command(name = "sendrecv_count", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("sendrecv_count", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<SendrecvCountSkelBuilder>(&mut object, &tracefs, None, |skel| {
            write_filter_rodata!(tool::rodata(&mut skel.maps.rodata_data)?, &args.filters);
            Ok(())
        })?;

    let spec = Reporting::new(COLUMNS, &args.report, "sendto() and recvfrom()");
    let mut previous = IntervalDeltas::default();
    report::run_reports(spec, |scope| {
        let mut totals = maps::percpu_sum_u64s(&skel.maps.counts, &0u32.to_ne_bytes())?;
        totals.resize(2, 0);
        let counts = match scope {
            Scope::Total => totals,
            // An idle interval is a row of zeros, not a missing row.
            Scope::Interval => previous
                .advance(vec![((), totals)])
                .pop()
                .map_or(vec![0, 0], |(_, delta)| delta),
        };
        Ok(vec![Row {
            keys: Vec::new(),
            counts,
        }])
    })
}
