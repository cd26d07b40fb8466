//! execs_by_user: execve(2) calls per user and path, optionally only the failed ones.
//! The kernel side is bpf/execs_by_user.bpf.c.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use nix::unistd::Uid;
use nix::unistd::User;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::ReportArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Reporting;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Tally;
use ebpf_tracers::skel::execs_by_user::ExecsByUserSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::write_filter_rodata;

const EXAMPLES: &str = "\
EXAMPLES:
    execs_by_user             # executions per user and path, every second
    execs_by_user -u 1001     # only user 1001 (the tutorial's ebpf-pino)
    execs_by_user -u 1001 -x  # only the executions that failed (e.g. a typo: ENOENT)

Shell builtins such as cd and pwd run inside the shell and never call execve(),
so they are never counted. PATH is the path as passed to execve().";

const COLUMNS: Columns = Columns {
    keys: &["UID", "USER", "PATH"],
    counts: &["COUNT"],
    path_last: true,
};

/// Count execve(2) calls per user and executed path.
#[derive(Debug, Parser)]
#[command(name = "execs_by_user", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    /// Count only failed executions
    #[arg(short = 'x', long = "failed")]
    failed: bool,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    report: ReportArgs,
}

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("execs_by_user", trace)
}

fn trace(args: &Args) -> Result<()> {
    let tracefs = tool::prepare(args.report.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let (skel, _links) =
        tool::load::<ExecsByUserSkelBuilder>(&mut object, &tracefs, None, |skel| {
            let rodata = tool::rodata(&mut skel.maps.rodata_data)?;
            write_filter_rodata!(rodata, &args.filters);
            rodata.targ_failed = args.failed;
            Ok(())
        })?;

    let spec = Reporting::new(COLUMNS, &args.report, "execve() per user");
    let mut tally = Tally::new(args.top.top as usize);
    let mut users = UserNames::default();
    report::run_reports(spec, |scope| {
        let counts = tally.select(maps::percpu_hash_sums(&skel.maps.counts)?, scope);
        Ok(counts
            .into_iter()
            .filter_map(|(key, counts)| {
                // struct exec_key: u32 uid, then the path.
                let uid = u32::from_ne_bytes(key.get(..4)?.try_into().ok()?);
                Some(Row {
                    keys: vec![
                        uid.to_string(),
                        users.name(uid),
                        escape(until_nul(&key[4..])),
                    ],
                    counts,
                })
            })
            .collect())
    })
}

/// User names from the password database, looked up once per uid.
#[derive(Default)]
struct UserNames {
    known: HashMap<u32, String>,
}

impl UserNames {
    fn name(&mut self, uid: u32) -> String {
        self.known
            .entry(uid)
            .or_insert_with(|| match User::from_uid(Uid::from_raw(uid)) {
                Ok(Some(user)) => user.name,
                _ => "?".into(),
            })
            .clone()
    }
}
