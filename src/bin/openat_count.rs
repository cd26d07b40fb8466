//! openat_count: openat(2) calls per process name, counted in the kernel.
//! The kernel side is bpf/openat_count.bpf.c.

use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::CountArgs;
use ebpf_tracers::cli::NameArgs;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::until_nul;
use ebpf_tracers::report;
use ebpf_tracers::report::Columns;
use ebpf_tracers::skel::openat_count::OpenatCountSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;

/// Count openat(2) calls per process name.
#[derive(Debug, Parser)]
#[command(name = "openat_count", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    counting: CountArgs,
    #[command(flatten)]
    name: NameArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    openat_count              # openat() calls per process name, every second
    openat_count -c test      # only processes named test (the tutorial's example)
    openat_count -p 181 -d 10 # one process, for ten seconds
    openat_count -i 5 --top 5 # the five busiest names every five seconds";

const COLUMNS: Columns = Columns::new(&["COMM"], &["COUNT"]);

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("openat_count", |args: &Args| {
        let tracing =
            tool::load::<OpenatCountSkelBuilder>(Loading::counting(&args.counting), |_| Ok(()))?;
        report::count_per_key(
            &tracing.maps.counts,
            &args.counting,
            COLUMNS,
            "openat() per process name",
            |comm| {
                let comm = until_nul(comm);
                args.name.matches(comm).then(|| vec![escape(comm)])
            },
        )
    })
}
