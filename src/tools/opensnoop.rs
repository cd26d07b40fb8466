//! opensnoop: trace open(2), openat(2) and openat2(2), one line per call.
//! A port of bcc libbpf-tools opensnoop; the kernel side is bpf/opensnoop.bpf.c: one
//! fexit program on do_sys_openat2 where BPF trampolines work, else the syscall
//! tracepoints.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::ModeArgs;
use crate::cli::PathArgs;
use crate::cli::ProbeMode;
use crate::cli::SnoopArgs;
use crate::cli::StreamArgs;
use crate::model::paths::ShownPath;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::kernel;
use crate::kernel::load::Hooks;
use crate::kernel::load::Loading;
use crate::kernel::preflight::KernelFunction;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::OpensnoopSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/opensnoop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    opensnoop, OpenOpensnoopSkel => OpensnoopSkel,
    streaming,
    plain[event],
    task_event,
    path_event,
    inflight[(start_by_tid, start_in_task)]
);

pub const TOOL: Tool = Tool::events::<Args, Open>(
    "opensnoop",
    "Trace open family syscalls: who opened what, and the result.",
    EXAMPLES,
);

pub const HOOKS: Hooks = Hooks::fexit(
    "file opens",
    // Every open(2), openat(2), openat2(2) and creat(2), with its result.
    &[KernelFunction::new(
        &["do_sys_openat2"],
        &["int", "char *", "struct open_how *"],
    )],
    "tracepoints sys_enter/exit_open(at)(2)",
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snoop: SnoopArgs,
    /// Print the parent's PID
    #[arg(short = 'P', long = "print-ppid")]
    pub print_ppid: bool,
    /// Extended fields of output (open flags, mode)
    #[arg(short = 'e', long = "extended-fields")]
    pub extended: bool,
    /// Extended fields with the open flags by name (O_WRONLY|O_CREAT|...)
    #[arg(short = 'E', long = "format-extended-fields")]
    pub format_extended: bool,
    #[command(flatten)]
    pub path: PathArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// The bench's pieces (bench/pieces.rs): the exit stops after this piece and
    /// submits nothing
    #[arg(long = "bench-stop", value_name = "PIECE", hide = true)]
    pub bench_stop: Option<BenchStop>,
}

/// Where `--bench-stop` ends the exit program (bench_stop in bpf/opensnoop.bpf.c).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BenchStop {
    /// After the in-flight get (and done)
    Inflight,
    /// After the task header
    Task,
    /// After the path read
    Path,
    /// After the time stamp (what submit_event takes before the ring buffer's output)
    Time,
}

const EXAMPLES: &str = "\
EXAMPLES:
    opensnoop             # trace all open() syscalls
    opensnoop -T          # include timestamps
    opensnoop -U          # include UID
    opensnoop -P          # include the parent's PID
    opensnoop -x          # only show failed opens
    opensnoop -p 181      # only trace PID 181
    opensnoop -t 123      # only trace TID 123
    opensnoop -u 1000     # only trace UID 1000
    opensnoop -d 10       # trace for 10 seconds only
    opensnoop -c cat      # only trace processes named exactly cat (in the kernel)
    opensnoop -n main     # only print processes whose name contains \"main\"
    opensnoop -e          # show extended fields (flags and mode)
    opensnoop -E          # extended fields, flags by name
    opensnoop -F          # relative paths in full (from the directory they start in)
    opensnoop --mode tracepoint
                          # the syscall tracepoints even where fexit works
    opensnoop --json      # one JSON object per line, with cgroup and container_id
    opensnoop -G          # a CONTAINER column (short container id, or cgroup)
    opensnoop --cgroup /sys/fs/cgroup/system.slice/docker-<id>.scope
                          # only one container (any cgroup v2 directory, and below)";

/// One open(2), openat(2) or openat2(2) call.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Open {
    #[serde(flatten)]
    pub task: Task,
    /// The file descriptor opened, or -1
    pub fd: i32,
    /// The errno of a failed open, else 0
    pub err: i32,
    /// The open flags as passed (by fexit: the kernel's copy, without the O_LARGEFILE it
    /// adds on 64-bit)
    pub flags: i32,
    /// The flags by name (-E), as O_WRONLY|O_CREAT
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_names: Option<String>,
    /// The mode as passed (with O_CREAT; by fexit 0 unless the open may create)
    pub mode: u32,
    #[serde(flatten)]
    pub path: ShownPath,
}

/// bcc's columns: `[UID] [PPID] PID COMM FD ERR [FLAGS MODE] PATH`.
pub fn table(args: &Args) -> Table {
    let octal_flags = args.extended && !args.format_extended;
    Table::new()
        .column_if(args.snoop.print_uid, Task::uid_column())
        .column_if(args.print_ppid, Task::ppid_column())
        .column(Task::pid_column())
        .column(Task::comm_column())
        .column(Column::right("fd", "FD", 3))
        .column(Column::right("err", "ERR", 3))
        .column_if(octal_flags, Column::left("flags", "FLAGS", 8).octal(8))
        .column_if(args.format_extended, Column::left("flag_names", "FLAGS", 8))
        .column_if(
            args.extended || args.format_extended,
            Column::left("mode", "MODE", 5).octal(4),
        )
        .column(Column::last("path", "PATH"))
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::snoop(&args.snoop, &args.stream)
            .with_ppid(args.print_ppid)
            .probes(&probes);
        let tracing = kernel::load::<OpensnoopSkelBuilder>(loading, |open| {
            // The returns come in two sets, with -F's directory walk and without, of
            // the mode chosen: the others stay unloaded.
            let progs = &mut open.progs;
            let fexit = probes.mode == ProbeMode::Fexit;
            let full = args.path.full_path;
            let (plain_tp, full_tp) = (!fexit && !full, !fexit && full);
            progs.tracepoint__syscalls__sys_exit_open.set_autoload(plain_tp);
            progs.tracepoint__syscalls__sys_exit_openat.set_autoload(plain_tp);
            progs.tracepoint__syscalls__sys_exit_openat2.set_autoload(plain_tp);
            progs.full_path__sys_exit_open.set_autoload(full_tp);
            progs.full_path__sys_exit_openat.set_autoload(full_tp);
            progs.full_path__sys_exit_openat2.set_autoload(full_tp);
            progs.fexit__do_sys_openat2.set_autoload(fexit && !full);
            progs.full_path__fexit__do_sys_openat2.set_autoload(fexit && full);
            open.rodata()?.bench_stop = match args.bench_stop {
                None => 0,
                Some(BenchStop::Inflight) => 1,
                Some(BenchStop::Task) => 2,
                Some(BenchStop::Path) => 3,
                Some(BenchStop::Time) => 4,
            };
            Ok(())
        })?;
        let spec = StreamSpec::new("file opens", table(args), &args.stream);
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &args.snoop.task,
            |event: &event, task| {
                let (fd, err) = fd_and_err(event.ret);
                Some(Open {
                    task,
                    fd,
                    err,
                    flags: event.flags,
                    flag_names: args.format_extended.then(|| open_flag_names(event.flags)),
                    mode: event.mode,
                    path: event.path.decoded().shown(),
                })
            },
        )
    })
}

/// The FD/ERR convention of bcc: a successful open shows its fd and ERR 0, a failed one
/// FD -1 and the errno.
fn fd_and_err(ret: i32) -> (i32, i32) {
    if ret >= 0 {
        (ret, 0)
    } else {
        (-1, ret.saturating_neg())
    }
}

/// The open(2) flags by name, as in the man page: the access mode, then each flag set,
/// then any bits this list does not know, in octal.
fn open_flag_names(flags: i32) -> String {
    const NAMED: [(i32, &str); 15] = [
        (libc::O_CREAT, "O_CREAT"),
        (libc::O_EXCL, "O_EXCL"),
        (libc::O_NOCTTY, "O_NOCTTY"),
        (libc::O_TRUNC, "O_TRUNC"),
        (libc::O_APPEND, "O_APPEND"),
        (libc::O_NONBLOCK, "O_NONBLOCK"),
        // O_SYNC includes O_DSYNC's bit: named first, it takes both.
        (libc::O_SYNC, "O_SYNC"),
        (libc::O_DSYNC, "O_DSYNC"),
        (libc::O_ASYNC, "O_ASYNC"),
        (libc::O_DIRECT, "O_DIRECT"),
        // O_TMPFILE includes O_DIRECTORY's bit, likewise.
        (libc::O_TMPFILE, "O_TMPFILE"),
        (libc::O_DIRECTORY, "O_DIRECTORY"),
        (libc::O_NOFOLLOW, "O_NOFOLLOW"),
        (libc::O_NOATIME, "O_NOATIME"),
        (libc::O_CLOEXEC, "O_CLOEXEC"),
    ];
    let mut names = vec![match flags & libc::O_ACCMODE {
        libc::O_RDONLY => "O_RDONLY".to_string(),
        libc::O_WRONLY => "O_WRONLY".to_string(),
        libc::O_RDWR => "O_RDWR".to_string(),
        other => format!("{other:#o}"),
    }];
    let mut rest = flags & !libc::O_ACCMODE;
    for (bits, name) in NAMED {
        if bits != 0 && rest & bits == bits {
            names.push(name.to_string());
            rest &= !bits;
        }
    }
    if rest & libc::O_PATH != 0 {
        names.push("O_PATH".to_string());
        rest &= !libc::O_PATH;
    }
    if rest != 0 {
        names.push(format!("{rest:#o}"));
    }
    names.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_bcc_columns() {
        let args = TOOL
            .parse_from::<Args, _>(["opensnoop", "-U", "-P", "-e"].map(Into::into))
            .unwrap();
        let header = table(&args).header();
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            ["UID", "PPID", "PID", "COMM", "FD", "ERR", "FLAGS", "MODE", "PATH"]
        );
    }

    #[test]
    fn fd_and_err_follow_bcc() {
        assert_eq!(fd_and_err(3), (3, 0));
        assert_eq!(fd_and_err(0), (0, 0));
        assert_eq!(fd_and_err(-2), (-1, 2));
        assert_eq!(fd_and_err(i32::MIN), (-1, i32::MAX));
    }

    #[test]
    fn open_flags_are_named_like_the_man_page() {
        assert_eq!(open_flag_names(libc::O_RDONLY), "O_RDONLY");
        assert_eq!(
            open_flag_names(libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC),
            "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
        );
        assert_eq!(
            open_flag_names(libc::O_RDWR | libc::O_SYNC),
            "O_RDWR|O_SYNC"
        );
        assert_eq!(
            open_flag_names(libc::O_RDONLY | libc::O_DSYNC),
            "O_RDONLY|O_DSYNC"
        );
        assert_eq!(
            open_flag_names(libc::O_RDWR | libc::O_TMPFILE),
            "O_RDWR|O_TMPFILE"
        );
        assert_eq!(open_flag_names(libc::O_DIRECTORY), "O_RDONLY|O_DIRECTORY");
        assert_eq!(open_flag_names(0o3), "0o3");
    }
}
