//! netpkt_count: packets sent and received by a process, per CPU and in total.
//! The kernel side is bpf/netpkt_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::TotalArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::skel::netpkt_count::NetpktCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

const ABOUT: &str = "Count the packets a process transmits and receives, per CPU";

const EXAMPLES: &str = "\
EXAMPLES:
    netpkt_count -p 181           # packets of process 181, per CPU, every second
    netpkt_count -c icmp_sender   # processes named icmp_sender (matched in the kernel,
                                  # so ones started later count too)
    netpkt_count                  # every packet on the machine, per CPU

A packet counts for the process running on the CPU when it passes net_dev_xmit
(TX) or netif_rx (RX): its own transmits, and receives its sends drive directly
(loopback, veth). Receives handled later in softirq context land elsewhere.";

const COLUMNS: Columns = Columns::new(&["CPU"], &["TX", "RX"]);

fn main() -> ExitCode {
    ebpf_tracers::run::group_tool_main::<TotalArgs>("netpkt_count", ABOUT, EXAMPLES, |args| {
        let tracing = tool::load::<NetpktCountSkelBuilder>(Loading::totals(args), |_| Ok(()))?;
        let per_cpu = || {
            let counters = maps::percpu_u64s(&tracing.maps.counts, &0u32.to_ne_bytes())?;
            Ok(counters
                .into_iter()
                .enumerate()
                .map(|(cpu, counts)| (cpu.to_string(), counts))
                .collect())
        };
        report::count_fixed(
            &args.report,
            COLUMNS,
            "packets per CPU (net_dev_xmit, netif_rx)",
            per_cpu,
            rows_with_total,
        )
    })
}

/// One row per CPU that counted something, then their sum under CPU "all".
fn rows_with_total(per_cpu: Vec<(String, Vec<u64>)>) -> Vec<Row> {
    let mut total = vec![0u64; 2];
    let mut rows: Vec<Row> = per_cpu
        .into_iter()
        .filter(|(_, counts)| counts.iter().any(|&c| c > 0))
        .map(|(cpu, counts)| {
            for (sum, count) in total.iter_mut().zip(&counts) {
                *sum += count;
            }
            Row {
                keys: vec![cpu],
                counts,
            }
        })
        .collect();
    rows.push(Row {
        keys: vec!["all".into()],
        counts: total,
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_cpus_are_left_out_and_all_sums_the_rest() {
        let rows = rows_with_total(vec![
            ("0".into(), vec![3, 1]),
            ("1".into(), vec![0, 0]),
            ("2".into(), vec![2, 5]),
        ]);
        let keys: Vec<&str> = rows.iter().map(|r| r.keys[0].as_str()).collect();
        assert_eq!(keys, ["0", "2", "all"]);
        assert_eq!(rows[2].counts, vec![5, 6]);
    }
}
