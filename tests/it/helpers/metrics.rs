//! Scraping a tool's --metrics-addr as Prometheus would, and checking the exposition
//! with Prometheus' own promtool.

use std::io::Read;
use std::io::Write;
use std::net::TcpListener;
use std::net::TcpStream;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use super::harness::IN_GUEST;

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("cannot find a free port")
        .port()
}

/// One HTTP/1.0 request for `path`: the status code and the body (None: no answer).
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(stream) => stream,
        Err(err) => {
            eprintln!("GET {path}: cannot connect: {err}");
            return None;
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    // A server may reset the connection once it has answered: what came counts.
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        eprintln!("GET {path}: no answer ({read:?})");
        return None;
    }
    let response = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        eprintln!("GET {path}: not an HTTP answer: {response:?}");
        return None;
    };
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// Scrapes /metrics until the exposition satisfies `wanted` (None at the deadline).
pub fn scrape_until(port: u16, timeout: Duration, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some((200, body)) = get(port, "/metrics") {
            if wanted(&body) {
                return Some(body);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The value of the sample `name{labels}` (labels in any order, all of them given).
pub fn sample(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = match series.split_once('{') {
            Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric != name {
            return None;
        }
        let mut found: Vec<String> = rest
            .split("\",")
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.trim_end_matches('"').replacen("=\"", "=", 1))
            .collect();
        let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        found.sort();
        wanted.sort();
        (found == wanted).then(|| value.parse().ok()).flatten()
    })
}

/// Fails unless `promtool check metrics` accepts `exposition` (promtool comes with
/// Debian's prometheus package, which scripts/install-deps.sh installs).
///
/// On the host only: the exposition is user-space text, the same on every kernel, and
/// promtool (a Go binary) takes about 4 s to start under the guests' software
/// emulation. The host runs every test that calls this; the guests still scrape every
/// tool and check its samples.
pub fn assert_promtool_accepts(tool: &str, exposition: &str) {
    if std::env::var_os(IN_GUEST).is_some() {
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run promtool (scripts/install-deps.sh installs package prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{tool}: promtool check metrics refused the exposition:\n{}{}\n{exposition}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
