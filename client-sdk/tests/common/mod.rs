//! Shared by the SDK's tests: a dev-mode gateway (the `ketenpoort` library) started
//! in-process on 127.0.0.1 with a temp data dir, and stopped through its shutdown future.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use ketenpoort::config::Config;
use ketenpoort::server::Gateway;
use ketenpoort_client::Client;
use tokio::sync::oneshot;

/// A running gateway (dev mode unless started with [`DevGateway::serve`]).
pub struct DevGateway {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ketenpoort::Error>>>,
}

/// The dev configuration (token `dev` for every AGB code) on `dir`, with the loopback
/// stand-in instead of dev mode's built-in simulator.
///
/// The cross-message rules are off, as in the gateway's own tests: the loopback stand-in
/// receives no allocations (301), so a 305/307/317/323 could never pass them, and these tests
/// are about the SDK, not the rules (gateway/tests/it/cross_rules.rs is).
pub fn dev_config(dir: &std::path::Path) -> Config {
    let mut c = Config::dev();
    c.server.data_dir = dir.to_owned();
    c.vecozo.mode = Some(ketenpoort::config::VecozoMode::Loopback);
    c.messages.cross_message_rules = false;
    c
}

/// Starts a dev-mode gateway on port 0 with a new temp data dir.
pub async fn start_dev() -> DevGateway {
    start_dev_in(tempfile::tempdir().expect("temp dir"), None).await
}

/// Starts a dev-mode gateway on the store in `dir`, on `addr` (port 0 when `None`).
pub async fn start_dev_in(dir: tempfile::TempDir, addr: Option<SocketAddr>) -> DevGateway {
    let gateway = Gateway::open(dev_config(dir.path())).expect("gateway opens");
    let listener = bind(addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))).await;
    DevGateway::serve(gateway, listener, dir)
}

/// Binds `addr`, retrying for a while: a port just released may take a moment.
pub async fn bind(addr: SocketAddr) -> tokio::net::TcpListener {
    let mut last = None;
    for _ in 0..50 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot bind {addr}: {last:?}");
}

impl DevGateway {
    /// Serves an opened gateway (whose store is in `dir`) on `listener`.
    pub fn serve(
        gateway: Gateway,
        listener: tokio::net::TcpListener,
        dir: tempfile::TempDir,
    ) -> DevGateway {
        let addr = listener.local_addr().expect("addr");
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.serve(listener, None, async {
            let _ = rx.await;
        }));
        DevGateway {
            addr,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A dev-mode SDK client for this gateway.
    pub async fn client(&self) -> Client {
        Client::connect_dev(self.addr.to_string())
            .await
            .expect("connect")
    }

    /// Stops the gateway (waiting until its store is closed) and returns its data dir.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        self.shutdown().await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// Stops the gateway and waits for it.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(15), t)
                .await
                .expect("gateway stops within 15 s")
                .expect("gateway task did not panic");
            r.expect("gateway ran without error");
        }
    }
}
