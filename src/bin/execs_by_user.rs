//! execs_by_user: execve(2) calls per user and path, optionally only the failed ones.
//! The kernel side is bpf/execs_by_user.bpf.c.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use libbpf_rs::skel::OpenSkel;
use nix::unistd::Uid;
use nix::unistd::User;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::IntervalArgs;
use ebpf_tracers::cli::OutputArgs;
use ebpf_tracers::cli::RunArgs;
use ebpf_tracers::cli::TopArgs;
use ebpf_tracers::maps;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::output::Output;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::report::Row;
use ebpf_tracers::report::Scope;
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
    interval: IntervalArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    run: RunArgs,
}

fn main() -> ExitCode {
    match ebpf_tracers::cli::parse::<Args>() {
        Ok(args) => ebpf_tracers::run::main_with("execs_by_user", || trace(&args)),
        Err(code) => code,
    }
}

fn trace(args: &Args) -> Result<()> {
    if args.filters.name.is_some() {
        anyhow::bail!("-n is not supported by execs_by_user (it keeps no names); use -c NAME");
    }
    let tracefs = tool::prepare(args.run.verbose)?;
    let mut object = MaybeUninit::uninit();
    let mut open_skel = tool::open::<ExecsByUserSkelBuilder>(&mut object)?;
    let rodata = tool::rodata(&mut open_skel.maps.rodata_data)?;
    write_filter_rodata!(rodata, &args.filters);
    rodata.targ_failed = args.failed;
    tool::configure(open_skel.open_object_mut(), None, &tracefs)?;
    let (skel, _links) = tool::load_and_attach(open_skel)?;

    let output = Output::new();
    if !args.output.json {
        output.line(&report::header(COLUMNS, &args.output))?;
    }
    tool::announce_ready("execve() per user");
    let mut tally = Tally::new(args.top.top as usize);
    let mut users = UserNames::default();
    tool::sample_every(args.interval.interval, args.run.duration, |last| {
        let scope = Scope::from_last(last);
        let rows: Vec<Row> = tally
            .select(maps::percpu_hash_sums(&skel.maps.counts)?, scope)
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
            .collect();
        Ok(report::print(&output, &args.output, COLUMNS, scope, &rows)?)
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
