//! What an installed tool comes with (`make install`, `make deb`; scripts/stage.sh):
//! a man page in section 8 made from its clap command (clap_mangen) that ends, as
//! `--help` does, with its EXAMPLES and notes, and completions for bash, zsh and fish
//! (clap_complete). Installed tools are named `<tool>-rs` (`INSTALLED_SUFFIX`): Debian's
//! libbpf-tools already has /usr/sbin/opensnoop, execsnoop, filetop, ... and
//! bpfcc-tools has opensnoop-bpfcc, so ours stand beside both. In the build tree the
//! names stay as they are (`cargo run --bin opensnoop`, ./target/release/opensnoop).

use std::io::Write;

use anyhow::Result;
use clap::Command;
use clap_complete::Shell;
use roff::bold;
use roff::roman;
use roff::Roff;

use crate::tools::Tool;
use crate::tools::ALL;
use crate::tools::VERSION;

/// What an installed tool's name ends with.
pub const INSTALLED_SUFFIX: &str = "-rs";

/// The shells completions are made for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

impl Tool {
    /// The tool's name on PATH once installed.
    pub fn installed_name(&self) -> String {
        format!("{}{INSTALLED_SUFFIX}", self.name)
    }

    /// The command line under the installed name (what man pages and completions
    /// describe).
    fn installed_command(&self) -> Command {
        let name = self.installed_name();
        self.command().name(name.clone()).bin_name(name)
    }
}

/// The man page (roff) of an installed tool: NAME, SYNOPSIS, DESCRIPTION, OPTIONS
/// (clap_mangen), then EXAMPLES, NOTES, EXIT STATUS, VERSION and SEE ALSO.
pub fn man_page(tool: &Tool) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(tool.installed_command())
        .section("8")
        .source(format!("ebpf-tracers {}", env!("CARGO_PKG_VERSION")))
        .manual("System Manager's Manual");
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;

    let help = HelpEnd::parse(tool.examples);
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    for (command, comment) in &help.examples {
        roff.control("TP", []);
        roff.text([bold(installed_command_line(command))]);
        roff.text([roman(comment.as_str())]);
    }
    if !help.notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        for paragraph in &help.notes {
            roff.control("PP", []);
            roff.text([roman(paragraph.as_str())]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "0 when the tool ran and stopped as asked (Ctrl-C, SIGTERM, --duration); 1 when \
         it could not run (one line on stderr says why); 2 for a usage error.",
    )]);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(VERSION)]);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "The README of ebpf-tracers (share/doc/ebpf-tracers/README.md under the \
         installation prefix); docs/JSON.md in the source for every JSON field.",
    )]);
    roff.to_writer(&mut page)?;
    Ok(once_each_preamble(&page))
}

/// Each clap_mangen section rendered on its own starts with the same two-line preamble
/// (a string definition); the page keeps the first.
fn once_each_preamble(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut seen = std::collections::HashSet::new();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if !preamble || seen.insert(line) {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// The completion script of an installed tool for `shell`.
pub fn completion(tool: &Tool, shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    let mut command = tool.installed_command();
    clap_complete::generate(shell, &mut command, tool.installed_name(), &mut script);
    script
}

/// The file a completion is installed as, where `shell` looks for it by the command's
/// name (bash-completion and fish load on demand; zsh wants `_name`).
pub fn completion_file(tool: &Tool, shell: Shell) -> String {
    let name = tool.installed_name();
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name,
    }
}

/// Writes every tool's man page and completions under `dir`: man8/<name>.8,
/// bash/<name>, zsh/_<name>, fish/<name>.fish.
pub fn write_all(dir: &std::path::Path) -> Result<()> {
    use anyhow::Context;
    for tool in ALL {
        let write = |sub: &str, file: String, bytes: &[u8]| -> Result<()> {
            let path = dir.join(sub).join(file);
            std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
            std::fs::File::create(&path)
                .and_then(|mut out| out.write_all(bytes))
                .with_context(|| format!("cannot write {}", path.display()))
        };
        write(
            "man8",
            format!("{}.8", tool.installed_name()),
            &man_page(tool)?,
        )?;
        for shell in SHELLS {
            let sub = shell.to_string();
            write(&sub, completion_file(tool, shell), &completion(tool, shell))?;
        }
    }
    Ok(())
}

/// What `--help` ends with, taken apart: the example command lines with their
/// comments, then the paragraphs of notes.
#[derive(Debug, Default, PartialEq)]
struct HelpEnd {
    examples: Vec<(String, String)>,
    notes: Vec<String>,
}

impl HelpEnd {
    /// From the text every tool's module declares: "EXAMPLES:", indented lines
    /// `command   # comment` (the comment may be absent), a blank line, paragraphs.
    fn parse(text: &str) -> Self {
        let mut help = HelpEnd::default();
        let mut lines = text.lines().skip_while(|line| line.trim() == "EXAMPLES:");
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
            // A comment carried on to the next line.
            if let (Some(more), Some((_, comment))) =
                (line.trim().strip_prefix('#'), help.examples.last_mut())
            {
                comment.push(' ');
                comment.push_str(more.trim());
                continue;
            }
            let (command, comment) = match line.split_once(" # ") {
                Some((command, comment)) => (command.trim(), comment.trim()),
                None => (line.trim(), ""),
            };
            help.examples
                .push((command.to_string(), comment.to_string()));
        }
        let rest: Vec<&str> = lines.collect();
        for paragraph in rest.split(|line| line.trim().is_empty()) {
            if !paragraph.is_empty() {
                help.notes.push(paragraph.join(" "));
            }
        }
        help
    }
}

/// An example as typed once installed: a tool's name where a command starts (first,
/// or after `&`, `|`, `;`) or where it names a process (`-c NAME`: an installed
/// tool's process is called by its installed name) becomes the installed name.
fn installed_command_line(command: &str) -> String {
    let words: Vec<&str> = command.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let before = if i == 0 { "&" } else { words[i - 1] };
        let in_place = matches!(before, "&" | "&&" | "|" | ";" | "-c");
        match ALL.iter().find(|tool| tool.name == *word) {
            Some(tool) if in_place => out.push(tool.installed_name()),
            _ => out.push(word.to_string()),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_ends_are_examples_then_notes() {
        let help = HelpEnd::parse(
            "EXAMPLES:\n    tool -x        # failed only,\n                   # as bcc's\n    \
             tool --json\n\nFirst\nnote.\n\nSecond.",
        );
        assert_eq!(
            help.examples,
            vec![
                ("tool -x".to_string(), "failed only, as bcc's".to_string()),
                ("tool --json".to_string(), String::new())
            ]
        );
        assert_eq!(help.notes, vec!["First note.", "Second."]);
    }

    #[test]
    fn examples_name_the_installed_tools() {
        assert_eq!(
            installed_command_line("netpkt_count -c icmp_sender & icmp_sender veth0"),
            "netpkt_count-rs -c icmp_sender-rs & icmp_sender-rs veth0"
        );
        assert_eq!(
            installed_command_line("opensnoop -c cat"),
            "opensnoop-rs -c cat"
        );
    }

    #[test]
    fn every_man_page_has_its_options_and_examples() {
        for tool in ALL {
            let page = String::from_utf8(man_page(tool).unwrap()).unwrap();
            let name = tool.installed_name();
            assert_eq!(page.matches("\n.TH ").count(), 1, "{name}: {page}");
            assert_eq!(page.matches(".ds Aq").count(), 2, "{name}: {page}");
            for section in ["NAME", "SYNOPSIS", "OPTIONS", "EXAMPLES", "EXIT STATUS"] {
                let heading = [format!(".SH {section}\n"), format!(".SH \"{section}\"\n")];
                assert!(
                    heading.iter().any(|h| page.contains(h.as_str())),
                    "{name}: {section}"
                );
            }
            // roff escapes '-' in names as "\-".
            assert!(page.contains(&name.replace('-', "\\-")), "{name}");
            assert!(page.contains("\\-\\-duration") || tool.name == "icmp_sender");
        }
    }

    #[test]
    fn completions_are_made_for_the_installed_name() {
        let tool = &crate::tools::opensnoop::TOOL;
        let bash = String::from_utf8(completion(tool, Shell::Bash)).unwrap();
        assert!(bash.contains("opensnoop-rs") && bash.contains("--full-path"));
        assert_eq!(completion_file(tool, Shell::Zsh), "_opensnoop-rs");
        assert_eq!(completion_file(tool, Shell::Fish), "opensnoop-rs.fish");
    }
}
