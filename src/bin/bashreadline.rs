//! bashreadline: the command lines typed into interactive bash shells, from a
//! uretprobe on readline(). The kernel side is bpf/bashreadline.bpf.c.

use std::mem::offset_of;
use std::process::ExitCode;

use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::skel::bashreadline::types::event;
use ebpf_tracers::skel::bashreadline::BashreadlineSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tool::Uprobe;
use ebpf_tracers::tools::bashreadline::Args;
use ebpf_tracers::tools::bashreadline::Readline;
use ebpf_tracers::tools::bashreadline::TOOL;
use ebpf_tracers::users::UserNames;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
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
        // TIME is always shown, as in bcc's bashreadline.
        let spec =
            StreamSpec::new("readline() in bash", Readline::table(), &args.stream).always_timed();
        let mut users = UserNames::default();
        let min_len = offset_of!(event, line);
        tracing.stream_tasks(spec, min_len, &args.task, |event: &event, task| {
            Some(Readline {
                user: users.name(task.uid),
                task,
                command: escape(c_bytes(&event.line)),
            })
        })
    })
}
