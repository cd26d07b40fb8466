//! key_pressed against a virtual keyboard the test makes with uinput and types on
//! (catalogue row: key_pressed). It needs kprobes: on a kernel without them (the 6.18
//! build machine) the test checks the refusal instead; the vmtest guests run it.

mod common;

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsRawFd;

use common::*;

const KEY_PRESSED: &str = env!("CARGO_BIN_EXE_key_pressed");

// include/uapi/linux/input-event-codes.h and uinput.h
const EV_SYN: u16 = 0;
const EV_KEY: u16 = 1;
const BUS_VIRTUAL: u16 = 6;
const UI_DEV_CREATE: libc::c_ulong = 0x5501;
const UI_DEV_DESTROY: libc::c_ulong = 0x5502;
/// _IOW('U', 3, struct uinput_setup), 92 bytes.
const UI_DEV_SETUP: libc::c_ulong = 0x405c_5503;
const UI_SET_EVBIT: libc::c_ulong = 0x4004_5564;
const UI_SET_KEYBIT: libc::c_ulong = 0x4004_5565;

/// A keyboard that exists only in the kernel, fed by the test through /dev/uinput.
struct VirtualKeyboard {
    device: File,
}

impl VirtualKeyboard {
    fn create(name: &str) -> VirtualKeyboard {
        let device = OpenOptions::new()
            .write(true)
            .open("/dev/uinput")
            .unwrap_or_else(|e| {
                panic!("cannot open /dev/uinput (is the uinput module loaded?): {e}")
            });
        let fd = device.as_raw_fd();
        // SAFETY: uinput ioctls on an fd we own, with the argument types they take.
        unsafe {
            assert_eq!(libc::ioctl(fd, UI_SET_EVBIT, libc::c_int::from(EV_KEY)), 0);
            for code in 1..128 {
                assert_eq!(libc::ioctl(fd, UI_SET_KEYBIT, code as libc::c_int), 0);
            }
            let mut setup: libc::uinput_setup = std::mem::zeroed();
            setup.id.bustype = BUS_VIRTUAL;
            for (slot, byte) in setup.name.iter_mut().zip(name.bytes()) {
                *slot = byte as libc::c_char;
            }
            assert_eq!(libc::ioctl(fd, UI_DEV_SETUP, &setup), 0, "UI_DEV_SETUP");
            assert_eq!(libc::ioctl(fd, UI_DEV_CREATE), 0, "UI_DEV_CREATE");
        }
        VirtualKeyboard { device }
    }

    fn event(&mut self, kind: u16, code: u16, value: i32) {
        // SAFETY: input_event is plain integers; zero is a valid time (the kernel
        // stamps it).
        let mut event: libc::input_event = unsafe { std::mem::zeroed() };
        event.type_ = kind;
        event.code = code;
        event.value = value;
        // SAFETY: the bytes of a live repr(C) struct of its size.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&event as *const libc::input_event).cast::<u8>(),
                std::mem::size_of::<libc::input_event>(),
            )
        };
        self.device.write_all(bytes).unwrap();
    }

    /// Press and release, as a key on a real keyboard would report them.
    fn tap(&mut self, code: u16) {
        for value in [1, 0] {
            self.event(EV_KEY, code, value);
            self.event(EV_SYN, 0, 0);
        }
    }
}

impl Drop for VirtualKeyboard {
    fn drop(&mut self) {
        // SAFETY: destroys the device this fd created.
        unsafe { libc::ioctl(self.device.as_raw_fd(), UI_DEV_DESTROY) };
    }
}

#[test]
fn typed_keys_appear_in_order_and_the_top_counts_them() {
    if !can_trace("key_pressed::typed_keys_appear_in_order_and_the_top_counts_them") {
        return;
    }
    if !kernel_has_kprobes() {
        let output = run(KEY_PRESSED, &["-d", "1"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("kernel has no kprobes"), "{stderr}");
        return;
    }
    let name = format!("ebpf-tracers test keyboard {}", std::process::id());
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
        .and_then(|line| line["top"].as_array())
        .unwrap_or_else(|| panic!("no top at the end: {}", finished.stdout));
    assert_eq!(top[0]["key"], "l", "{top:?}");
    assert_eq!(top[0]["presses"], 2, "{top:?}");
}
