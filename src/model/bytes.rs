//! The kernel's byte strings as text: C strings up to their NUL, and bytes escaped so
//! that no terminal control, invalid UTF-8 or backslash can pass for something else.

use std::fmt::Write;

/// The bytes of a C string from the kernel: up to the first NUL, or all of them.
pub fn c_bytes(raw: &[i8]) -> &[u8] {
    until_nul(as_bytes(raw))
}

/// A C char array from a generated type, as bytes.
pub fn as_bytes(raw: &[i8]) -> &[u8] {
    // SAFETY: i8 and u8 have the same size and alignment.
    unsafe { std::slice::from_raw_parts(raw.as_ptr().cast(), raw.len()) }
}

/// A byte buffer up to its first NUL (map keys holding a comm, say).
pub fn until_nul(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// Makes kernel bytes (paths, comms) safe for a terminal: control characters, DEL, C1
/// controls and invalid UTF-8 become `\xNN`, and a backslash becomes `\\`, so the
/// output is unambiguous and cannot move the cursor or change colours.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_terminal_controls() {
        assert_eq!(escape(b"/tmp/a\x1b[31mred"), "/tmp/a\\x1b[31mred");
        assert_eq!(escape(b"tab\there"), "tab\\x09here");
        assert_eq!(escape(b"back\\slash"), "back\\\\slash");
        assert_eq!(escape(b"caf\xc3\xa9"), "caf\u{e9}");
        assert_eq!(escape(b"bad\xffbyte"), "bad\\xffbyte");
        // C1 control U+009B (CSI) is as dangerous as ESC [ on some terminals.
        assert_eq!(escape("x\u{9b}y".as_bytes()), "x\\xc2\\x9by");
    }

    #[test]
    fn c_bytes_stops_at_nul() {
        let raw = [b'a' as i8, b'b' as i8, 0, b'c' as i8];
        assert_eq!(c_bytes(&raw), b"ab");
        let full = [b'x' as i8; 4];
        assert_eq!(c_bytes(&full), b"xxxx");
    }
}
