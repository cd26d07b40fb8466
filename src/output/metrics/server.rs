//! The HTTP side of --metrics-addr: hyper on a single-threaded tokio runtime in a thread
//! of its own, beside the tool's loop. Every connection is a task, and none can hold
//! the server up or take it from a real scraper:
//!
//! - a request's head must arrive within `HEADER_READ_TIMEOUT` (an idle keep-alive
//!   connection is closed after it too: Prometheus simply reconnects);
//! - an answer the client does not take is dropped once a write has waited
//!   `WRITE_TIMEOUT` (tokio-io-timeout);
//! - at most `MAX_CONNECTIONS` are open: a new connection past it closes another, never
//!   the newcomer: one that never sent a request first, else the one that has gone
//!   longest without sending one (idle, or never reading its answer), so idle and
//!   stalled clients cannot take every slot from a scraper;
//! - the answer's body is the exposition encoded once per snapshot and shared by every
//!   connection (`Bytes`), so memory grows with snapshots, not with clients.
//!
//! With --web-config (web_config.rs) it speaks TLS (rustls, through tokio-rustls; the
//! handshake is held to the header timeout) and asks for basic authentication (401
//! without it). hyper answers malformed requests with 400 itself.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::task::Context;
use std::task::Poll;
use std::thread;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context as _;
use anyhow::Result;
use hyper::body::Body;
use hyper::body::Bytes;
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::body::SizeHint;
use hyper::header::HeaderValue;
use hyper::header::AUTHORIZATION;
use hyper::header::CONTENT_TYPE;
use hyper::header::WWW_AUTHENTICATE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Method;
use hyper::Request;
use hyper::Response;
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;

use super::web_config::WebConfig;

/// A request's head must arrive within this long, also on an idle keep-alive connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A write that waits this long for the client to read is the end of the connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections open at once; a new one past this closes the least recently active.
pub const MAX_CONNECTIONS: usize = 128;

const CONTENT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a scrape gets: the exposition in parts (each shared, not copied), or an error.
pub type Exposition = fn() -> Result<Vec<Bytes>, String>;

/// Binds `addr` now (an error is one line) and answers `GET /metrics` with what
/// `exposition` returns at that moment, until the process ends. Returns the address
/// bound (port 0 becomes the port the kernel chose).
pub fn serve(addr: SocketAddr, exposition: Exposition, web: WebConfig) -> Result<SocketAddr> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the metrics server")?;
    let listener = {
        let _context = runtime.enter();
        listen(addr).with_context(|| format!("cannot serve metrics on {addr}"))?
    };
    let bound = listener
        .local_addr()
        .with_context(|| format!("cannot serve metrics on {addr}"))?;
    thread::Builder::new()
        .name("metrics".into())
        .spawn(move || runtime.block_on(accept(listener, exposition, web)))
        .context("cannot start the metrics server")?;
    Ok(bound)
}

/// One open connection: whether it has sent a request, when it last did (or
/// connected), and how to close it.
struct Open {
    requested: std::sync::atomic::AtomicBool,
    active: Mutex<Instant>,
    close: Notify,
}

impl Open {
    /// Where it stands for closing: one that never sent a request first, then the
    /// least recently active (a scraper being answered has just asked).
    fn eviction_order(&self) -> (bool, Instant) {
        (
            self.requested.load(std::sync::atomic::Ordering::Relaxed),
            *self.active.lock().unwrap_or_else(|p| p.into_inner()),
        )
    }
}

/// The open connections by number.
#[derive(Default)]
struct Connections {
    next: u64,
    open: BTreeMap<u64, Arc<Open>>,
}

impl Connections {
    /// Registers a new connection, closing the least recently active one first when
    /// every slot is taken.
    fn admit(&mut self) -> (u64, Arc<Open>) {
        if self.open.len() >= MAX_CONNECTIONS {
            let oldest = self
                .open
                .iter()
                .min_by_key(|(id, open)| (open.eviction_order(), **id))
                .map(|(id, _)| *id);
            if let Some(open) = oldest.and_then(|id| self.open.remove(&id)) {
                open.close.notify_one();
            }
        }
        let id = self.next;
        self.next += 1;
        let open = Arc::new(Open {
            requested: std::sync::atomic::AtomicBool::new(false),
            active: Mutex::new(Instant::now()),
            close: Notify::new(),
        });
        self.open.insert(id, Arc::clone(&open));
        (id, open)
    }
}

/// Connections the kernel holds for the server before it accepts them. std's 128 was
/// too few: 500 clients connecting at once in a slow guest filled it, and a scraper's
/// connection behind them waited for the kernel's retransmissions, seconds.
const BACKLOG: u32 = 4096;

/// Each connection's send buffer (the kernel doubles it): 128 KiB in flight keeps a
/// 1 MiB exposition within a second at up to 100 ms of round trip.
const SEND_BUFFER: u32 = 64 * 1024;

/// A listening socket on `addr` (SO_REUSEADDR, as std's; a backlog of `BACKLOG`).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    // Inherited by every connection: what the kernel buffers for a client that does not
    // read is bounded (and copied once), not the megabytes autotuning would grow to.
    socket.set_send_buffer_size(SEND_BUFFER)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn accept(listener: TcpListener, exposition: Exposition, web: WebConfig) {
    let tls = web.tls.map(TlsAcceptor::from);
    let auth = Arc::new(Auth::new(web.users));
    let connections = Arc::new(Mutex::new(Connections::default()));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, say: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (id, open) = lock(&connections).admit();
        let connections = Arc::clone(&connections);
        let tls = tls.clone();
        let auth = Arc::clone(&auth);
        tokio::spawn(async move {
            let mut stream = TimeoutStream::new(stream);
            stream.set_write_timeout(Some(WRITE_TIMEOUT));
            let stream = Box::pin(stream);
            // A client that goes away, times out or is closed for a newcomer ends its
            // connection; nothing else. The TLS handshake is held to the header
            // timeout too.
            tokio::select! {
                _ = async {
                    match tls {
                        Some(tls) => {
                            let handshake = tokio::time::timeout(HEADER_READ_TIMEOUT, tls.accept(stream));
                            if let Ok(Ok(stream)) = handshake.await {
                                serve_connection(stream, exposition, auth, &open).await;
                            }
                        }
                        None => serve_connection(stream, exposition, auth, &open).await,
                    }
                } => {}
                _ = open.close.notified() => {}
            }
            lock(&connections).open.remove(&id);
        });
    }
}

/// HTTP/1.1 on one connection (plain or TLS) until it ends.
async fn serve_connection<I>(io: I, exposition: Exposition, auth: Arc<Auth>, open: &Arc<Open>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let active = Arc::clone(open);
    let service = service_fn(move |request| {
        *active.active.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        active
            .requested
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let auth = Arc::clone(&auth);
        async move {
            if !auth.allows(&request).await {
                return Ok::<_, Infallible>(unauthorized());
            }
            answer(request, exposition).await
        }
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// Basic authentication (--web-config basic_auth_users): every request must name a
/// user and the password of its bcrypt hash. A hash takes tens of milliseconds to
/// check, so it is checked off the server's thread, two at a time, and a pair once
/// verified is remembered (a scraper pays it once, not per scrape; a flood of wrong
/// passwords waits its turn without holding up anyone already verified). An unknown
/// user costs a hash check too, so that the time does not tell which users exist.
struct Auth {
    users: BTreeMap<String, String>,
    verified: Mutex<std::collections::HashSet<(String, String)>>,
    /// Two checks at a time: a permit goes with the check into its thread, so a client
    /// that goes away does not free its place while its hash is still being checked.
    checking: Arc<tokio::sync::Semaphore>,
    /// What an unknown user's password is checked against: a hash of the cost of the
    /// configured ones, made once.
    unknown_user: String,
}

/// Verified pairs remembered; past this many the memory is cleared.
const VERIFIED_KEPT: usize = 64;

impl Auth {
    fn new(users: BTreeMap<String, String>) -> Self {
        let cost = users
            .values()
            .find_map(|hash| hash.parse::<bcrypt::HashParts>().ok())
            .map_or(bcrypt::DEFAULT_COST, |parts| parts.get_cost());
        let unknown_user = if users.is_empty() {
            String::new()
        } else {
            bcrypt::hash("", cost).unwrap_or_default()
        };
        Auth {
            users,
            verified: Mutex::new(Default::default()),
            checking: Arc::new(tokio::sync::Semaphore::new(2)),
            unknown_user,
        }
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<(String, String)>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn allows(&self, request: &Request<Incoming>) -> bool {
        if self.users.is_empty() {
            return true;
        }
        let Some(pair) = basic_credentials(request) else {
            return false;
        };
        if self.verified().contains(&pair) {
            return true;
        }
        let Ok(turn) = Arc::clone(&self.checking).acquire_owned().await else {
            return false;
        };
        // Verified by another request while this one waited?
        if self.verified().contains(&pair) {
            return true;
        }
        let known = self.users.get(&pair.0).cloned();
        let hash = known.clone().unwrap_or_else(|| self.unknown_user.clone());
        let password = pair.1.clone();
        let matches = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            bcrypt::verify(password, &hash).unwrap_or(false)
        })
        .await
        .unwrap_or(false)
            && known.is_some();
        if matches {
            let mut verified = self.verified();
            if verified.len() >= VERIFIED_KEPT {
                verified.clear();
            }
            verified.insert(pair);
        }
        matches
    }
}

/// The user and password of an `Authorization: Basic` header.
fn basic_credentials(request: &Request<Incoming>) -> Option<(String, String)> {
    use base64::Engine;
    let header = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn unauthorized() -> Response<Parts> {
    let mut response = text(StatusCode::UNAUTHORIZED, "Unauthorized\n");
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"ebpf-tracers\""),
    );
    response
}

fn lock(connections: &Mutex<Connections>) -> std::sync::MutexGuard<'_, Connections> {
    connections.lock().unwrap_or_else(|p| p.into_inner())
}

async fn answer(
    request: Request<Incoming>,
    exposition: Exposition,
) -> Result<Response<Parts>, Infallible> {
    let response = if request.uri().path() != "/metrics" {
        text(
            StatusCode::NOT_FOUND,
            "Not found: the metrics are at /metrics\n",
        )
    } else if !matches!(*request.method(), Method::GET | Method::HEAD) {
        text(StatusCode::METHOD_NOT_ALLOWED, "Only GET /metrics\n")
    } else {
        match exposition() {
            Ok(parts) => {
                let mut response = Response::new(Parts::new(parts));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT));
                response
            }
            Err(err) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{err}\n")),
        }
    };
    Ok(response)
}

fn text(status: StatusCode, body: &str) -> Response<Parts> {
    let mut response = Response::new(Parts::new(vec![Bytes::copy_from_slice(body.as_bytes())]));
    *response.status_mut() = status;
    response
}

/// A body of shared buffers, sent one after another (hyper queues each as it is).
pub struct Parts {
    parts: std::vec::IntoIter<Bytes>,
    len: u64,
}

impl Parts {
    fn new(parts: Vec<Bytes>) -> Self {
        let len = parts.iter().map(|part| part.len() as u64).sum();
        Parts {
            parts: parts.into_iter(),
            len,
        }
    }
}

impl Body for Parts {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let part = self.parts.next();
        if let Some(part) = &part {
            self.len -= part.len() as u64;
        }
        Poll::Ready(part.map(|part| Ok(Frame::data(part))))
    }

    fn is_end_stream(&self) -> bool {
        self.len == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
