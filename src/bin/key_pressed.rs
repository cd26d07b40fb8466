//! key_pressed: key presses as the input devices report them, then the ten most
//! pressed keys. The kernel side is bpf/key_pressed.bpf.c.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_prefix;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::local_time_hms;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::preflight;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::skel::key_pressed::types::event;
use ebpf_tracers::skel::key_pressed::KeyPressedSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Show key presses as input devices report them, and the ten most pressed keys.
#[derive(Debug, Parser)]
#[command(name = "key_pressed", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    key_pressed               # every key pressed, then the top 10 at Ctrl-C
    key_pressed -d 60 --json

Presses only: not releases or auto-repeats. The kprobe on input_event sees every
input device, virtual ones (uinput) too. Needs a kernel with kprobes: there is
no tracepoint for input events. What is typed may be secret: this is a key
logger, as any tool that can see key presses is.";

const TOP: usize = 10;

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("key_pressed", |args: &Args| {
        let tracefs = tool::prepare(args.stream.run.verbose)?;
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
            tool::load::<KeyPressedSkelBuilder>(Loading::stream(&filters, &args.stream), |_| {
                Ok(())
            })?;
        let header = format!("{:<8} {:<12} {:>5} DEVICE", "TIME", "KEY", "CODE");
        let spec = StreamSpec::new("key presses (kprobe input_event)", header, &args.stream);
        tracing.stream(spec, |output, data| {
            let Some(event) = decode_prefix::<event>(data, std::mem::size_of::<event>()) else {
                return Ok(());
            };
            let time = local_time_hms();
            let key = key_name(event.code);
            let device = escape(c_bytes(&event.device));
            let line = if args.stream.output.json {
                JsonLine::new()
                    .str("time", &time)
                    .str("key", &key)
                    .uint("code", event.code.into())
                    .str("device", &device)
                    .finish()
            } else {
                format!("{time:<8} {key:<12} {:>5} {device}", event.code)
            };
            output.line(&line)
        })?;
        let counts = maps::percpu_hash_sums(&tracing.maps.presses)?;
        let mut keys: Vec<(u32, u64)> = counts
            .into_iter()
            .filter_map(|(code, sums)| {
                let code = u32::from_ne_bytes(code.get(..4)?.try_into().ok()?);
                Some((code, sums.first().copied().unwrap_or(0)))
            })
            .collect();
        keys = maps::top_n(keys, TOP, |&(code, presses)| (presses, code));
        print_top(&Output::new(), &keys, args.stream.output.json).context("cannot print the top")
    })
}

/// The most pressed keys, after the stream: a table, or one JSON object.
fn print_top(output: &Output, keys: &[(u32, u64)], json: bool) -> std::io::Result<()> {
    if json {
        let rows: Vec<String> = keys
            .iter()
            .map(|&(code, presses)| {
                JsonLine::new()
                    .str("key", &key_name(code))
                    .uint("presses", presses)
                    .finish()
            })
            .collect();
        output.line(&JsonLine::new().objects("top", &rows).finish())?;
    } else {
        output.line("")?;
        output.line(&format!("{:<12} {:>8}", "TOP KEY", "PRESSES"))?;
        for &(code, presses) in keys {
            output.line(&format!("{:<12} {presses:>8}", key_name(code)))?;
        }
    }
    output.flush()
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
