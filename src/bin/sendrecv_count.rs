//! sendrecv_count: sendto(2) and recvfrom(2) calls per interval and in total.
//! The kernel side is bpf/sendrecv_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::TotalArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::NoKey;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::sendrecv_count::SendrecvCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::sendrecv_count::SendRecv;
use ebpf_tracers::tools::sendrecv_count::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &TotalArgs| {
        let tracing = tool::load::<SendrecvCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        let table = SendRecv::table();
        // One row, no keys: an idle interval is a row of zeros, not a missing row.
        let spec = ReportSpec::new("sendto() and recvfrom()", table, Ranking::AllKeys);
        report::run_reports::<NoKey, SendRecv>(&args.report, spec, |counts| {
            let sums = maps::percpu_sum_u64s(&tracing.maps.counts, &0u32.to_ne_bytes())?;
            counts.per_key.set([(NoKey {}, sums)]);
            Ok(())
        })
    })
}
