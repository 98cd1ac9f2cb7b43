//! The gRPC and admin listeners' connections, guarded against slow and idle clients and
//! against running out of file descriptors (issue 13, item 7).
//!
//! gRPC ([`grpc_incoming`]): one accept task takes connections while fewer than
//! `[server] max_connections` are open (lowered to what the open-files limit leaves room
//! for, [`connection_limit`]). Each new connection gets its own task for the TLS handshake and
//! the 24-byte HTTP/2 preface, which must both be done within `handshake_timeout_secs`;
//! only then is it handed to tonic. When the limit is reached, a new connection takes the
//! place of the oldest one still in its handshake, so connections that send nothing cannot
//! keep a real client out; when every open connection is past its handshake, new ones wait in
//! the kernel's backlog. A connection with no call in progress for `idle_timeout_secs` is
//! closed ([`Tracked`] counts the calls of a connection through [`ConnInfo`]); HTTP/2
//! keepalive (set on tonic's server) closes one whose peer stopped answering. A failing
//! `accept` (EMFILE, ENFILE, ENOBUFS, …) closes the oldest connection still in its handshake
//! (giving its descriptor back) and is retried after a pause that doubles from 10 ms to 1 s,
//! never in a busy loop.
//!
//! Admin HTTP ([`AdminListener`]): at most `admin_max_connections` at once, each closed
//! after `handshake_timeout_secs` without a byte either way, with the same accept back-off.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tonic::body::Body;
use tonic::codegen::{Bytes, Service, http};
use tonic::server::NamedService;
use tonic::transport::server::Connected;

/// What every HTTP/2 connection starts with (RFC 9113, 3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// File descriptors kept free for the store, the admin and console listeners, the VECOZO
/// client and the like, when the connection limit follows the open-files limit.
const RESERVED_FDS: u64 = 64;
/// The first and the longest pause after a failed `accept`.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// The limits of the gRPC listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once (already lowered to the open-files limit).
    pub max_connections: usize,
    /// Time for the TLS handshake and the HTTP/2 preface.
    pub handshake_timeout: Duration,
    /// Time without a call in progress after which a connection is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
}

/// `configured`, lowered to what the process's soft open-files limit leaves room for after
/// [`RESERVED_FDS`] and `others` (the admin connections), and at least 1. Where the limit
/// cannot be read (not Linux), `configured`.
pub fn connection_limit(configured: usize, others: usize) -> usize {
    match open_files_limit() {
        Some(limit) => {
            let room = limit
                .saturating_sub(RESERVED_FDS)
                .saturating_sub(others as u64);
            let room = usize::try_from(room).unwrap_or(usize::MAX);
            configured.min(room).max(1)
        }
        None => configured.max(1),
    }
}

/// The soft limit on open files, from `/proc/self/limits` ("Max open files").
fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&text)
}

fn parse_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    match soft {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

/// The calls in progress on one connection, and since when it has had none.
#[derive(Debug)]
pub struct Activity {
    calls: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            calls: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        }
    }

    /// Counts a call until the guard is dropped.
    fn begin(self: &Arc<Activity>) -> CallGuard {
        self.calls.fetch_add(1, Ordering::SeqCst);
        CallGuard(self.clone())
    }

    /// When the connection may be closed for idleness: `None` while a call is in progress.
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.calls.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let since = *self.idle_since.lock().unwrap_or_else(|p| p.into_inner());
        Some(since + timeout)
    }
}

/// A call in progress (see [`Activity::begin`]).
#[derive(Debug)]
struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a request knows about its connection (a request extension): the peer's address,
/// its TLS client certificates and the connection's calls in progress.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The peer's address.
    pub remote: Option<SocketAddr>,
    /// The client certificate chain presented in the TLS handshake, leaf first.
    pub peer_certs: Option<Arc<Vec<CertificateDer<'static>>>>,
    activity: Arc<Activity>,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// A gRPC connection past its handshake: the preface it read is given to tonic again, and it
/// ends itself (a read error) after the idle timeout without a call in progress. It holds
/// its place under the connection limit until dropped.
pub struct Connection {
    io: Io,
    /// How much of [`PREFACE`] tonic has read again.
    replayed: usize,
    info: ConnInfo,
    idle_timeout: Option<Duration>,
    idle_timer: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    /// True when the connection has been without a call for the idle timeout; otherwise
    /// the timer is set to wake the reader when that could next be the case.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(timeout) = self.idle_timeout else {
            return false;
        };
        loop {
            if self.idle_timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            match self.info.activity.idle_deadline(timeout) {
                Some(deadline) if deadline <= now => return true,
                Some(deadline) => self.idle_timer.as_mut().reset(deadline),
                // A call in progress: look again a timeout from now.
                None => self.idle_timer.as_mut().reset(now + timeout),
            }
        }
    }
}

impl Connected for Connection {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        self.info.clone()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.replayed < PREFACE.len() {
            let rest = &PREFACE[this.replayed..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.replayed += n;
            return Poll::Ready(Ok(()));
        }
        let read = match &mut this.io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        if read.is_pending() && this.idle_expired(cx) {
            tracing::debug!(remote = ?this.info.remote, "gRPC connection closed: idle");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no call in progress for the idle timeout",
            )));
        }
        read
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The TLS handshake (when `tls`) and the HTTP/2 preface of a new connection.
async fn handshake(
    mut tcp: TcpStream,
    remote: SocketAddr,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    permit: OwnedSemaphorePermit,
) -> io::Result<Connection> {
    // gRPC answers are several small frames; with Nagle on, the last waits for a delayed ACK.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "could not turn Nagle's algorithm off");
    }
    let mut preface = [0u8; PREFACE.len()];
    let (io, peer_certs) = match tls {
        None => {
            tcp.read_exact(&mut preface).await?;
            (Io::Plain(tcp), None)
        }
        Some(acceptor) => {
            let mut tls = acceptor.accept(tcp).await?;
            let certs = tls.get_ref().1.peer_certificates().map(|certs| {
                Arc::new(
                    certs
                        .iter()
                        .map(|c| c.clone().into_owned())
                        .collect::<Vec<_>>(),
                )
            });
            tls.read_exact(&mut preface).await?;
            (Io::Tls(Box::new(tls)), certs)
        }
    };
    if &preface != PREFACE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an HTTP/2 connection (no preface)",
        ));
    }
    let idle_timer = Box::pin(tokio::time::sleep(
        limits
            .idle_timeout
            .unwrap_or(Duration::from_secs(365 * 24 * 3600)),
    ));
    Ok(Connection {
        io,
        replayed: 0,
        info: ConnInfo {
            remote: Some(remote),
            peer_certs,
            activity: Arc::new(Activity::new()),
        },
        idle_timeout: limits.idle_timeout,
        idle_timer,
        _permit: permit,
    })
}

/// The connections of `listener`, past their handshake, for tonic's
/// `serve_with_incoming_shutdown` (see the module docs). The accept task ends when the
/// stream is dropped.
pub fn grpc_incoming(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
) -> impl tokio_stream::Stream<Item = io::Result<Connection>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(accept_grpc(listener, tls, limits, tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

async fn accept_grpc(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    tx: mpsc::Sender<io::Result<Connection>>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut handshakes = tokio::task::JoinSet::new();
    // Handshakes in progress, oldest first (finished ones are dropped lazily).
    let mut in_handshake: VecDeque<tokio::task::AbortHandle> = VecDeque::new();
    let mut backoff = Backoff::default();
    loop {
        while handshakes.try_join_next().is_some() {}
        while in_handshake.front().is_some_and(|h| h.is_finished()) {
            in_handshake.pop_front();
        }
        if in_handshake.len() > limits.max_connections {
            in_handshake.retain(|h| !h.is_finished());
        }
        // A free place, or (full) a handshake to make room; else wait for a place before
        // accepting, so that the connection waits in the backlog, not in a file descriptor.
        let mut permit = slots.clone().try_acquire_owned().ok();
        if permit.is_none() && in_handshake.iter().all(|h| h.is_finished()) {
            tokio::select! {
                p = slots.clone().acquire_owned() => permit = p.ok(),
                () = tx.closed() => return,
            }
        }
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = tx.closed() => return,
        };
        let (tcp, remote) = match accepted {
            Ok(a) => {
                backoff.succeeded();
                a
            }
            Err(e) => {
                drop(permit);
                if !Backoff::is_transient(&e) {
                    // Out of file descriptors (or memory): the oldest connection still in
                    // its handshake gives its descriptor back.
                    evict_oldest(&mut in_handshake);
                }
                backoff.failed(&e).await;
                continue;
            }
        };
        let permit = match permit {
            Some(p) => p,
            None => {
                // Full: the oldest connection still in its handshake gives up its place.
                evict_oldest(&mut in_handshake);
                // The evicted task gives its place back when it is dropped; should it have
                // finished its handshake just now, there is no room after all.
                let room = tokio::select! {
                    p = tokio::time::timeout(
                        limits.handshake_timeout,
                        slots.clone().acquire_owned(),
                    ) => p,
                    () = tx.closed() => return,
                };
                match room {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return,
                    Err(_) => {
                        tracing::debug!(%remote, "no room for the connection: closed");
                        continue;
                    }
                }
            }
        };
        let tx = tx.clone();
        let tls = tls.clone();
        let handle = handshakes.spawn(async move {
            let done = tokio::time::timeout(
                limits.handshake_timeout,
                handshake(tcp, remote, tls, limits, permit),
            )
            .await;
            match done {
                Ok(Ok(connection)) => {
                    let _ = tx.send(Ok(connection)).await;
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "gRPC handshake failed"),
                Err(_) => tracing::debug!(%remote, "gRPC handshake timed out"),
            }
        });
        in_handshake.push_back(handle);
    }
}

/// Closes the oldest connection of `in_handshake` that is still in its handshake.
fn evict_oldest(in_handshake: &mut VecDeque<tokio::task::AbortHandle>) {
    while let Some(oldest) = in_handshake.pop_front() {
        if !oldest.is_finished() {
            oldest.abort();
            tracing::debug!("the oldest connection still in its handshake is closed for room");
            return;
        }
    }
}

/// Pauses after failed `accept` calls: nothing for errors of the one connection (it went
/// away), else 10 ms doubling to 1 s, with a warning at the first failure of a run.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    /// True for errors of the one connection being accepted (it went away).
    fn is_transient(e: &io::Error) -> bool {
        matches!(
            e.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
                | io::ErrorKind::Interrupted
                | io::ErrorKind::WouldBlock
        )
    }

    async fn failed(&mut self, e: &io::Error) {
        if Backoff::is_transient(e) {
            return;
        }
        if self.failures == 0 {
            tracing::warn!(error = %e, "cannot accept connections; trying again with pauses");
        }
        self.failures = self.failures.saturating_add(1);
        let pause = ACCEPT_BACKOFF
            .0
            .saturating_mul(2u32.saturating_pow(self.failures.saturating_sub(1).min(10)))
            .min(ACCEPT_BACKOFF.1);
        tokio::time::sleep(pause).await;
    }

    fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "accepting connections again");
            self.failures = 0;
        }
    }
}

/// A gRPC service whose calls are counted per connection ([`ConnInfo`]), from the request
/// until the response body is done, for the idle timeout.
#[derive(Debug, Clone)]
pub struct Tracked<S>(pub S);

impl<S: NamedService> NamedService for Tracked<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for Tracked<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let guard = request
            .extensions()
            .get::<ConnInfo>()
            .map(|i| i.activity.begin());
        let response = self.0.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(match guard {
                Some(guard) => response.map(|inner| {
                    Body::new(TrackedBody {
                        inner,
                        _guard: guard,
                    })
                }),
                None => response,
            })
        })
    }
}

/// A response body that keeps its call counted until it is done or dropped.
struct TrackedBody {
    inner: Body,
    _guard: CallGuard,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The admin listener for `axum::serve` (see the module docs).
pub struct AdminListener {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    idle_timeout: Duration,
    backoff: Backoff,
}

impl AdminListener {
    /// At most `max_connections` connections of `listener` at once, each closed after
    /// `idle_timeout` without a byte read or written.
    pub fn new(listener: TcpListener, max_connections: usize, idle_timeout: Duration) -> Self {
        AdminListener {
            listener,
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            idle_timeout,
            backoff: Backoff::default(),
        }
    }
}

impl axum::serve::Listener for AdminListener {
    type Io = IdleClosing;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (IdleClosing, SocketAddr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                // The semaphore is never closed; should it be, stop taking connections.
                std::future::pending::<()>().await;
                continue;
            };
            match self.listener.accept().await {
                Ok((tcp, remote)) => {
                    self.backoff.succeeded();
                    let io = IdleClosing {
                        tcp,
                        timeout: self.idle_timeout,
                        timer: Box::pin(tokio::time::sleep(self.idle_timeout)),
                        _permit: permit,
                    };
                    return (io, remote);
                }
                Err(e) => self.backoff.failed(&e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// An admin connection that ends (a read error) after its timeout without a byte either
/// way; it holds its place under the admin connection limit until dropped.
pub struct IdleClosing {
    tcp: TcpStream,
    timeout: Duration,
    timer: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl IdleClosing {
    fn touched(&mut self) {
        let next = Instant::now() + self.timeout;
        self.timer.as_mut().reset(next);
    }
}

impl AsyncRead for IdleClosing {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "admin connection idle",
                ))),
                Poll::Pending => Poll::Pending,
            },
            ready => {
                this.touched();
                ready
            }
        }
    }
}

impl AsyncWrite for IdleClosing {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.tcp).poll_write(cx, buf);
        if written.is_ready() {
            this.touched();
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_files_limit_is_read_from_proc_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            256                  4096                 files     \n";
        assert_eq!(parse_open_files_limit(limits), Some(256));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files_limit(unlimited), Some(u64::MAX));
        assert_eq!(parse_open_files_limit("nothing"), None);
    }
}
