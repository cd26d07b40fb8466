//! netpkt_count: packets sent and received by a process, per CPU and in total.
//! The kernel side is bpf/netpkt_count.bpf.c.

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
use ebpf_tracers::skel::netpkt_count::NetpktCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    netpkt_count -p 181           # packets of process 181, per CPU, every second
    netpkt_count -c icmp_sender   # processes named icmp_sender (matched in the kernel,
                                  # so ones started later count too)
    netpkt_count                  # every packet on the machine, per CPU

A packet counts for the process running on the CPU when it passes net_dev_xmit
(TX) or netif_rx (RX): its own transmits, and receives its sends drive directly
(loopback, veth). Receives handled later in softirq context land elsewhere.";

const COLUMNS: Columns = Columns {
    keys: &["CPU"],
    counts: &["TX", "RX"],
    path_last: false,
};

/// Count the packets a process transmits and receives, per CPU.
#[derive(Debug, Parser)]
#[command(name = "netpkt_count", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("netpkt_count", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<NetpktCountSkelBuilder>(&mut object, &tracefs, None, |skel| {
            write_filter_rodata!(tool::rodata(&mut skel.maps.rodata_data)?, &args.filters);
            Ok(())
        })?;

    let spec = Reporting::new(
        COLUMNS,
        &args.report,
        "packets per CPU (net_dev_xmit, netif_rx)",
    );
    let mut previous = IntervalDeltas::default();
    report::run_reports(spec, |scope| {
        let per_cpu = maps::percpu_u64s(&skel.maps.counts, &0u32.to_ne_bytes())?;
        let current: Vec<(String, Vec<u64>)> = per_cpu
            .into_iter()
            .enumerate()
            .map(|(cpu, mut counts)| {
                counts.resize(2, 0);
                (cpu.to_string(), counts)
            })
            .collect();
        let shown = match scope {
            Scope::Total => current,
            Scope::Interval => previous.advance(current),
        };
        Ok(rows_with_total(shown))
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
