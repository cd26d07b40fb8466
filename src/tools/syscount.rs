//! syscount: system calls counted per call (named from this architecture's table) or
//! per process, optionally with the time spent in them, as bcc's syscount.
//! The kernel side is bpf/syscount.bpf.c.

use std::process::ExitCode;

use anyhow::Result;
use schemars::JsonSchema;
use serde::Serialize;
use syscalls::Errno;
use syscalls::Sysno;

use crate::cli::CountArgs;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::kernel::maps;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::model::cgroup::Cgroup;
use crate::model::task::Task;
use crate::output::metrics::CounterSeries;
use crate::output::metrics::Declared;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::tools::Tool;

use skel::types::syscount_key;
use skel::types::syscount_value;
use skel::SyscountSkelBuilder;

// The generated skeleton of bpf/syscount.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    syscount, OpenSyscountSkel => SyscountSkel,
    aggregating,
    plain[syscount_key, syscount_value],
    counting,
    inflight[(start_by_tid, start_in_task)]
);

pub const TOOL: Tool = Tool::counts::<Args, CallKey, Calls>(
    "syscount",
    "Count system calls per call or per process, with their latency (-L).",
    EXAMPLES,
)
.with_metrics(&METRICS);

/// With --metrics-addr (metrics.rs): a series per counter field.
const METRICS: Declared = Declared {
    counters: &[
        CounterSeries {
            field: "count",
            name: "syscount_calls_total",
            help: "System calls returned, per call (or process with -P)",
        },
        CounterSeries {
            field: "total_ns",
            name: "syscount_latency_seconds_total",
            help: "Time spent in those calls (with -L; 0 without)",
        },
    ],
    histogram: None,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Count by process, not by system call
    #[arg(short = 'P', long = "process")]
    pub process: bool,
    /// Time the calls too (and rank them by time)
    #[arg(short = 'L', long = "latency")]
    pub latency: bool,
    /// With -L, show the time in milliseconds (default: microseconds)
    #[arg(short = 'm', long = "milliseconds", requires = "latency")]
    pub milliseconds: bool,
    /// Count only the calls that failed
    #[arg(short = 'x', long = "failures")]
    pub failures: bool,
    /// Count only the calls that failed with this error (ENOENT, or its number)
    #[arg(short = 'e', long = "errno", value_name = "ERRNO", value_parser = parse_errno)]
    pub errno: Option<i32>,
    /// Print the system calls this architecture has (number and name) and exit
    #[arg(short = 'l', long = "list")]
    pub list: bool,
    #[command(flatten)]
    pub counting: CountArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    syscount                 # system calls by count, every second
    syscount -p $(pidof dd)  # only one process
    syscount -L              # with the time spent in them, ranked by it
    syscount -P              # per process, not per system call
    syscount -x -i 5         # only failed calls, every five seconds
    syscount -e ENOENT -d 10 # only calls failing with ENOENT, for ten seconds
    syscount --by-cgroup     # per container (cgroup) too

Calls are counted as they return: a call still blocked at the stop is not counted;
exit and exit_group never return, so they are never counted. With -L, calls that
began before syscount attached are not counted either (their start is unknown).";

/// What a row counts: one system call, or with -P one process.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct CallKey {
    /// The cgroup and container, with --by-cgroup
    #[serde(flatten)]
    pub cgroup: Cgroup,
    /// The system call's name on this architecture (`[unknown: N]` for a number the
    /// table lacks); absent with -P
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syscall: Option<String>,
    /// The system call's number; absent with -P
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr: Option<u32>,
    /// -P: the process id
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// -P: the process's name (its main thread's, control bytes escaped)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
}

crate::kernel::counters::counters! {
    /// The counters of struct syscount_value (bpf/syscount.h).
    pub struct Calls from syscount_value {
        /// Calls returned
        count,
        /// -L: nanoseconds spent in them, summed (absent without -L)
        #[serde(default, skip_serializing_if = "is_zero")]
        total_ns,
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl CallKey {
    fn of(key: &syscount_key) -> CallKey {
        let cgroup = Cgroup::of(key.cgroup_id);
        if key.nr < 0 {
            let comm = escape(c_bytes(&key.comm));
            return CallKey {
                cgroup,
                syscall: None,
                nr: None,
                pid: Some(key.tgid),
                comm: Some(comm),
            };
        }
        let nr = key.nr as u32;
        CallKey {
            cgroup,
            syscall: Some(syscall_name(nr)),
            nr: Some(nr),
            pid: None,
            comm: None,
        }
    }
}

/// bcc's columns: `SYSCALL` (or -P `PID COMM`), `COUNT`, with -L `TIME (us)` or `(ms)`.
fn table(args: &Args) -> Table {
    let keys = if args.process {
        Table::new()
            .column(Task::pid_column())
            .column(Task::comm_column())
    } else {
        Table::new().column(Column::left("syscall", "SYSCALL", 22))
    };
    let unit = if args.milliseconds { 1e6 } else { 1e3 };
    let heading = if args.milliseconds {
        "TIME (ms)"
    } else {
        "TIME (us)"
    };
    let time = Column::right("total_ns", heading, 16).formatted(move |record| {
        let ns = record["total_ns"].as_u64().unwrap_or(0);
        format!("{:.3}", ns as f64 / unit)
    });
    keys.column(Column::right("count", "COUNT", 8))
        .column_if(args.latency, time)
}

/// The name of system call `nr` on the architecture this was built for.
fn syscall_name(nr: u32) -> String {
    match Sysno::new(nr as usize) {
        Some(sysno) => sysno.name().to_string(),
        None => format!("[unknown: {nr}]"),
    }
}

/// `-e`: an error's name (ENOENT) or its number.
fn parse_errno(text: &str) -> Result<i32, String> {
    if let Ok(number) = text.parse::<i32>() {
        return match Errno::new(number).name() {
            Some(_) if number > 0 => Ok(number),
            _ => Err(format!("{number} is not an error number")),
        };
    }
    (1..4096)
        .find(|&number| Errno::new(number).name() == Some(text))
        .ok_or_else(|| format!("'{text}' is not an error name (ENOENT, EPERM, ...) or number"))
}

/// -l: every system call of this architecture, as bcc lists them.
fn list_syscalls() {
    for sysno in Sysno::iter() {
        println!("{:3}: {}", sysno.id(), sysno.name());
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        if args.list {
            list_syscalls();
            return Ok(());
        }
        let loading = Loading::counting(&args.counting).failed_only(args.failures);
        let tracing = kernel::load::<SyscountSkelBuilder>(loading, |open| {
            open.progs.sys_enter.set_autoload(args.latency);
            if !args.latency {
                // Without -L nothing is in flight: neither map is made.
                open.maps.start_by_tid.set_autocreate(false)?;
                open.maps.start_in_task.set_autocreate(false)?;
            }
            let rodata = open.rodata()?;
            rodata.by_process = args.process;
            rodata.measure_latency = args.latency;
            rodata.filter_errno = args.errno.unwrap_or(0);
            rodata.nr_exit = Sysno::exit.id();
            rodata.nr_exit_group = Sysno::exit_group.id();
            Ok(())
        })?;
        let ranking = if args.latency {
            Ranking::top_by(args.counting.top.top, |calls: &Calls| calls.total_ns)
        } else {
            Ranking::top_by(args.counting.top.top, |calls: &Calls| calls.count)
        };
        let table = table(args).cgroup_first(args.counting.grouping.by_cgroup);
        let what = if args.process {
            "system calls per process"
        } else {
            "system calls"
        };
        let spec = ReportSpec::new(what, table, ranking);
        report::drain_per_key(tracing.counting(), &args.counting.report, spec, |raw| {
            let key: syscount_key = maps::decode(raw)?;
            Some(CallKey::of(&key))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_by_name_and_number() {
        assert_eq!(parse_errno("ENOENT"), Ok(2));
        assert_eq!(parse_errno("13"), Ok(13));
        assert!(parse_errno("ENOSUCH").is_err());
        assert!(parse_errno("0").is_err());
        assert!(parse_errno("-2").is_err());
    }

    #[test]
    fn calls_are_named_from_this_architectures_table() {
        assert_eq!(syscall_name(Sysno::openat.id() as u32), "openat");
        assert_eq!(syscall_name(100_000), "[unknown: 100000]");
    }
}
