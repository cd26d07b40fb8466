//! execs_by_user: execve(2) calls per user and path, optionally only the failed ones.
//! The kernel side is bpf/execs_by_user.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cgroup::Cgroup;
use ebpf_tracers::exec;
use ebpf_tracers::maps;
use ebpf_tracers::report;
use ebpf_tracers::skel::execs_by_user::types::exec_key;
use ebpf_tracers::skel::execs_by_user::ExecsByUserSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tools::execs_by_user::Args;
use ebpf_tracers::tools::execs_by_user::UserPath;
use ebpf_tracers::tools::execs_by_user::TOOL;
use ebpf_tracers::users::UserNames;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::counting(&args.counting).failed_only(args.failed);
        let tracing = tool::load::<ExecsByUserSkelBuilder>(loading, |_| Ok(()))?;
        let mut users = UserNames::default();
        report::count_per_key(
            tracing.counting(),
            &args.counting,
            UserPath::table(),
            "execve() per user",
            |raw| {
                let key: exec_key = maps::decode(raw)?;
                Some(UserPath {
                    cgroup: Cgroup::of(key.cgroup_id),
                    uid: key.uid,
                    user: users.name(key.uid),
                    path: exec::name(&key.path, key.unreadable),
                })
            },
        )
    })
}
