//! opensnoop: trace open(2), openat(2) and openat2(2), one line per call.
//! A port of bcc libbpf-tools opensnoop; the kernel side is bpf/opensnoop.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::skel::opensnoop::types::event;
use ebpf_tracers::skel::opensnoop::OpensnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::opensnoop;
use ebpf_tracers::tools::opensnoop::Args;
use ebpf_tracers::tools::opensnoop::Open;
use ebpf_tracers::tools::opensnoop::TOOL;

const PLAIN_EXITS: [&str; 3] = [
    "tracepoint__syscalls__sys_exit_open",
    "tracepoint__syscalls__sys_exit_openat",
    "tracepoint__syscalls__sys_exit_openat2",
];
const FULL_PATH_EXITS: [&str; 3] = [
    "full_path__sys_exit_open",
    "full_path__sys_exit_openat",
    "full_path__sys_exit_openat2",
];

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        // The exits come in two sets, with -F's directory walk and without.
        let unused_exits = if args.path.full_path {
            PLAIN_EXITS
        } else {
            FULL_PATH_EXITS
        };
        let loading = Loading::snoop(&args.snoop, &args.stream)
            .switch_off(&unused_exits)
            .with_ppid(args.print_ppid);
        let tracing = tool::load::<OpensnoopSkelBuilder>(loading, |_| Ok(()))?;
        let spec = StreamSpec::new("file opens", opensnoop::table(args), &args.stream);
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
