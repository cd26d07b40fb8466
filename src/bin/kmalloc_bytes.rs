//! kmalloc_bytes: how much the kernel's kmalloc allocates, per interval and in total,
//! optionally per process name and as a histogram of request sizes.
//! The kernel side is bpf/kmalloc_bytes.bpf.c.

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::maps;
use ebpf_tracers::maps::IntervalDeltas;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::log2_hist_lines;
use ebpf_tracers::output::slot_range;
use ebpf_tracers::output::time_cell;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::report;
use ebpf_tracers::report::Scope;
use ebpf_tracers::skel::kmalloc_bytes::KmallocBytesSkel;
use ebpf_tracers::skel::kmalloc_bytes::KmallocBytesSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

/// Count kmalloc calls and bytes (requested and actually allocated).
#[derive(Debug, Parser)]
#[command(name = "kmalloc_bytes", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    /// Also count per process name and show the top N
    #[arg(long = "by-comm")]
    by_comm: bool,
    /// How many process names --by-comm shows
    #[arg(long = "top", value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    top: u32,
    /// Print a log2 histogram of request sizes at exit
    #[arg(long = "hist")]
    hist: bool,
    #[command(flatten)]
    report: ReportArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    kmalloc_bytes               # calls and bytes every second, total at Ctrl-C
    kmalloc_bytes -i 5 -d 60    # every 5 seconds, for a minute
    kmalloc_bytes --by-comm     # also the top 10 process names each interval
    kmalloc_bytes --hist        # histogram of request sizes at exit
    kmalloc_bytes -c nginx      # only allocations made while nginx runs
    kmalloc_bytes --json        # one JSON object per interval

Allocations are charged to the task running when kmalloc is called; those made in
interrupt context land on whichever task was interrupted.";

/// calls, bytes_req, bytes_alloc: the u64 counters of struct kmalloc_totals.
type Totals = [u64; 3];
/// The row label for all processes together.
const ALL: &str = "[all]";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("kmalloc_bytes", |args: &Args| {
        let loading = Loading::report(&args.filters, &args.report);
        let tracing = tool::load::<KmallocBytesSkelBuilder>(loading, |rodata| {
            rodata.by_comm = args.by_comm;
            rodata.size_hist = args.hist;
            Ok(())
        })?;
        let mut report = Report::default();
        report::every_interval(&args.report, &header(args), "kmalloc", |output, scope| {
            report.print(args, output, &tracing, scope)
        })
    })
}

/// What was printed last, so intervals show increases.
#[derive(Default)]
struct Report {
    totals: IntervalDeltas<()>,
    comms: IntervalDeltas<Vec<u8>>,
}

impl Report {
    fn print(
        &mut self,
        args: &Args,
        output: &Output,
        skel: &KmallocBytesSkel,
        scope: Scope,
    ) -> Result<()> {
        // Per-name counters are read before the grand total, so that the total (read
        // last, while the kernel keeps counting) is never below the sum of its parts.
        let comm_rows = if args.by_comm {
            let current = maps::percpu_hash_sums(&skel.maps.comm_totals)?;
            let chosen = match scope {
                Scope::Interval => self.comms.advance(current),
                Scope::Total => current,
            };
            let named: Vec<(String, Totals)> = chosen
                .into_iter()
                .map(|(key, counters)| (escape(until_nul(&key)), totals(counters)))
                .collect();
            maps::top_n(named, args.top as usize, |(comm, t)| (t[2], comm.clone()))
        } else {
            Vec::new()
        };
        let all = totals(maps::percpu_sum_u64s(
            &skel.maps.totals,
            &0u32.to_ne_bytes(),
        )?);
        let interval_all = self
            .totals
            .advance(vec![((), all.to_vec())])
            .pop()
            .map_or([0; 3], |(_, delta)| totals(delta));
        let mut rows = vec![(
            ALL.to_string(),
            if scope == Scope::Total {
                all
            } else {
                interval_all
            },
        )];
        rows.extend(comm_rows);

        let time = args.report.output.time();
        if args.report.output.json {
            output.line(&json_report(
                time.as_deref(),
                scope,
                &rows,
                args.by_comm,
                self.hist(args, skel, scope)?,
            ))?;
        } else {
            for (comm, t) in &rows {
                output.line(&table_row(
                    time.as_deref(),
                    scope,
                    args.by_comm.then_some(comm.as_str()),
                    t,
                ))?;
            }
            if let Some(slots) = self.hist(args, skel, scope)? {
                for line in log2_hist_lines(&slots, "bytes") {
                    output.line(&line)?;
                }
            }
        }
        Ok(())
    }

    /// The request-size histogram, printed once, with the total.
    fn hist(&self, args: &Args, skel: &KmallocBytesSkel, scope: Scope) -> Result<Option<Vec<u64>>> {
        if !args.hist || scope != Scope::Total {
            return Ok(None);
        }
        Ok(Some(maps::percpu_sum_u64s(
            &skel.maps.hist,
            &0u32.to_ne_bytes(),
        )?))
    }
}

fn totals(counters: Vec<u64>) -> Totals {
    let mut out = [0; 3];
    for (slot, value) in out.iter_mut().zip(counters) {
        *slot = value;
    }
    out
}

fn header(args: &Args) -> String {
    let mut line = args.report.output.time_header();
    line.push_str(&format!("{:<8} ", "SCOPE"));
    if args.by_comm {
        line.push_str(&format!("{:<16} ", "COMM"));
    }
    line.push_str(&format!(
        "{:>10} {:>14} {:>14}",
        "CALLS", "BYTES_REQ", "BYTES_ALLOC"
    ));
    line
}

fn table_row(time: Option<&str>, scope: Scope, comm: Option<&str>, t: &Totals) -> String {
    let mut line = time_cell(time);
    line.push_str(&format!("{:<8} ", scope.label()));
    if let Some(comm) = comm {
        line.push_str(&format!("{comm:<16} "));
    }
    line.push_str(&format!("{:>10} {:>14} {:>14}", t[0], t[1], t[2]));
    line
}

fn json_report(
    time: Option<&str>,
    scope: Scope,
    rows: &[(String, Totals)],
    by_comm: bool,
    hist: Option<Vec<u64>>,
) -> String {
    let mut json = JsonLine::new();
    if let Some(time) = time {
        json = json.str("time", time);
    }
    let (_, all) = &rows[0];
    json = json
        .str("scope", scope.label())
        .uint("calls", all[0])
        .uint("bytes_req", all[1])
        .uint("bytes_alloc", all[2]);
    if by_comm {
        let comms: Vec<String> = rows[1..]
            .iter()
            .map(|(comm, t)| {
                JsonLine::new()
                    .str("comm", comm)
                    .uint("calls", t[0])
                    .uint("bytes_req", t[1])
                    .uint("bytes_alloc", t[2])
                    .finish()
            })
            .collect();
        json = json.objects("comms", &comms);
    }
    if let Some(slots) = hist {
        let buckets: Vec<String> = slots
            .iter()
            .enumerate()
            .filter(|(_, &count)| count > 0)
            .map(|(slot, &count)| {
                let (low, high) = slot_range(slot);
                JsonLine::new()
                    .uint("low", low)
                    .uint("high", high)
                    .uint("count", count)
                    .finish()
            })
            .collect();
        json = json.objects("size_hist", &buckets);
    }
    json.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_line_up_with_the_header() {
        let args = Args::parse_from(["kmalloc_bytes", "--by-comm", "-T"]);
        let header = header(&args);
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            ["TIME", "SCOPE", "COMM", "CALLS", "BYTES_REQ", "BYTES_ALLOC"]
        );
        let row = table_row(Some("12:00:00"), Scope::Total, Some("bash"), &[1, 2, 3]);
        assert_eq!(row.split_whitespace().count(), columns.len());
    }

    #[test]
    fn json_report_carries_totals_comms_and_hist() {
        let rows = vec![
            (ALL.to_string(), [3, 30, 32]),
            ("bash".to_string(), [1, 10, 16]),
        ];
        let line = json_report(None, Scope::Total, &rows, true, Some(vec![0, 0, 2]));
        assert_eq!(
            line,
            r#"{"scope":"total","calls":3,"bytes_req":30,"bytes_alloc":32,"comms":[{"comm":"bash","calls":1,"bytes_req":10,"bytes_alloc":16}],"size_hist":[{"low":2,"high":3,"count":2}]}"#
        );
    }
}
