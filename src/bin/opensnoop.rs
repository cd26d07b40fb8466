//! opensnoop: trace open(2), openat(2) and openat2(2), one line per call.
//! A port of bcc libbpf-tools opensnoop; the kernel side is bpf/opensnoop.bpf.c.

use std::io;
use std::mem::offset_of;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::NameArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_shown;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::skel::opensnoop::types::event;
use ebpf_tracers::skel::opensnoop::OpensnoopSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Trace open family syscalls: who opened what, and the result.
#[derive(Debug, Parser)]
#[command(name = "opensnoop", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    name: NameArgs,
    /// Show only failed opens
    #[arg(short = 'x', long = "failed")]
    failed: bool,
    /// Print UID
    #[arg(short = 'U', long = "print-uid")]
    print_uid: bool,
    /// Extended fields of output (open flags, mode)
    #[arg(short = 'e', long = "extended-fields")]
    extended: bool,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    opensnoop             # trace all open() syscalls
    opensnoop -T          # include timestamps
    opensnoop -U          # include UID
    opensnoop -x          # only show failed opens
    opensnoop -p 181      # only trace PID 181
    opensnoop -t 123      # only trace TID 123
    opensnoop -u 1000     # only trace UID 1000
    opensnoop -d 10       # trace for 10 seconds only
    opensnoop -c cat      # only trace processes named exactly cat (in the kernel)
    opensnoop -n main     # only print processes whose name contains \"main\"
    opensnoop -e          # show extended fields (flags and mode)
    opensnoop --json      # one JSON object per line";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("opensnoop", |args: &Args| {
        let loading = Loading::stream(&args.filters, &args.stream);
        let tracing = tool::load::<OpensnoopSkelBuilder>(loading, |rodata| {
            rodata.targ_failed = args.failed;
            Ok(())
        })?;
        let spec = StreamSpec::new("file opens", header(args), &args.stream);
        tracing.stream(spec, |output, data| print_event(args, output, data))
    })
}

fn header(args: &Args) -> String {
    let mut line = String::new();
    if args.stream.output.timestamp {
        line.push_str(&format!("{:<8} ", "TIME"));
    }
    if args.print_uid {
        line.push_str(&format!("{:<7} ", "UID"));
    }
    line.push_str(&format!(
        "{:<7} {:<16} {:>3} {:>3} ",
        "PID", "COMM", "FD", "ERR"
    ));
    if args.extended {
        line.push_str(&format!("{:<8} {:<5} ", "FLAGS", "MODE"));
    }
    line.push_str("PATH");
    line
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

fn print_event(args: &Args, output: &Output, data: &[u8]) -> io::Result<()> {
    let Some((event, comm)) = decode_shown::<event>(data, offset_of!(event, fname), &args.name)
    else {
        return Ok(());
    };
    let path = escape(c_bytes(&event.fname));
    let (fd, err) = fd_and_err(event.ret);
    let time = args.stream.output.time();

    if args.stream.output.json {
        let line = JsonLine::task(time.as_deref(), event.uid, event.tgid, event.pid, &comm)
            .int("fd", fd)
            .int("err", err)
            .int("flags", event.flags)
            .uint("mode", event.mode.into())
            .str("path", &path)
            .finish();
        return output.line(&line);
    }

    let mut line = String::with_capacity(64 + path.len());
    if let Some(time) = time {
        line.push_str(&format!("{time:<8} "));
    }
    if args.print_uid {
        line.push_str(&format!("{:<7} ", event.uid));
    }
    line.push_str(&format!(
        "{:<7} {:<16} {:>3} {:>3} ",
        event.tgid, comm, fd, err
    ));
    if args.extended {
        line.push_str(&format!("{:08o} {:04o}  ", event.flags, event.mode));
    }
    line.push_str(&path);
    output.line(&line)
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
    fn header_has_the_bcc_columns() {
        let args = Args::parse_from(["opensnoop", "-T", "-U", "-e"]);
        let header = header(&args);
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            ["TIME", "UID", "PID", "COMM", "FD", "ERR", "FLAGS", "MODE", "PATH"]
        );
    }
}
