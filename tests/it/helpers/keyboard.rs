//! A keyboard that exists only in the kernel (uinput), typed on by a test (key_pressed).

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsRawFd;

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
pub struct VirtualKeyboard {
    device: File,
}

impl VirtualKeyboard {
    pub fn create(name: &str) -> VirtualKeyboard {
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
    pub fn tap(&mut self, code: u16) {
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
