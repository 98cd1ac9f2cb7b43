//! Log colour of the `ketenpoort` binary: ANSI escapes only when its log goes to a terminal, and
//! not even there with `NO_COLOR` set. The terminal is a pseudo-terminal made by util-linux
//! `script`; without it the terminal cases are skipped with a message.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `args` (through `script` when `terminal`) with `env`, until its output contains
/// `until` or 60 s passed, then kills it; returns what it wrote.
fn output_of(args: &[String], env: &[(&str, &str)], terminal: bool, until: &str) -> String {
    let mut cmd = if terminal {
        let line = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut c = Command::new("script");
        c.args(["-qefc", &line, "/dev/null"]);
        c
    } else {
        let mut c = Command::new(&args[0]);
        c.args(&args[1..]);
        c
    };
    cmd.env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for mut pipe in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while !String::from_utf8_lossy(&out).contains(until) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => out.extend(chunk),
            Err(_) => break,
        }
    }
    // Through `script` the gateway is the child of `script`, in a session of its own: a
    // killed `script` left it running (two gateways leaked per run). Stop it first.
    // The gateway, and the shell `script` may have started it through.
    let mut kids = Vec::new();
    if terminal {
        let mut parents = vec![child.id()];
        while let Some(parent) = parents.pop() {
            let found = children_of(parent);
            parents.extend(&found);
            kids.extend(found);
        }
    }
    for pid in &kids {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let _ = child.kill();
    let _ = child.wait();
    let stopped = Instant::now() + Duration::from_secs(30);
    while kids.iter().any(|pid| running(*pid)) && Instant::now() < stopped {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<&u32> = kids.iter().filter(|pid| running(**pid)).collect();
    assert!(left.is_empty(), "the gateway outlived the test: {left:?}");
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains(until), "no {until:?} within 60 s: {text}");
    text
}

/// The processes whose parent is `parent` (from `/proc/*/stat`).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // `pid (comm) state ppid …`: comm may hold spaces, so read after its `)`.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after = stat.rsplit_once(')')?.1;
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// Whether a process `pid` is still running (not a zombie).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_owned();
            Some(state != "Z")
        })
        .unwrap_or(false)
}

fn has_script() -> bool {
    let found = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        println!("skipped the terminal cases: util-linux `script` is not installed");
    }
    found
}

fn serve(dir: &std::path::Path) -> (Vec<String>, Vec<(&'static str, String)>) {
    let args = vec![
        env!("CARGO_BIN_EXE_ketenpoort").to_owned(),
        "serve".into(),
        "--dev".into(),
    ];
    let env = vec![
        ("KETENPOORT_SERVER_GRPC_LISTEN", "127.0.0.1:0".to_owned()),
        ("KETENPOORT_SERVER_ADMIN_LISTEN", "127.0.0.1:0".to_owned()),
        ("KETENPOORT_CONSOLE_LISTEN", "127.0.0.1:0".to_owned()),
        (
            "KETENPOORT_SERVER_DATA_DIR",
            dir.join("data").display().to_string(),
        ),
        ("KETENPOORT_VECOZO_MODE", "loopback".to_owned()),
    ];
    (args, env)
}

#[test]
fn serve_logs_in_colour_only_on_a_terminal_and_never_with_no_color() {
    // A data directory per run: a killed `script` may leave its gateway a moment longer.
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |n: &str, terminal: bool, no_color: bool| {
        let (args, env) = serve(&dir.path().join(n));
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if no_color {
            env.push(("NO_COLOR", "1"));
        }
        output_of(&args, &env, terminal, "gRPC listening")
    };
    let redirected = run("redirected", false, false);
    assert!(!redirected.contains('\u{1b}'), "{redirected}");
    if !has_script() {
        return;
    }
    let terminal = run("terminal", true, false);
    assert!(
        terminal.contains("\u{1b}["),
        "colour on a terminal: {terminal}"
    );
    let plain = run("no-color", true, true);
    assert!(!plain.contains('\u{1b}'), "{plain}");
}
