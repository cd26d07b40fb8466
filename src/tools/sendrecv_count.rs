//! sendrecv_count: sendto(2) and recvfrom(2) calls per interval and in total.
//! The kernel side is bpf/sendrecv_count.bpf.c.

use std::process::ExitCode;

use crate::cli::TotalArgs;
use crate::kernel::counters;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::output::report::NoKey;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::tools::Tool;

use skel::SendrecvCountSkelBuilder;
use skel::types::send_recv;

// The generated skeleton of bpf/sendrecv_count.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    sendrecv_count, OpenSendrecvCountSkel => SendrecvCountSkel,
    aggregating,
    plain[send_recv]
);

pub const TOOL: Tool = Tool::counts::<TotalArgs, NoKey, SendRecv>(
    "sendrecv_count",
    "Count sendto(2) and recvfrom(2) calls",
    "\
EXAMPLES:
    sendrecv_count            # sendto()/recvfrom() calls every second
    sendrecv_count -c ping    # only processes named ping
    sendrecv_count -p 181 -i 5 -d 60",
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "sent",
            name: "sendrecv_count_sendto_calls_total",
            help: "sendto(2) calls",
        },
        CounterSeries {
            field: "recv",
            name: "sendrecv_count_recvfrom_calls_total",
            help: "recvfrom(2) calls",
        },
    ],
    histogram: None,
};

// struct send_recv, as the tables and JSON show it.
crate::kernel::counters::counters! {
    /// The two counters of bpf/sendrecv_count.bpf.c.
    pub struct SendRecv from send_recv {
        /// sendto() calls
        sent,
        /// recvfrom() calls
        recv,
    }
}

impl SendRecv {
    /// `SENT RECV`.
    pub fn table() -> Table {
        Table::new()
            .column(Column::right("sent", "SENT", 10))
            .column(Column::right("recv", "RECV", 10))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &TotalArgs| {
        let tracing = kernel::load::<SendrecvCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        let table = SendRecv::table();
        // One row, no keys: an idle interval is a row of zeros, not a missing row.
        let spec = ReportSpec::new("sendto() and recvfrom()", table, Ranking::AllKeys);
        report::run_reports::<NoKey, SendRecv>(&args.report, spec, |counts| {
            let sums = counters::per_cpu_sum(&tracing.maps.counts, &0u32.to_ne_bytes())?;
            counts.per_key.set([(NoKey {}, sums)]);
            Ok(())
        })
    })
}
