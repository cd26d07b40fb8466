//! bashreadline: the command lines typed into interactive bash shells, from a
//! uretprobe on readline(). The kernel side is bpf/bashreadline.bpf.c.

use std::mem::offset_of;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::NameArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_shown;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::local_time_hms;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::skel::bashreadline::types::event;
use ebpf_tracers::skel::bashreadline::BashreadlineSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tool::Uprobe;
use ebpf_tracers::users::UserNames;

/// Show the command lines typed into interactive bash shells (readline()).
#[derive(Debug, Parser)]
#[command(name = "bashreadline", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    name: NameArgs,
    /// The binary or library whose readline() to probe: bash has it built in; give
    /// libreadline.so for shells that link it
    #[arg(
        short = 's',
        long = "shared",
        value_name = "PATH",
        default_value = "/bin/bash"
    )]
    shared: PathBuf,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    bashreadline                  # every line typed into bash, with who typed it
    bashreadline -u 1000          # only user 1000's shells
    bashreadline -s /usr/lib/x86_64-linux-gnu/libreadline.so.8
                                  # programs that use the shared libreadline

A line is reported when readline() returns it: when the user presses Enter,
before the shell runs it. Empty lines are left out. TIME is always shown.";

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("bashreadline", |args: &Args| {
        anyhow::ensure!(
            args.shared.is_file(),
            "-s {}: no such file (give the shell binary or the libreadline it uses)",
            args.shared.display()
        );
        let readline = Uprobe {
            program: "uretprobe__readline",
            binary: &args.shared,
            function: "readline",
            retprobe: true,
        };
        let loading = Loading::stream(&args.filters, &args.stream).uprobe(readline);
        let tracing = tool::load::<BashreadlineSkelBuilder>(loading, |_| Ok(()))?;
        let header = format!(
            "{:<8} {:<7} {:<7} {:<10} COMMAND",
            "TIME", "PID", "UID", "USER"
        );
        let spec = StreamSpec::new("readline() in bash", header, &args.stream);
        let mut users = UserNames::default();
        tracing.stream(spec, |output, data| {
            let min_len = offset_of!(event, line);
            let Some((event, comm)) = decode_shown::<event>(data, min_len, &args.name) else {
                return Ok(());
            };
            let command = escape(c_bytes(&event.line));
            let user = users.name(event.uid);
            let line = if args.stream.output.json {
                JsonLine::task(
                    Some(&local_time_hms()),
                    event.uid,
                    event.tgid,
                    event.pid,
                    &comm,
                )
                .str("user", &user)
                .str("command", &command)
                .finish()
            } else {
                let time = local_time_hms();
                format!(
                    "{time:<8} {:<7} {:<7} {user:<10} {command}",
                    event.tgid, event.uid
                )
            };
            output.line(&line)
        })
    })
}
