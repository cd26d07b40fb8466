//! bashreadline against a bash the test drives through a pseudo-terminal (catalogue
//! row: bashreadline).

use crate::helpers::terminal::Terminal;
use crate::helpers::*;

const BASHREADLINE: &str = env!("CARGO_BIN_EXE_bashreadline");

#[test]
fn a_typed_command_line_appears_with_its_shell_and_user() {
    tracer_test!();
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

record_test!(bashreadline, |tool, stop, comm| {
    let bash = unique_copy_of("/bin/bash", "bash");
    let line = format!("echo {comm}");
    let lines = json_while(tool, stop, &["--json", "-s", &bash], || {
        let mut terminal = Terminal::open(&bash);
        terminal.type_line(&line);
        terminal.exit();
    });
    Shown::Event(lines, "command", line.into())
});
