//! key_pressed against a virtual keyboard the test makes with uinput and types on
//! (catalogue row: key_pressed). It needs kprobes: on a kernel without them (the 6.18
//! build machine) the test checks the refusal instead; the vmtest guests run it.

use crate::helpers::keyboard::VirtualKeyboard;
use crate::helpers::*;

const KEY_PRESSED: &str = env!("CARGO_BIN_EXE_key_pressed");

#[test]
fn typed_keys_appear_in_order_and_the_top_counts_them() {
    tracer_test!();
    if !kernel_has_kprobes() {
        let output = run(KEY_PRESSED, &["-d", "1"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("kernel has no kprobes"), "{stderr}");
        return;
    }
    let name = format!("ebpf-tracers test keyboard {}", std::process::id());
    let _turn = exclusive(Resource::Keyboard);
    let mut keyboard = VirtualKeyboard::create(&name);
    let tracer = Tracer::start(KEY_PRESSED, &["--json"]);
    // h e l l o
    for code in [35, 18, 38, 38, 24] {
        keyboard.tap(code);
    }
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let lines = finished.json_lines();
    let typed: Vec<&str> = lines
        .iter()
        .filter(|line| line["device"] == name.as_str())
        .filter_map(|line| line["key"].as_str())
        .collect();
    assert_eq!(typed, ["h", "e", "l", "l", "o"], "{}", finished.stdout);
    let top = lines
        .last()
        .filter(|line| line["scope"] == "total")
        .and_then(|line| line["rows"].as_array())
        .unwrap_or_else(|| panic!("no top at the end: {}", finished.stdout));
    assert_eq!(top[0]["key"], "l", "{top:?}");
    assert_eq!(top[0]["presses"], 2, "{top:?}");
}

record_test!(key_pressed, |tool, stop, comm| {
    if !kernel_has_kprobes() {
        return Shown::NeedsKprobes;
    }
    let _turn = exclusive(Resource::Keyboard);
    let mut keyboard = VirtualKeyboard::create(&comm);
    let lines = json_while(tool, stop, &["--json"], || keyboard.tap(35));
    assert!(shows(&lines, "key", &"h".into()), "no top row: {lines:?}");
    Shown::Event(lines, "device", comm.clone().into())
});
