//! The HTTP side of --metrics-addr: hyper on a single-threaded tokio runtime in a thread
//! of its own, beside the tool's loop. Every connection is a task, so a client that
//! never finishes its request, or never reads the answer, holds only its own task;
//! the header-read timeout closes it, and at most `MAX_CONNECTIONS` are open at once
//! (more are closed on accept). hyper answers malformed requests with 400 itself.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Method;
use hyper::Request;
use hyper::Response;
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A request's head must arrive within this long (an idle keep-alive connection is
/// closed after it, too: Prometheus simply reconnects).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections open at once; more are closed as soon as they are accepted.
pub const MAX_CONNECTIONS: usize = 64;

const CONTENT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Binds `addr` now (an error is one line) and answers `GET /metrics` with what
/// `exposition` returns at that moment, until the process ends.
pub fn serve(addr: SocketAddr, exposition: fn() -> Result<String, String>) -> Result<()> {
    let listener = StdListener::bind(addr)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .with_context(|| format!("cannot serve metrics on {addr}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the metrics server")?;
    thread::Builder::new()
        .name("metrics".into())
        .spawn(move || runtime.block_on(accept(listener, exposition)))
        .context("cannot start the metrics server")?;
    Ok(())
}

async fn accept(listener: StdListener, exposition: fn() -> Result<String, String>) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, say: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            continue; // dropped: closed
        };
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, exposition));
            // A client that goes away or times out ends its connection; nothing else.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    exposition: fn() -> Result<String, String>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = if request.uri().path() != "/metrics" {
        text(
            StatusCode::NOT_FOUND,
            "Not found: the metrics are at /metrics\n".into(),
        )
    } else if !matches!(*request.method(), Method::GET | Method::HEAD) {
        text(StatusCode::METHOD_NOT_ALLOWED, "Only GET /metrics\n".into())
    } else {
        match exposition() {
            Ok(body) => {
                let mut response = text(StatusCode::OK, body);
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT));
                response
            }
            Err(err) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")),
        }
    };
    Ok(response)
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}
