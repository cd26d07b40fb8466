//! bashreadline against a bash the test drives through a pseudo-terminal (catalogue
//! row: bashreadline).

mod common;

use std::fs::File;
use std::io::Read;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::*;

const BASHREADLINE: &str = env!("CARGO_BIN_EXE_bashreadline");

/// An interactive bash on a pseudo-terminal, as a user at a terminal would have.
struct Terminal {
    child: std::process::Child,
    keyboard: File,
    screen: mpsc::Receiver<String>,
}

impl Terminal {
    fn open(bash: &str) -> Terminal {
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

    fn wait_for_prompt(&mut self) {
        let mut seen = String::new();
        while !seen.contains("ready> ") {
            match self.screen.recv_timeout(Duration::from_secs(20)) {
                Ok(text) => seen.push_str(&text),
                Err(_) => panic!("bash showed no prompt; the screen so far: {seen:?}"),
            }
        }
    }

    /// Types `line` and Enter, and waits for the next prompt.
    fn type_line(&mut self, line: &str) {
        self.keyboard
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.wait_for_prompt();
    }

    fn exit(mut self) -> u32 {
        let pid = self.child.id();
        self.keyboard.write_all(b"exit\n").unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "bash ended with {status:?}");
        pid
    }
}

#[test]
fn a_typed_command_line_appears_with_its_shell_and_user() {
    if !can_trace("bashreadline::a_typed_command_line_appears_with_its_shell_and_user") {
        return;
    }
    // A copy: the probe goes on the file -s names, and the copy is on a local
    // filesystem even where the root is shared from elsewhere (the vmtest guests).
    let bash = unique_copy_of("/bin/bash", "bash");
    let marker = unique_name("typed");
    let tracer = Tracer::start(BASHREADLINE, &["--json", "-s", &bash]);
    let mut terminal = Terminal::open(&bash);
    terminal.type_line(&format!("echo {marker}"));
    terminal.type_line("");
    let pid = terminal.exit();
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let mut lines = finished.json_lines();
    lines.retain(|line| line["pid"] == pid);
    let commands: Vec<&str> = lines.iter().filter_map(|l| l["command"].as_str()).collect();
    // The empty line is left out; exit is a line like any other.
    assert_eq!(
        commands,
        [format!("echo {marker}").as_str(), "exit"],
        "{}",
        finished.stdout
    );
    let typed = &lines[0];
    assert_eq!(typed["uid"], 0);
    assert_eq!(typed["user"], "root");
    assert_eq!(typed["comm"], "bash");
}

#[test]
fn a_missing_binary_is_refused_clearly() {
    let output = run(BASHREADLINE, &["-s", "/no/such/bash", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("-s /no/such/bash: no such file"),
        "{stderr}"
    );
}
