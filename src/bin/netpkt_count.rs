//! netpkt_count: packets sent and received by a process, per CPU and in total.
//! The kernel side is bpf/netpkt_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::TotalArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::netpkt_count::NetpktCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::netpkt_count::Cpu;
use ebpf_tracers::tools::netpkt_count::Packets;
use ebpf_tracers::tools::netpkt_count::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &TotalArgs| {
        let tracing = tool::load::<NetpktCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        let table = Packets::table();
        // The CPUs that counted something, then their sum under CPU "all".
        let mut spec = ReportSpec::new(
            "packets per CPU (net_dev_xmit, netif_rx)",
            table,
            Ranking::KeyOrder,
        );
        spec.total_label = Some(("cpu", "all"));
        report::run_reports::<Cpu, Packets>(&args.report, spec, |counts| {
            let per_cpu = maps::percpu_u64s(&tracing.maps.counts, &0u32.to_ne_bytes())?;
            counts.set_total(maps::sum_counters(per_cpu.iter().cloned()));
            counts.per_key.set(
                per_cpu
                    .into_iter()
                    .enumerate()
                    .map(|(cpu, sums)| (Cpu { cpu: cpu as u32 }, sums)),
            );
            Ok(())
        })
    })
}
