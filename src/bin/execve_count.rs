//! execve_count: execve(2) calls per name of the binary executed, counted in the kernel.
//! The kernel side is bpf/execve_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::cli::c_chars;
use ebpf_tracers::exec;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::skel::execve_count::types::name_key;
use ebpf_tracers::skel::execve_count::ExecveCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::execve_count::Args;
use ebpf_tracers::tools::execve_count::NameKey;
use ebpf_tracers::tools::execve_count::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let filters = &args.counting.filters;
        let tracing =
            tool::load::<ExecveCountSkelBuilder>(Loading::counting(&args.counting), |rodata| {
                // -c names the binary executed, not the caller: it goes to targ_name instead.
                rodata.filter_comm = false;
                rodata.filter_name = filters.comm.is_some();
                rodata.targ_name = c_chars(filters.comm.as_deref().unwrap_or(""));
                Ok(())
            })?;
        let columns = NameKey::table();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            columns,
            "execve() per executed name",
            |raw| {
                let key: name_key = maps::decode(raw)?;
                Some(NameKey {
                    cgroup: Cgroup::of(key.cgroup_id),
                    name: exec::name(&key.name, key.unreadable),
                })
            },
        )
    })
}
