//! Writing what the tools print: buffered stdout shared by the event callbacks and the
//! main loop, terminal-safe escaping of kernel strings, log2 histograms.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io;
use std::io::BufWriter;
use std::io::Stdout;
use std::io::Write;

/// Buffered stdout: events are written as they come and flushed once per poll, so a
/// burst costs one write(2) per batch rather than per line.
pub struct Output {
    out: RefCell<BufWriter<Stdout>>,
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Output {
    pub fn new() -> Self {
        Self {
            out: RefCell::new(BufWriter::with_capacity(64 * 1024, io::stdout())),
        }
    }

    /// Writes one line (a newline is added).
    pub fn line(&self, text: &str) -> io::Result<()> {
        let mut out = self.out.borrow_mut();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    }

    /// The buffered stdout itself, for a serializer that writes into it.
    pub fn writer(&self) -> std::cell::RefMut<'_, BufWriter<Stdout>> {
        self.out.borrow_mut()
    }

    pub fn flush(&self) -> io::Result<()> {
        self.out.borrow_mut().flush()
    }
}

/// True when stdout is a pipe whose reader has gone (e.g. `| head -1` finished): the
/// tool stops then rather than waiting for its next write to fail.
pub fn stdout_closed() -> bool {
    let mut pollfd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let ready = unsafe { libc::poll(&mut pollfd, 1, 0) };
    ready > 0 && pollfd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

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

/// The -T column of a table line: `time` and a space, or nothing without -T.
pub fn time_cell(time: Option<&str>) -> String {
    time.map(|time| format!("{time:<8} ")).unwrap_or_default()
}

/// Local wall-clock time as HH:MM:SS, the -T column of the bcc tools.
pub fn local_time_hms() -> String {
    // SAFETY: time(NULL) and localtime_r into a zeroed tm we own.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return "??:??:??".into();
        }
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}

/// Renders a log2 histogram the way bcc's print_log2_hist does: one row per power of
/// two from the first to the last non-empty slot, with a 40-column bar.
/// Slot i counts values v with 2^(i-1) <= v < 2^i (slot 0 counts zeros).
pub fn log2_hist_lines(slots: &[u64], unit: &str) -> Vec<String> {
    const BAR_WIDTH: u64 = 40;
    let Some(last) = slots.iter().rposition(|&count| count > 0) else {
        return Vec::new();
    };
    let max = slots.iter().copied().max().unwrap_or(0).max(1);
    let label_width = if last <= 32 { 10 } else { 20 };
    // The unit is right-aligned over the "low -> high" column, as in bcc.
    let mut lines = vec![format!(
        "{:>width$} : count    distribution",
        unit,
        width = 2 * label_width + 4
    )];
    for (slot, &count) in slots.iter().enumerate().take(last + 1) {
        let (low, high) = slot_range(slot);
        let stars = (count * BAR_WIDTH / max) as usize;
        lines.push(format!(
            "{low:>lw$} -> {high:<lw$} : {count:<8} |{:<bw$}|",
            "*".repeat(stars),
            lw = label_width,
            bw = BAR_WIDTH as usize
        ));
    }
    lines
}

/// The values a log2 slot counts: slot 0 is 0, slot i is 2^(i-1) ..= 2^i - 1.
pub fn slot_range(slot: usize) -> (u64, u64) {
    match slot {
        0 => (0, 0),
        s if s >= 64 => (1u64 << 63, u64::MAX),
        s => (1u64 << (s - 1), (1u64 << s) - 1),
    }
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

    /// The BPF side's bucketing (log2_slot() in bpf/kmalloc_bytes.bpf.c), to check
    /// that the printed ranges hold what the kernel put in each slot.
    fn log2_slot(value: u64) -> usize {
        (64 - value.leading_zeros()) as usize
    }

    #[test]
    fn log2_slots_and_ranges_agree() {
        assert_eq!(log2_slot(0), 0);
        assert_eq!(log2_slot(1), 1);
        assert_eq!(log2_slot(2), 2);
        assert_eq!(log2_slot(3), 2);
        assert_eq!(log2_slot(1024), 11);
        for value in [1u64, 2, 3, 7, 8, 1000, 4096, 1 << 40] {
            let (low, high) = slot_range(log2_slot(value));
            assert!(low <= value && value <= high, "{value} in {low}..={high}");
        }
    }

    #[test]
    fn histogram_spans_first_to_last_used_slot() {
        let mut slots = vec![0u64; 64];
        slots[3] = 10; // 4..7
        slots[5] = 5; // 16..31
        let lines = log2_hist_lines(&slots, "bytes");
        assert!(lines[0].contains("bytes") && lines[0].contains("distribution"));
        assert_eq!(lines.len(), 1 + 6, "{lines:#?}");
        assert!(lines[4].contains("4 -> 7") && lines[4].contains(&"*".repeat(40)));
        assert!(lines[6].contains("16 -> 31") && lines[6].contains(&"*".repeat(20)));
        assert!(log2_hist_lines(&[0, 0], "x").is_empty());
    }
}
