//! netpkt_count: packets sent and received by a process, per CPU and in total.
//! The kernel side is bpf/netpkt_count.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::TotalArgs;
use crate::kernel::counters;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::tools::Tool;

use skel::NetpktCountSkelBuilder;
use skel::types::tx_rx;

// The generated skeleton of bpf/netpkt_count.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    netpkt_count, OpenNetpktCountSkel => NetpktCountSkel,
    aggregating,
    plain[tx_rx]
);

pub const TOOL: Tool = Tool::counts::<TotalArgs, Cpu, Packets>(
    "netpkt_count",
    "Count the packets a process transmits and receives, per CPU",
    "\
EXAMPLES:
    netpkt_count -p 181           # packets of process 181, per CPU, every second
    netpkt_count -c icmp_sender   # processes named icmp_sender (matched in the kernel,
                                  # so ones started later count too)
    netpkt_count                  # every packet on the machine, per CPU

A packet counts for the process running on the CPU when it passes net_dev_xmit
(TX) or netif_rx (RX): its own transmits, and receives its sends drive directly
(loopback, veth). Receives handled later in softirq context land elsewhere.",
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "tx",
            name: "netpkt_count_transmitted_packets_total",
            help: "Packets transmitted (net_dev_xmit), per CPU",
        },
        CounterSeries {
            field: "rx",
            name: "netpkt_count_received_packets_total",
            help: "Packets received (netif_rx), per CPU",
        },
    ],
    histogram: None,
};

/// Counted per CPU (a per-CPU array); the report's `total` sums them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Cpu {
    pub cpu: u32,
}

// struct tx_rx, as the tables and JSON show it.
crate::kernel::counters::counters! {
    /// The counters of bpf/netpkt_count.bpf.c.
    pub struct Packets from tx_rx {
        /// Packets transmitted (net_dev_xmit)
        tx,
        /// Packets received (netif_rx)
        rx,
    }
}

impl Packets {
    /// `CPU TX RX`: per CPU, and the total as CPU "all".
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("cpu", "CPU", 16))
            .column(Column::right("tx", "TX", 10))
            .column(Column::right("rx", "RX", 10))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &TotalArgs| {
        let tracing = kernel::load::<NetpktCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        let table = Packets::table();
        // The CPUs that counted something, then their sum under CPU "all".
        let mut spec = ReportSpec::new(
            "packets per CPU (net_dev_xmit, netif_rx)",
            table,
            Ranking::KeyOrder,
        );
        spec.total_label = Some(("cpu", "all"));
        report::run_reports::<Cpu, Packets>(&args.report, spec, |counts| {
            let per_cpu = counters::per_cpu::<Packets>(&tracing.maps.counts, &0u32.to_ne_bytes())?;
            counts.set_total(counters::sum(per_cpu.iter().copied()));
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
