//! The multi-call binary (`ebpf-tracers`, busybox-style): every tool in one executable
//! that runs the tool it is named as. Installed once, with a link per tool
//! (`opensnoop-rs -> ebpf-tracers`), the whole set costs one copy of the runtime
//! (clap, serde, hyper, tokio, libbpf, and in the static build libelf, zlib and glibc)
//! instead of twenty. It answers to:
//!
//!   opensnoop-rs ARGS, opensnoop ARGS      (a link's or a copy's name)
//!   ebpf-tracers opensnoop ARGS            (the tool as the first argument)
//!
//! The binary itself (src/bin/ebpf-tracers.rs) only lists each tool's `main`; which
//! one runs, and the command line that tool then parses, are decided here.

use std::ffi::OsStr;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Command;

use crate::app::manual::INSTALLED_SUFFIX;
use crate::tools::is_multicall;
use crate::tools::Entry;
use crate::tools::Tool;
use crate::tools::ALL;
use crate::tools::MULTICALL as NAME;
use crate::tools::VERSION;

/// The tool a program name (argv[0]) names: its file name is a tool's name, or a tool's
/// installed name (`opensnoop-rs`).
fn tool_named(program: &OsStr) -> Option<&'static Tool> {
    let name = Path::new(program).file_name()?.to_str()?;
    let name = name.strip_suffix(INSTALLED_SUFFIX).unwrap_or(name);
    crate::tools::find(name)
}

/// What the multi-call binary runs for this command line: the tool it is named as,
/// or the tool its first argument names.
pub fn chosen(args: &[OsString]) -> Option<&'static Tool> {
    match args {
        [program, ..] if !is_multicall(program) => tool_named(program),
        [_, first, ..] => crate::tools::find(first.to_str()?),
        _ => None,
    }
}

/// `ebpf-tracers`'s own command line, for --help, --version and usage errors: every
/// tool is a subcommand.
fn command() -> Command {
    Command::new(NAME)
        .version(VERSION)
        .about("eBPF tracing tools in one binary: run as a tool's name (opensnoop, opensnoop-rs), or with the tool as the first argument")
        .subcommand_required(true)
        .subcommands(ALL.into_iter().map(Tool::command))
}

/// The multi-call binary's `main`: runs the chosen tool's `main` from `entries`. A name
/// that is no tool gets one line and exit status 2; `ebpf-tracers` alone, --help and
/// --version answer as any tool does.
pub fn main(entries: &[Entry]) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(tool) = chosen(&args) {
        return match entries.iter().find(|(entry, _)| entry.name == tool.name) {
            Some((_, main)) => main(),
            None => {
                eprintln!("{NAME}: {} is not built into this binary", tool.name);
                ExitCode::from(2)
            }
        };
    }
    match args.first() {
        Some(program) if !is_multicall(program) => {
            eprintln!(
                "{NAME}: run as {}, which names no tool: run it as a tool's name (opensnoop, opensnoop-rs) or as `{NAME} TOOL [ARGS]`",
                Path::new(program).display()
            );
            ExitCode::from(2)
        }
        // Not a tool's name: clap says what is wrong (and suggests a near name).
        _ => match crate::cli::usage_outcome(command().try_get_matches_from(args)) {
            Ok(_) => ExitCode::from(2),
            Err(code) => code,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::command_line;

    fn line(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn chosen_name(args: &[&str]) -> Option<&'static str> {
        chosen(&line(args)).map(|tool| tool.name)
    }

    #[test]
    fn the_tool_is_the_name_run_as_or_the_first_argument() {
        assert_eq!(
            chosen_name(&["/usr/sbin/opensnoop-rs", "-x"]),
            Some("opensnoop")
        );
        assert_eq!(chosen_name(&["./opensnoop"]), Some("opensnoop"));
        assert_eq!(chosen_name(&["kmalloc_bytes-rs"]), Some("kmalloc_bytes"));
        let first = ["/usr/lib/ebpf-tracers/ebpf-tracers", "execsnoop", "-x"];
        assert_eq!(chosen_name(&first), Some("execsnoop"));
        // Run under a tool's name, the first argument is the tool's own.
        assert_eq!(chosen_name(&["opensnoop", "execsnoop"]), Some("opensnoop"));
        assert_eq!(chosen_name(&["ebpf-tracers", "nosuchtool"]), None);
        assert_eq!(chosen_name(&["ebpf-tracers", "opensnoop-rs"]), None);
        assert_eq!(chosen_name(&["ebpf-tracers"]), None);
        assert_eq!(chosen_name(&["renamed"]), None);
        assert_eq!(chosen_name(&[]), None);
    }

    #[test]
    fn a_tool_run_through_the_binary_parses_its_own_arguments() {
        let tool = crate::tools::find("opensnoop").unwrap();
        let through = line(&["/x/ebpf-tracers", "opensnoop", "-x"]);
        assert_eq!(command_line(tool, through), line(&["opensnoop", "-x"]));
        let named = line(&["/usr/sbin/opensnoop-rs", "-x"]);
        assert_eq!(command_line(tool, named.clone()), named);
    }

    #[test]
    fn every_tool_is_a_subcommand() {
        command().debug_assert();
        let names: Vec<_> = command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        assert_eq!(names, ALL.map(|t| t.name.to_string()));
    }
}
