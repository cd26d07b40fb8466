//! execs_by_user: execve(2) calls per user and path, optionally only the failed ones.
//! The kernel side is bpf/execs_by_user.bpf.c.

use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::CountArgs;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::skel::execs_by_user::ExecsByUserSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::users::UserNames;

/// Count execve(2) calls per user and executed path.
#[derive(Debug, Parser)]
#[command(name = "execs_by_user", version, after_help = EXAMPLES)]
struct Args {
    /// Count only failed executions
    #[arg(short = 'x', long = "failed")]
    failed: bool,
    #[command(flatten)]
    counting: CountArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execs_by_user             # executions per user and path, every second
    execs_by_user -u 1001     # only user 1001 (the tutorial's ebpf-pino)
    execs_by_user -u 1001 -x  # only the executions that failed (e.g. a typo: ENOENT)

Shell builtins such as cd and pwd run inside the shell and never call execve(),
so they are never counted. PATH is the path as passed to execve().";

const COLUMNS: Columns = Columns::new(&["UID", "USER", "PATH"], &["COUNT"]).path_last();

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("execs_by_user", |args: &Args| {
        let tracing =
            tool::load::<ExecsByUserSkelBuilder>(Loading::counting(&args.counting), |rodata| {
                rodata.targ_failed = args.failed;
                Ok(())
            })?;
        let mut users = UserNames::default();
        report::count_per_key(
            &tracing.maps.counts,
            &args.counting,
            COLUMNS,
            "execve() per user",
            |key| {
                // struct exec_key: u32 uid, then the path.
                let uid = u32::from_ne_bytes(key.get(..4)?.try_into().ok()?);
                Some(vec![
                    uid.to_string(),
                    users.name(uid),
                    escape(until_nul(&key[4..])),
                ])
            },
        )
    })
}
