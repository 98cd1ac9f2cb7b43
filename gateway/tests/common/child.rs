//! The `ketenpoort serve` binary as a child process: a configuration file in a temp dir with
//! both listeners on port 0, the bound addresses read from the child's stdout, its stderr
//! appended to a log file, and a way to kill it with SIGKILL or stop it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ketenpoort::proto::gateway_client::GatewayClient;
use ketenpoort::tenant::token_digest;
use tonic::transport::Channel;

use super::{AGB_A, AGB_A2, AGB_B, TOKEN_A, TOKEN_B};

/// How long a child may take to report its addresses, or to stop after SIGTERM.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// Writes `ketenpoort.toml` into `dir`: plaintext gRPC and admin on 127.0.0.1 port 0, the
/// store in `data_dir`, the loopback stand-in, and tenants a and b as in [`super::config`].
/// `extra` is appended (e.g. a `[messages]` table).
pub fn write_config(dir: &Path, data_dir: &Path, extra: &str) -> PathBuf {
    let text = format!(
        r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[vecozo]
mode = "loopback"

[[tenants]]
name = "a"
api_token_sha256 = "{a}"
agb_codes = ["{AGB_A}", "{AGB_A2}"]

[[tenants]]
name = "b"
api_token_sha256 = "{b}"
agb_codes = ["{AGB_B}"]
{extra}
"#,
        data = data_dir.display(),
        a = token_digest(TOKEN_A),
        b = token_digest(TOKEN_B),
    );
    let path = dir.join("ketenpoort.toml");
    std::fs::write(&path, text).expect("write the config file");
    path
}

/// A running `ketenpoort serve`.
pub struct ChildServer {
    process: Child,
    output: Arc<Mutex<String>>,
    /// The gRPC address it reported.
    pub grpc: SocketAddr,
    /// The admin HTTP address it reported.
    pub admin: SocketAddr,
    /// The operator console's address, when it reported one (`[console] listen`).
    pub console: Option<SocketAddr>,
}

/// Starts `ketenpoort serve --init --config CONFIG` with `env` added, stderr appended to `log`, and
/// waits (at most [`START_DEADLINE`]) for the two address lines on stdout.
pub fn spawn(config: &Path, env: &[(&str, &str)], log: &Path) -> ChildServer {
    spawn_command(
        Command::new(env!("CARGO_BIN_EXE_ketenpoort")),
        config,
        env,
        log,
    )
}

/// [`spawn`] under `prlimit --nofile=N:N` (util-linux), which runs the binary in its own
/// process: the child's open-files limit is `nofile`.
pub fn spawn_with_nofile(
    nofile: u64,
    config: &Path,
    env: &[(&str, &str)],
    log: &Path,
) -> ChildServer {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--nofile={nofile}:{nofile}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ketenpoort"));
    spawn_command(cmd, config, env, log)
}

fn spawn_command(mut cmd: Command, config: &Path, env: &[(&str, &str)], log: &Path) -> ChildServer {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the log file");
    // `--init`: the first start creates the store; later ones open it.
    cmd.arg("serve")
        .arg("--init")
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut process = cmd.spawn().expect("start ketenpoort serve");
    let stdout = process.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let output = Arc::new(Mutex::new(String::new()));
    // Reads every stdout line (the addresses, and anything else the child would print) until
    // the child's stdout closes, so the child never blocks on a full pipe; keeps them all.
    let kept = output.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Ok(mut k) = kept.lock() {
                k.push_str(&line);
                k.push('\n');
            }
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + START_DEADLINE;
    let (mut grpc, mut admin, mut console) = (None, None, None);
    while grpc.is_none() || admin.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(line) => line,
            Err(e) => {
                let _ = process.kill();
                let _ = process.wait();
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!("ketenpoort serve reported no addresses ({e}); its log:\n{log}");
            }
        };
        if let Some(a) = line.strip_prefix("admin listening on ") {
            admin = Some(a.parse().expect("an address"));
        } else if let Some(a) = line.strip_prefix("console listening on ") {
            console = Some(a.parse().expect("an address"));
        } else if let Some(a) = line.strip_prefix("listening on ") {
            grpc = Some(a.parse().expect("an address"));
        }
    }
    ChildServer {
        process,
        output,
        grpc: grpc.expect("set above"),
        admin: admin.expect("set above"),
        console,
    }
}

impl ChildServer {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Everything the child wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// A client of its gRPC address.
    pub async fn client(&self) -> GatewayClient<Channel> {
        GatewayClient::connect(format!("http://{}", self.grpc))
            .await
            .expect("connect")
            .max_decoding_message_size(64 * 1024 * 1024)
    }

    /// `kill -HUP`: asks the child to reload its tariff table.
    pub fn hangup(&self) {
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(self.process.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -HUP failed");
    }

    /// `kill -9`: the process ends at once, without flushing or closing anything.
    pub fn kill9(&mut self) {
        self.process.kill().expect("SIGKILL the child");
        self.process.wait().expect("reap the child");
    }

    /// SIGTERM, then waits (polling, at most [`START_DEADLINE`]) until the child exits;
    /// returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        self.signal_and_wait("-TERM")
    }

    /// SIGINT (Ctrl-C), then waits as [`ChildServer::terminate`] does.
    pub fn interrupt(&mut self) -> Option<i32> {
        self.signal_and_wait("-INT")
    }

    fn signal_and_wait(&mut self, signal: &str) -> Option<i32> {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.process.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(s) = self.process.try_wait().expect("try_wait") {
                return s.code();
            }
            assert!(
                Instant::now() < deadline,
                "ketenpoort serve did not stop within {START_DEADLINE:?} of kill {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}
