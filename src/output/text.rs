//! Writing what the tools print: buffered stdout shared by the event callbacks and the
//! main loop, terminal-safe escaping of kernel strings, log2 histograms.

use std::cell::RefCell;
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
