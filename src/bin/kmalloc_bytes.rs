//! kmalloc_bytes: how much the kernel's kmalloc allocates, per interval and in total,
//! optionally per process name and as a histogram of request sizes.
//! The kernel side is bpf/kmalloc_bytes.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::kmalloc_bytes::types::comm_key;
use ebpf_tracers::skel::kmalloc_bytes::KmallocBytesSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::kmalloc_bytes::Allocations;
use ebpf_tracers::tools::kmalloc_bytes::Args;
use ebpf_tracers::tools::kmalloc_bytes::TOOL;
use ebpf_tracers::tools::openat_count::CommKey;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let by_cgroup = args.grouping.by_cgroup;
        let loading = Loading::report(&args.filters, &args.report).by_cgroup(by_cgroup);
        let tracing = tool::load::<KmallocBytesSkelBuilder>(loading, |rodata| {
            rodata.by_comm = args.by_comm;
            rodata.size_hist = args.hist;
            Ok(())
        })?;
        let table = Allocations::table(args.by_comm).cgroup_first(by_cgroup);
        // Process names ranked by bytes allocated, under the total of all of them.
        let by_bytes = |counts: &[u64]| counts.get(2).copied().unwrap_or(0);
        let mut spec = ReportSpec::new("kmalloc", table, Ranking::top_by(args.top, by_bytes));
        spec.total_label = match (args.by_comm, by_cgroup) {
            (true, _) => Some(("comm", "[all]")),
            (false, true) => Some(("cgroup", "[all]")),
            (false, false) => None,
        };
        spec.total_first = true;
        spec.histogram_unit = "bytes";
        let zero = 0u32.to_ne_bytes();
        let mut per_comm = maps::Drained::new(
            &tracing.maps.comm_totals,
            &tracing.maps.comm_totals_0,
            &tracing.maps.comm_totals_1,
        );
        let capacity = per_comm.capacity();
        report::run_reports::<CommKey, Allocations>(&args.report, spec, |counts| {
            // Per-name counters are read before the grand total, so that the total
            // (read last, while the kernel keeps counting) is never below their sum.
            if args.by_comm || by_cgroup {
                let taken = per_comm.drain()?;
                counts
                    .per_key
                    .add(taken.into_iter().filter_map(|(raw, sums)| {
                        let key: comm_key = maps::decode(&raw)?;
                        let comm = escape(c_bytes(&key.comm));
                        let cgroup = Cgroup::of(key.cgroup_id);
                        Some((CommKey { cgroup, comm }, sums))
                    }));
                let missed = maps::not_counted(&tracing.maps.not_counted)?;
                counts.set_not_counted(missed, capacity);
            }
            counts.set_total(maps::percpu_sum_u64s(&tracing.maps.totals, &zero)?);
            if args.hist {
                counts.histogram = Some(maps::percpu_sum_u64s(&tracing.maps.hist, &zero)?);
            }
            Ok(())
        })
    })
}
