//! The kernel's trace buffer as read through tracefs/trace_pipe: where bpf_printk
//! writes. Reading consumes what is read (for every reader), so one reader at a time
//! sees a given line.

use std::fs::File;
use std::fs::OpenOptions;
use std::io;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use nix::poll::PollFd;
use nix::poll::PollFlags;
use nix::poll::PollTimeout;

/// An open trace_pipe, handing out whole lines.
pub struct TracePipe {
    file: File,
    /// The start of a line whose end has not been read yet.
    partial: Vec<u8>,
}

impl TracePipe {
    pub fn open(tracefs: &Path) -> Result<Self> {
        let path = tracefs.join("trace_pipe");
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
        {
            Err(err) if err.raw_os_error() == Some(libc::EBUSY) => anyhow::bail!(
                "{} is busy: another reader has it open (cat, bpftool prog tracelog, \
                 another hello); stop it first",
                path.display()
            ),
            opened => opened.with_context(|| format!("cannot open {}", path.display()))?,
        };
        Ok(Self {
            file,
            partial: Vec::new(),
        })
    }

    /// The lines that arrive within `timeout` (none if nothing did).
    pub fn read_lines(&mut self, timeout: Duration) -> io::Result<Vec<String>> {
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(Vec::new()),
            Ok(_) => {}
            Err(errno) => return Err(errno.into()),
        }
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.partial.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => break,
                Err(err) => return Err(err),
            }
        }
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        Ok(String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

/// One bpf_printk line: `COMM-PID [CPU] FLAGS SECONDS: bpf_trace_printk: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintkLine {
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    /// Seconds since boot, as the kernel printed them.
    pub timestamp: String,
    pub message: String,
}

impl PrintkLine {
    /// None for anything but a bpf_printk line (other tracers, lost-event notes).
    pub fn parse(line: &str) -> Option<Self> {
        let (head, message) = line.split_once(": bpf_trace_printk: ")?;
        // The task's name may hold spaces and dashes: take the fields from the right.
        let (rest, timestamp) = split_last_field(head)?;
        let (rest, _flags) = split_last_field(rest)?;
        let (task, cpu) = split_last_field(rest)?;
        let cpu = cpu.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
        let (comm, pid) = task.trim().rsplit_once('-')?;
        Some(Self {
            comm: comm.to_string(),
            pid: pid.parse().ok()?,
            cpu,
            timestamp: timestamp.trim_end_matches(':').to_string(),
            message: message.to_string(),
        })
    }
}

/// `text` without its last whitespace-separated field, and that field.
fn split_last_field(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_end();
    let at = text.rfind(char::is_whitespace)?;
    Some((&text[..at], &text[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printk_lines_parse_from_the_right() {
        let line =
            "           <...>-1234    [001] d..31  12345.678901: bpf_trace_printk: hello world #7";
        let parsed = PrintkLine::parse(line).unwrap();
        assert_eq!(parsed.comm, "<...>");
        assert_eq!(parsed.pid, 1234);
        assert_eq!(parsed.cpu, 1);
        assert_eq!(parsed.timestamp, "12345.678901");
        assert_eq!(parsed.message, "hello world #7");

        let dashed = " my-tool x-99 [000] .... 5.000001: bpf_trace_printk: hi";
        let parsed = PrintkLine::parse(dashed).unwrap();
        assert_eq!((parsed.comm.as_str(), parsed.pid), ("my-tool x", 99));

        assert!(PrintkLine::parse("CPU:1 [LOST 3 EVENTS]").is_none());
    }
}
