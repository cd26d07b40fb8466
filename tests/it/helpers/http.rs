//! Loopback HTTP as a scraper speaks it: a free port, one GET.
//!
//! Shared: the tests (`helpers::metrics`) and the bench (`bench/compare.rs` includes
//! this file).

use std::io::Read;
use std::io::Write;
use std::time::Duration;

/// A loopback port nothing listens on right now.
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// One HTTP/1.0 GET of `path` from 127.0.0.1:`port`, each read waiting up to
/// `timeout`: the status code and the body, or why there is none.
pub fn request(port: u16, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .map_err(|err| format!("cannot connect: {err}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|err| err.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|err| format!("cannot send: {err}"))?;
    // A server may reset the connection once it has answered: what came counts.
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        return Err(format!("no answer ({read:?})"));
    }
    let response = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return Err(format!("not an HTTP answer: {response:?}"));
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok((status, body.to_string()))
}
