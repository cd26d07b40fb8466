//! xdp_drop_count: frames an interface receives, per protocol, counted (and with --drop
//! dropped) by an XDP program. The kernel side is bpf/xdp_drop_count.bpf.c.

use std::process::ExitCode;

use anyhow::Context;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::xdp_drop_count::XdpDropCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::Xdp;
use ebpf_tracers::tools::xdp_drop_count::Args;
use ebpf_tracers::tools::xdp_drop_count::Frames;
use ebpf_tracers::tools::xdp_drop_count::Protocol;
use ebpf_tracers::tools::xdp_drop_count::SLOTS;
use ebpf_tracers::tools::xdp_drop_count::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let ifindex = nix::net::if_::if_nametoindex(args.iface.as_str()).with_context(|| {
            format!(
                "no interface {} in this network namespace (see ip link)",
                args.iface
            )
        })?;
        let filters = FilterArgs::default();
        let xdp = Xdp {
            program: "xdp__count",
            ifindex: i32::try_from(ifindex).context("interface index out of range")?,
        };
        let loading = Loading::report(&filters, &args.report).xdp(xdp);
        let tracing = tool::load::<XdpDropCountSkelBuilder>(loading, |rodata| {
            for slot in &args.drop {
                rodata.drop_mask[(slot / 64) as usize] |= 1 << (slot % 64);
            }
            Ok(())
        })?;
        let table = Frames::table();
        let what = format!("XDP on {}", args.iface);
        let spec = ReportSpec::new(&what, table, Ranking::KeyOrder);
        report::run_reports::<Protocol, Frames>(&args.report, spec, |counts| {
            let mut slots = Vec::new();
            for slot in 0..SLOTS {
                let sums = maps::percpu_sum_u64s(&tracing.maps.protocols, &slot.to_ne_bytes())?;
                slots.push((Protocol::of_slot(slot), sums));
            }
            counts.per_key.set(slots);
            Ok(())
        })
    })
}
