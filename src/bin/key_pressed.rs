//! key_pressed: key presses as the input devices report them, then the ten most
//! pressed keys. The kernel side is bpf/key_pressed.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::maps;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::preflight;
use ebpf_tracers::preflight::KernelFeatures;
use ebpf_tracers::report;
use ebpf_tracers::report::Ranking;
use ebpf_tracers::report::ReportSpec;
use ebpf_tracers::skel::key_pressed::types::event;
use ebpf_tracers::skel::key_pressed::KeyPressedSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::key_pressed::Args;
use ebpf_tracers::tools::key_pressed::Key;
use ebpf_tracers::tools::key_pressed::KeyPress;
use ebpf_tracers::tools::key_pressed::Presses;
use ebpf_tracers::tools::key_pressed::TOOL;

const TOP: u32 = 10;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
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
            let presses = maps::percpu_hash_sums(&tracing.maps.presses)?;
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
