//! An interactive bash on a pseudo-terminal, driven by a test (bashreadline).

use std::fs::File;
use std::io::Read;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

/// An interactive bash on a pseudo-terminal, as a user at a terminal would have.
pub struct Terminal {
    child: std::process::Child,
    keyboard: File,
    screen: mpsc::Receiver<String>,
}

impl Terminal {
    pub fn open(bash: &str) -> Terminal {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        let mut command = Command::new(bash);
        command
            .args(["--norc", "--noprofile", "-i"])
            .env("TERM", "dumb")
            .env("PS1", "ready> ")
            .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave));
        // SAFETY: setsid and ioctl are async-signal-safe; the terminal becomes the new
        // session's controlling terminal, as a login would make it.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = command.spawn().expect("cannot start bash");
        let mut screen = File::from(pty.master);
        let keyboard = screen.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = screen.read(&mut buf) {
                if n == 0
                    || tx
                        .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                        .is_err()
                {
                    break;
                }
            }
        });
        let mut terminal = Terminal {
            child,
            keyboard,
            screen: rx,
        };
        terminal.wait_for_prompt();
        terminal
    }

    pub fn wait_for_prompt(&mut self) {
        let mut seen = String::new();
        while !seen.contains("ready> ") {
            match self.screen.recv_timeout(Duration::from_secs(20)) {
                Ok(text) => seen.push_str(&text),
                Err(_) => panic!("bash showed no prompt; the screen so far: {seen:?}"),
            }
        }
    }

    /// Types `line` and Enter, and waits for the next prompt.
    pub fn type_line(&mut self, line: &str) {
        self.keyboard
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.wait_for_prompt();
    }

    pub fn exit(mut self) -> u32 {
        let pid = self.child.id();
        self.keyboard.write_all(b"exit\n").unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "bash ended with {status:?}");
        pid
    }
}
