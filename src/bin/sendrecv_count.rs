//! sendrecv_count: sendto(2) and recvfrom(2) calls per interval and in total.
//! The kernel side is bpf/sendrecv_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::TotalArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::skel::sendrecv_count::SendrecvCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

const ABOUT: &str = "Count sendto(2) and recvfrom(2) calls";

const EXAMPLES: &str = "\
EXAMPLES:
    sendrecv_count            # sendto()/recvfrom() calls every second
    sendrecv_count -c ping    # only processes named ping
    sendrecv_count -p 181 -i 5 -d 60";

const COLUMNS: Columns = Columns::new(&[], &["SENT", "RECV"]);

fn main() -> ExitCode {
    ebpf_tracers::run::group_tool_main::<TotalArgs>("sendrecv_count", ABOUT, EXAMPLES, |args| {
        let tracing = tool::load::<SendrecvCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        // One row, no keys: an idle interval is a row of zeros, not a missing row.
        let read = || {
            Ok(vec![(
                (),
                maps::percpu_sum_u64s(&tracing.maps.counts, &0u32.to_ne_bytes())?,
            )])
        };
        report::count_fixed(
            &args.report,
            COLUMNS,
            "sendto() and recvfrom()",
            read,
            |totals| {
                totals
                    .into_iter()
                    .map(|((), counts)| Row {
                        keys: Vec::new(),
                        counts,
                    })
                    .collect()
            },
        )
    })
}
