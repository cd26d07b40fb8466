//! key_pressed: key presses as the input devices report them, then the ten most
//! pressed keys. The kernel side is bpf/key_pressed.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::kernel::counters;
use crate::kernel::maps;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::kernel::preflight;
use crate::kernel::preflight::KernelFeatures;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::report;
use crate::output::report::Ranking;
use crate::output::report::ReportSpec;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::KeyPressedSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/key_pressed.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(key_pressed, OpenKeyPressedSkel => KeyPressedSkel, streaming, plain[event]);

pub const TOOL: Tool = Tool::events::<Args, KeyPress>(
    "key_pressed",
    "Show key presses as input devices report them, and the ten most pressed keys.",
    EXAMPLES,
)
.with_report::<Key, Presses>();

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    key_pressed               # every key pressed, then the top 10 at Ctrl-C
    key_pressed -d 60 --json

Presses only: not releases or auto-repeats. The kprobe on input_event sees every
input device, virtual ones (uinput) too. Needs a kernel with kprobes: there is
no tracepoint for input events. What is typed may be secret: this is a key
logger, as any tool that can see key presses is.";

/// One key press.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyPress {
    /// The key's name (lowercase, without KEY_), or key-<code>
    pub key: String,
    /// The key code (include/uapi/linux/input-event-codes.h)
    pub code: u32,
    /// The input device's name
    pub device: String,
}

/// A key of the top-10 report at the stop.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Key {
    /// The key's name
    pub key: String,
}

crate::kernel::counters::counters! {
    /// How often a key was pressed.
    pub struct Presses(u64) {
        presses
    }
}

impl KeyPress {
    /// `KEY CODE DEVICE`, after the TIME the tool always shows.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("key", "KEY", 12))
            .column(Column::right("code", "CODE", 5))
            .column(Column::last("device", "DEVICE"))
    }
}

impl Key {
    /// The top's `KEY PRESSES`.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("key", "KEY", 12))
            .column(Column::right("presses", "PRESSES", 8))
    }
}

const TOP: u32 = 10;

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let tracefs = kernel::prepare(args.stream.run.verbose)?;
        anyhow::ensure!(
            KernelFeatures::probe(&tracefs).kprobes,
            "kernel has no kprobes (CONFIG_KPROBES), and input events have no tracepoint: \
             key_pressed cannot run on this kernel"
        );
        anyhow::ensure!(
            preflight::kprobe_target_exists("input_event"),
            "kernel function input_event cannot be probed here"
        );
        let filters = FilterArgs::default();
        let tracing =
            kernel::load::<KeyPressedSkelBuilder>(Loading::stream(&filters, &args.stream), |_| {
                Ok(())
            })?;
        let what = "key presses (kprobe input_event)";
        let spec = StreamSpec::new(what, KeyPress::table(), &args.stream).always_timed();
        tracing.stream_events(spec, |event: event| {
            Some(KeyPress {
                key: key_name(event.code),
                code: event.code,
                device: escape(c_bytes(&event.device)),
            })
        })?;
        // The top 10, once, as the report of a counting tool.
        let spec = ReportSpec::new("", Key::table(), Ranking::top(TOP));
        report::print_once::<Key, Presses>(&args.stream.output, spec, |counts| {
            let presses = counters::per_cpu_hash_sums::<Presses>(&tracing.maps.presses)?;
            counts
                .per_key
                .set(presses.into_iter().filter_map(|(code, sums)| {
                    let code: u32 = maps::decode(&code)?;
                    Some((
                        Key {
                            key: key_name(code),
                        },
                        sums,
                    ))
                }));
            Ok(())
        })
    })
}

/// The name of a key code (include/uapi/linux/input-event-codes.h), lowercase and
/// without KEY_; codes without a name here print as key-<code>.
fn key_name(code: u32) -> String {
    const LETTERS_QWERTY: &str = "qwertyuiop";
    const LETTERS_ASDF: &str = "asdfghjkl";
    const LETTERS_ZXCV: &str = "zxcvbnm";
    let named = match code {
        1 => "esc",
        2..=10 => return ((b'0' + (code - 1) as u8) as char).to_string(),
        11 => "0",
        12 => "minus",
        13 => "equal",
        14 => "backspace",
        15 => "tab",
        16..=25 => return LETTERS_QWERTY[(code - 16) as usize..][..1].to_string(),
        26 => "leftbrace",
        27 => "rightbrace",
        28 => "enter",
        29 => "leftctrl",
        30..=38 => return LETTERS_ASDF[(code - 30) as usize..][..1].to_string(),
        39 => "semicolon",
        40 => "apostrophe",
        41 => "grave",
        42 => "leftshift",
        43 => "backslash",
        44..=50 => return LETTERS_ZXCV[(code - 44) as usize..][..1].to_string(),
        51 => "comma",
        52 => "dot",
        53 => "slash",
        54 => "rightshift",
        56 => "leftalt",
        57 => "space",
        58 => "capslock",
        59..=68 => return format!("f{}", code - 58),
        87 => "f11",
        88 => "f12",
        97 => "rightctrl",
        100 => "rightalt",
        102 => "home",
        103 => "up",
        104 => "pageup",
        105 => "left",
        106 => "right",
        107 => "end",
        108 => "down",
        109 => "pagedown",
        110 => "insert",
        111 => "delete",
        125 => "leftmeta",
        _ => return format!("key-{code}"),
    };
    named.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_codes_have_their_keyboard_names() {
        let names: Vec<String> = [35, 18, 38, 38, 24, 57, 2, 11, 28, 61, 240]
            .into_iter()
            .map(key_name)
            .collect();
        assert_eq!(
            names,
            ["h", "e", "l", "l", "o", "space", "1", "0", "enter", "f3", "key-240"]
        );
    }
}
