//! Dev mode's default `[vecozo] mode = "simulator"`: the gateway starts ketenpoort-sim
//! in-process with a generated PKI and delivers through the real VECOZO client over mutual
//! TLS. A provider the simulator knows gets its message delivered; one it does not know is
//! refused with VECOZO's melding, as VECOZO would refuse it, and can be sent again
//! (ResendMessage, `ketenpoort outbox --resend`) under a new traceerId.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{next_event, req};
use ketenpoort::config::{Config, DEV_TOKEN, VecozoMode};
use ketenpoort::header::SystemClock;
use ketenpoort::proto::{self, Law};
use ketenpoort::server::Gateway;
use tokio::sync::oneshot;

struct Dev {
    addr: std::net::SocketAddr,
    /// Weak, so that the stopping gateway can close its store.
    shared: std::sync::Weak<ketenpoort::api::Shared>,
    dir: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ketenpoort::Error>>,
}

async fn start_dev() -> Dev {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::dev();
    config.server.data_dir = dir.path().to_owned();
    assert_eq!(config.vecozo_mode(), VecozoMode::Simulator);
    let gateway = Gateway::open_with_clock(config, Arc::new(SystemClock)).expect("opens");
    let shared = Arc::downgrade(&gateway.shared());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, None, async {
        let _ = rx.await;
    }));
    Dev {
        addr,
        shared,
        dir,
        stop,
        task,
    }
}

/// The state carried by the next delivery-status event of message `id`.
async fn next_delivery_state(
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    id: &str,
) -> proto::DeliveryStatusChanged {
    loop {
        let e = next_event(stream).await;
        if e.message_id == id
            && let Some(proto::return_event::Event::Delivery(d)) = e.event
        {
            return d;
        }
    }
}

/// A client of the dev gateway and its return stream from the start.
async fn connect(
    dev: &Dev,
) -> (
    proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    tonic::Streaming<proto::ReturnEvent>,
) {
    let mut c = proto::gateway_client::GatewayClient::connect(format!("http://{}", dev.addr))
        .await
        .expect("connect");
    let stream = c
        .stream_returns(req(DEV_TOKEN, proto::StreamReturnsRequest::default()))
        .await
        .expect("stream")
        .into_inner();
    (c, stream)
}

#[tokio::test]
async fn dev_mode_delivers_to_the_built_in_simulator_over_mutual_tls() {
    let dev = start_dev().await;
    let (mut c, mut stream) = connect(&dev).await;

    // 12345678 has its own system certificate in the dev scenario.
    let known = common::submit_315(&mut c, DEV_TOKEN, Law::Ijw, "12345678", "known")
        .await
        .expect("accepted");
    let d = next_delivery_state(&mut stream, &known).await;
    assert_eq!(d.state, proto::MessageState::Delivered as i32, "{d:?}");

    // 23456789 is no provider of the scenario: the vendor certificate has no permission
    // (toestemmingsverklaring) for it, and the simulator refuses the push as VECOZO would.
    let unknown = common::submit_315(&mut c, DEV_TOKEN, Law::Iwmo, "23456789", "unknown")
        .await
        .expect("accepted: the gateway cannot know VECOZO's permissions");
    let d = next_delivery_state(&mut stream, &unknown).await;
    assert_eq!(
        d.state,
        proto::MessageState::RejectedByVecozo as i32,
        "{d:?}"
    );
    assert!(
        d.meldingen.iter().any(|m| m.code.starts_with("BRS")),
        "VECOZO's melding: {:?}",
        d.meldingen
    );

    // The development PKI was generated in the data directory, with the password beside it.
    let pki = dev.dir.path().join("simulator");
    for file in [
        "ca.pem",
        "server.pem",
        "clients/12345678.p12",
        "pkcs12-password",
    ] {
        assert!(pki.join(file).is_file(), "{file} in {}", pki.display());
    }

    let _ = dev.stop.send(());
    tokio::time::timeout(Duration::from_secs(15), dev.task)
        .await
        .expect("stops within 15 s")
        .expect("no panic")
        .expect("served without error");
}

async fn message(
    c: &mut ketenpoort::proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    id: &str,
) -> proto::MessageRecord {
    c.get_message(req(
        DEV_TOKEN,
        proto::GetMessageRequest {
            message_id: id.into(),
        },
    ))
    .await
    .expect("get")
    .into_inner()
}

#[tokio::test]
async fn a_refused_message_can_be_sent_again_under_a_new_traceer_id() {
    let dev = start_dev().await;
    let (mut c, mut stream) = connect(&dev).await;
    let refused = common::submit_315(&mut c, DEV_TOKEN, Law::Ijw, "23456789", "refused")
        .await
        .expect("accepted");
    let first = next_delivery_state(&mut stream, &refused).await;
    assert_eq!(first.state, proto::MessageState::RejectedByVecozo as i32);
    let traceer_id = |id: &str| {
        let shared = dev.shared.upgrade().expect("the gateway runs");
        shared
            .store
            .outbox(id.parse().expect("a number"))
            .expect("store")
            .map(|o| o.traceer_id)
    };
    let first_traceer_id = traceer_id(&refused).expect("pushed once");
    let delivered = common::submit_315(&mut c, DEV_TOKEN, Law::Ijw, "12345678", "delivered")
        .await
        .expect("accepted");
    let d = next_delivery_state(&mut stream, &delivered).await;
    assert_eq!(d.state, proto::MessageState::Delivered as i32);

    // Sent again: QUEUED at once (with an event), the meldingen cleared; the simulator
    // refuses it again (the vendor still has no permission for 23456789), which proves a
    // second push happened.
    let resend = |id: &str| {
        req(
            DEV_TOKEN,
            proto::ResendMessageRequest {
                message_id: id.into(),
            },
        )
    };
    let m = c
        .resend_message(resend(&refused))
        .await
        .expect("resent")
        .into_inner();
    assert_eq!(m.state, proto::MessageState::Queued as i32);
    assert!(m.meldingen.is_empty());
    let queued = next_delivery_state(&mut stream, &refused).await;
    assert_eq!(queued.state, proto::MessageState::Queued as i32);
    let again = next_delivery_state(&mut stream, &refused).await;
    assert_eq!(again.state, proto::MessageState::RejectedByVecozo as i32);
    assert_eq!(message(&mut c, &refused).await.event_cursors.len(), 3);
    let second_traceer_id = traceer_id(&refused).expect("pushed again");
    assert_ne!(first_traceer_id, second_traceer_id, "a new traceerId");

    // Only refused messages; only the tenant's own; ids that exist.
    let e = c
        .resend_message(resend(&delivered))
        .await
        .expect_err("a delivered message is not sent again");
    assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("DELIVERED"), "{}", e.message());
    let e = c
        .resend_message(resend("424242"))
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), tonic::Code::NotFound);

    // The command line: one refused message queued again, one refusal.
    let args = [
        "outbox".to_owned(),
        "--gateway".to_owned(),
        format!("http://{}", dev.addr),
        "--resend".to_owned(),
        refused.clone(),
        delivered.clone(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
            .args(args)
            .env_remove("KETENPOORT_TOKEN")
            .env_remove("KETENPOORT_GATEWAY")
            .output()
    })
    .await
    .expect("no panic")
    .expect("run ketenpoort outbox");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{refused}  JW315")) && stdout.contains("queued again"),
        "{stdout}"
    );
    assert!(stderr.contains(&format!("{delivered}: ")), "{stderr}");

    let _ = dev.stop.send(());
    tokio::time::timeout(Duration::from_secs(15), dev.task)
        .await
        .expect("stops within 15 s")
        .expect("no panic")
        .expect("served without error");
}
