//! openat_count: openat(2) calls per process name, counted in the kernel.
//! The kernel side is bpf/openat_count.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::report;
use ebpf_tracers::skel::openat_count::types::comm_key;
use ebpf_tracers::skel::openat_count::OpenatCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::openat_count::Args;
use ebpf_tracers::tools::openat_count::CommKey;
use ebpf_tracers::tools::openat_count::TOOL;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let tracing =
            tool::load::<OpenatCountSkelBuilder>(Loading::counting(&args.counting), |_| Ok(()))?;
        let columns = CommKey::table();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            columns,
            "openat() per process name",
            |raw| {
                let key: comm_key = maps::decode(raw)?;
                let comm = c_bytes(&key.comm);
                args.name.matches(comm).then(|| CommKey {
                    cgroup: Cgroup::of(key.cgroup_id),
                    comm: escape(comm),
                })
            },
        )
    })
}
