//! Operations: grpc.health.v1 says SERVING, server reflection lists the Gateway service, and
//! the admin endpoint answers /healthz, /readyz and /metrics with the submit counters.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use ketenpoort::header::FixedClock;
use ketenpoort::proto::Law;
use ketenpoort::proto::gateway_client::GatewayClient;
use ketenpoort::server::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;

/// GET `path` over plain HTTP/1.1; returns the whole response.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
        .await
        .expect("answer within 10 s")
        .expect("read");
    out
}

#[tokio::test]
async fn health_reflection_and_admin_endpoints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2025, 4, 2, 12, 0, 0)
            .single()
            .expect("a time"),
    ));
    let gateway = Gateway::open_with_clock(config(dir.path()), clock).expect("opens");
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (grpc_addr, admin_addr) = (
        grpc.local_addr().expect("addr"),
        admin.local_addr().expect("addr"),
    );
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(grpc, Some(admin), async {
        let _ = rx.await;
    }));

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc_addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "ketenpoort.v1.Gateway".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection")
        .into_inner();
    let response = tokio::time::timeout(Duration::from_secs(10), responses.next())
        .await
        .expect("answer")
        .expect("one response")
        .expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("a service list");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "ketenpoort.v1.Gateway")
    );

    // The same through grpc.reflection.v1alpha, all that many clients speak (grpcio-reflection,
    // older grpcurl and Postman builds).
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut reflection = ServerReflectionClient::new(channel.clone());
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "ketenpoort.v1.Gateway".into(),
            )),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("v1alpha reflection is served")
            .into_inner();
        let response = tokio::time::timeout(Duration::from_secs(10), responses.next())
            .await
            .expect("answer")
            .expect("one response")
            .expect("ok");
        let Some(MessageResponse::FileDescriptorResponse(files)) = response.message_response else {
            panic!("a file descriptor: {response:?}");
        };
        assert!(
            !files.file_descriptor_proto.is_empty(),
            "the descriptor of gateway.proto"
        );
    }

    let mut c = GatewayClient::new(channel);
    c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "m1")))
        .await
        .expect("accepted");
    assert!(
        http_get(admin_addr, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        http_get(admin_addr, "/readyz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let metrics = http_get(admin_addr, "/metrics").await;
    assert!(
        metrics.contains("ketenpoort_submits_total{kind=\"JW305\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("ketenpoort_queue_depth"));
    assert!(!metrics.contains("123456782"), "no BSN in metrics");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("no error");
}
