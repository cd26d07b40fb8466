//! The bench's table and its JSON record (bench/results/<date>.json).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::execguard::GuestRows;
use crate::scrape::ScrapeCost;
use crate::workload::Sample;

/// What a guest measured, for the host to read back: one line per row, `prefix` and
/// its JSON.
pub fn print_rows<T: serde::Serialize>(prefix: &str, rows: &[T]) -> Result<(), String> {
    for row in rows {
        let json = serde_json::to_string(row).map_err(|e| e.to_string())?;
        println!("{prefix}{json}");
    }
    Ok(())
}

pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

pub struct Report<'a> {
    pub n: u64,
    pub pipes: u64,
    pub runs: usize,
    pub open_order: Vec<&'a str>,
    pub open: HashMap<&'a str, Vec<Sample>>,
    pub agg_order: Vec<&'a str>,
    pub agg: HashMap<&'a str, Vec<Sample>>,
    pub startups: Vec<(&'a str, Vec<Duration>, Vec<u64>)>,
    pub bpf_time: Vec<(&'a str, f64)>,
    /// The pieces of a streamed open on the host (pieces.rs).
    pub pieces: Vec<crate::pieces::PieceRow>,
    pub scrapes: u64,
    pub scrape: ScrapeCost,
    pub guest: GuestRows,
    pub took: Duration,
}

impl Report<'_> {
    /// Overheads are paired: each run's figure minus the baseline of the same run, then
    /// the median. A VM whose speed drifts (noisy neighbours) slows a whole round alike,
    /// and the pairing cancels it.
    fn rows(order: &[&str], results: &HashMap<&str, Vec<Sample>>, baseline: &str) -> Vec<Row> {
        let base = &results[baseline];
        order
            .iter()
            .map(|name| {
                let samples = &results[name];
                let ns = median(samples.iter().map(|s| s.ns_per_iter).collect());
                let overhead = median(
                    samples
                        .iter()
                        .zip(base)
                        .map(|(s, b)| s.ns_per_iter - b.ns_per_iter)
                        .collect(),
                );
                let delivered = samples[0].delivered.map(|_| {
                    (
                        samples.iter().filter_map(|s| s.delivered).sum::<u64>(),
                        samples.iter().map(|s| s.caused).sum::<u64>(),
                    )
                });
                let events = |s: &Sample| s.delivered.unwrap_or(s.caused) as f64;
                Row {
                    name: name.to_string(),
                    ns,
                    overhead,
                    delivered,
                    lost: samples[0]
                        .tracer_cpu
                        .map(|_| samples.iter().map(|s| s.lost).sum()),
                    cpu_ms_per_million: samples[0].tracer_cpu.map(|_| {
                        median(
                            samples
                                .iter()
                                .map(|s| {
                                    s.tracer_cpu.unwrap().as_secs_f64() * 1e3
                                        / (events(s).max(1.0) / 1e6)
                                })
                                .collect(),
                        )
                    }),
                    rss_mib: samples[0].peak_rss_kib.map(|_| {
                        median(
                            samples
                                .iter()
                                .map(|s| s.peak_rss_kib.unwrap() as f64 / 1024.0)
                                .collect(),
                        )
                    }),
                }
            })
            .collect()
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let _ = writeln!(
            out,
            "\nebpf-tracers bench: kernel {}, {} CPUs, {} runs, medians; took {:.0} s",
            kernel.trim(),
            thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            self.runs,
            self.took.as_secs_f64()
        );
        let open_rows = Self::rows(&self.open_order, &self.open, "no tracer");
        let agg_rows = Self::rows(&self.agg_order, &self.agg, "pipes: no tracer");
        let _ = writeln!(out, "\n{} open+close per run:", self.n);
        write_rows(&mut out, &open_rows);
        let _ = writeln!(
            out,
            "\naggregating ({} pipes, or {} opens, per run):",
            self.pipes, self.n
        );
        write_rows(&mut out, &agg_rows[..3]);
        // The open counters pair with the open workload's own no-tracer runs.
        let mut with_open_base = self.agg.clone();
        with_open_base.insert("no tracer", self.open["no tracer"].clone());
        let opens = Self::rows(&self.agg_order[3..], &with_open_base, "no tracer");
        write_rows(&mut out, &opens);

        let _ = writeln!(
            out,
            "\nmetrics: {} scrapes answered during the exporter rows; one scrape of {} series \
             ({} KiB): {:.1} ms (median of {}); beside 300 idle and 200 non-reading \
             connections: {:.1} ms (median), {:.1} ms (slowest)",
            self.scrapes,
            self.scrape.series,
            self.scrape.bytes / 1024,
            median(self.scrape.ms.clone()),
            self.scrape.ms.len(),
            median(self.scrape.hostile_ms.clone()),
            self.scrape.hostile_ms.iter().copied().fold(0.0, f64::max)
        );

        let _ = writeln!(
            out,
            "\nBPF program time per workload iteration (kernel.bpf_stats_enabled, 1 run each):"
        );
        for (name, ns) in &self.bpf_time {
            let _ = writeln!(out, "  {name:<44} {ns:>7.1} ns");
        }
        out.push_str(&crate::pieces::costs(
            &self.pieces,
            "pieces of a streamed open (ours opensnoop; BPF time per open, medians)",
        ));
        if !self.guest.pieces.is_empty() {
            out.push_str(&crate::pieces::costs(
                &self.guest.pieces,
                &format!(
                    "the same in the {} guest (under emulation: compare rows, not machines)",
                    self.guest.series
                ),
            ));
        }

        let _ = writeln!(
            out,
            "\nstartup (exec to attached; {} runs each):",
            self.startups[0].1.len()
        );
        for (name, times, rss) in &self.startups {
            let ms = median(times.iter().map(|t| t.as_secs_f64() * 1e3).collect());
            let rss = median(rss.iter().map(|r| *r as f64 / 1024.0).collect());
            let _ = writeln!(out, "  {name:<40} {ms:>8.1} ms   peak RSS {rss:>6.1} MiB");
        }

        self.guest_table(&mut out);

        let ratio = |a: &Row, b: &Row| a.overhead / b.overhead;
        let by = |rows: &[Row], name: &str| rows.iter().position(|r| r.name == name).unwrap();
        let o = &open_rows;
        let _ = writeln!(
            out,
            "\nratios (workload overhead over no tracer, paired per run):"
        );
        let pairs = [
            (
                "ours ring buffer / C, streaming",
                by(o, "ours opensnoop > file (ring buffer)"),
                by(o, "C opensnoop > file"),
            ),
            (
                "ours perf buffer / C, streaming",
                by(o, "ours opensnoop --perf-buffer > file"),
                by(o, "C opensnoop > file"),
            ),
            (
                "ours / C, filtered out",
                by(o, "ours opensnoop -p 1 (filtered out)"),
                by(o, "C opensnoop -p 1 (filtered out)"),
            ),
            (
                "ours --cgroup / -p, filtered out",
                by(o, "ours opensnoop --cgroup (filtered out)"),
                by(o, "ours opensnoop -p 1 (filtered out)"),
            ),
            (
                "ours --cgroup passing / unfiltered",
                by(o, "ours opensnoop --cgroup > file (passing)"),
                by(o, "ours opensnoop > file (ring buffer)"),
            ),
            (
                "ours metrics on / off, streaming",
                by(o, "ours opensnoop > file, metrics scraped 1/s"),
                by(o, "ours opensnoop > file (ring buffer)"),
            ),
            (
                "ours filtered out / bpftrace floor",
                by(o, "ours opensnoop -p 1 (filtered out)"),
                by(o, "bpftrace count() openat (floor)"),
            ),
        ];
        for (label, a, b) in pairs {
            let _ = writeln!(out, "  {label:<40} {:>6.2}", ratio(&o[a], &o[b]));
        }
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "kmalloc_bytes / bpftrace floor",
            ratio(&agg_rows[2], &agg_rows[1])
        );
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "openat_count / bpftrace floor",
            ratio(&opens[1], &opens[0])
        );
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}",
            "openat_count metrics on / off",
            ratio(&opens[2], &opens[1])
        );
        out
    }

    /// execguard's rows, measured in a guest (BPF LSM): each figure beside the ratio.
    fn guest_table(&self, out: &mut String) {
        let rows = match &self.guest.rows {
            Ok(rows) => rows,
            Err(why) => {
                let _ = writeln!(
                    out,
                    "\nexecguard (BPF LSM, in the {} guest): not measured: {why}",
                    self.guest.series
                );
                return;
            }
        };
        let kernel = rows.first().map(|r| r.kernel.as_str()).unwrap_or("?");
        let _ = writeln!(
            out,
            "\nexecguard, {} deny rules, per iteration (in the {} guest, kernel {kernel}, under \
             QEMU: the ratio and the BPF share carry over, the ns do not):",
            crate::execguard::RULES,
            self.guest.series
        );
        let _ = writeln!(
            out,
            "  {:<40} {:>10} {:>11} {:>11} {:>7} {:>10} {:>8} {:>9}",
            "ns per iteration",
            "iterations",
            "without",
            "with",
            "ratio",
            "BPF ns",
            "BPF runs",
            "BPF share"
        );
        for row in rows {
            let (without, with) = (median(row.without_ns.clone()), median(row.with_ns.clone()));
            // Paired run by run, as the host rows' overheads are.
            let ratio = median(
                row.with_ns
                    .iter()
                    .zip(&row.without_ns)
                    .map(|(with, without)| with / without)
                    .collect(),
            );
            let label = match row.workload.as_str() {
                "exec" => "exec of /bin/true (fork, execve, wait)",
                "mmap" => "mmap PROT_EXEC of a page, munmap",
                other => other,
            };
            let _ = writeln!(
                out,
                "  {label:<40} {:>10} {without:>11.0} {with:>11.0} {:>7.3} {:>10.0} {:>8.1} {:>8.2}%",
                row.iterations,
                ratio,
                row.bpf_ns,
                row.bpf_runs_per_iteration,
                row.bpf_ns * 100.0 / without
            );
        }
    }

    pub fn save(&self) -> std::io::Result<PathBuf> {
        let date = Command::new("date")
            .arg("+%Y-%m-%d")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| "undated".into());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
        fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{date}.json"));
        let samples = |results: &HashMap<&str, Vec<Sample>>, order: &[&str]| {
            order
                .iter()
                .map(|name| {
                    let s = &results[name];
                    serde_json::json!({
                        "name": name,
                        "ns_per_iter": s.iter().map(|x| x.ns_per_iter).collect::<Vec<_>>(),
                        "caused": s.iter().map(|x| x.caused).collect::<Vec<_>>(),
                        "delivered": s.iter().map(|x| x.delivered).collect::<Vec<_>>(),
                        "lost": s.iter().map(|x| x.lost).collect::<Vec<_>>(),
                        "tracer_cpu_ms": s.iter().map(|x| x.tracer_cpu.map(|d| d.as_secs_f64() * 1e3)).collect::<Vec<_>>(),
                        "peak_rss_kib": s.iter().map(|x| x.peak_rss_kib).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>()
        };
        let json = serde_json::json!({
            "date": date,
            "kernel": fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
            "runs": self.runs,
            "opens_per_run": self.n,
            "pipes_per_run": self.pipes,
            "open": samples(&self.open, &self.open_order),
            "aggregating": samples(&self.agg, &self.agg_order),
            "startup": self.startups.iter().map(|(name, times, rss)| serde_json::json!({
                "name": name,
                "ms": times.iter().map(|t| t.as_secs_f64() * 1e3).collect::<Vec<_>>(),
                "peak_rss_kib": rss,
            })).collect::<Vec<_>>(),
            "bpf_ns_per_iteration": self.bpf_time.iter().map(|(name, ns)| serde_json::json!({
                "name": name,
                "ns": ns,
            })).collect::<Vec<_>>(),
            "metrics_scrape": serde_json::json!({
                "series": self.scrape.series,
                "bytes": self.scrape.bytes,
                "ms": self.scrape.ms,
                "hostile_ms": self.scrape.hostile_ms,
                "scrapes_during_rows": self.scrapes,
            }),
            "pieces": self.pieces,
            "pieces_in_guest": self.guest.pieces,
            "execguard_in_guest": match &self.guest.rows {
                Ok(rows) => serde_json::json!({ "series": self.guest.series, "rows": rows }),
                Err(why) => serde_json::json!({ "series": self.guest.series, "not_measured": why }),
            },
            "table": self.table(),
        });
        fs::write(
            &path,
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        )?;
        Ok(path)
    }
}

pub struct Row {
    pub name: String,
    pub ns: f64,
    pub overhead: f64,
    pub delivered: Option<(u64, u64)>,
    pub lost: Option<u64>,
    pub cpu_ms_per_million: Option<f64>,
    pub rss_mib: Option<f64>,
}

pub fn write_rows(out: &mut String, rows: &[Row]) {
    let _ = writeln!(
        out,
        "  {:<44} {:>9} {:>9} {:>17} {:>8} {:>11} {:>8}",
        "configuration", "ns/iter", "overhead", "delivered/caused", "lost", "cpu ms/Mev", "RSS MiB"
    );
    for row in rows {
        let delivered = row
            .delivered
            .map(|(d, c)| format!("{:.2}%", d as f64 * 100.0 / c.max(1) as f64))
            .unwrap_or_else(|| "-".into());
        let opt = |v: Option<f64>, digits: usize| {
            v.map(|v| format!("{v:.digits$}"))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            out,
            "  {:<44} {:>9.0} {:>9.0} {:>17} {:>8} {:>11} {:>8}",
            row.name,
            row.ns,
            row.overhead,
            delivered,
            row.lost
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into()),
            opt(row.cpu_ms_per_million, 0),
            opt(row.rss_mib, 1),
        );
    }
}
