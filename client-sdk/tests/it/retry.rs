//! Retries reuse the request_id and never make a second message.
//!
//! The gateway here is the real one (the `ketenpoort` library's service on a temp store),
//! wrapped in [`LosesFirstResponse`]: the first SubmitCareStart is processed to the end —
//! the message is stored — and then its response is lost, either replaced by UNAVAILABLE
//! or held back past the client's deadline. The SDK must send the same request again, with
//! the same request_id, and get the original answer.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ketenpoort::api::GatewayService;
use ketenpoort::proto as gw;
use ketenpoort::proto::gateway_server::{Gateway as GatewayRpc, GatewayServer};
use ketenpoort::server::Gateway;
use ketenpoort_client::{CareStart, Client, Error, Law, RetryPolicy, codes, proto};
use tonic::{Request, Response, Status};

/// How the first response is lost.
#[derive(Clone, Copy)]
enum Loss {
    /// Replaced by UNAVAILABLE, as a gateway that loses its store connection answers.
    Unavailable,
    /// Never sent in time: the client's deadline passes.
    Late(Duration),
}

/// What the wrapper saw of the SubmitCareStart calls: each attempt's request_id and the
/// message id the service answered with (also for the lost response).
#[derive(Default, Clone)]
struct Seen {
    request_ids: Vec<String>,
    message_ids: Vec<String>,
}

struct LosesFirstResponse {
    inner: GatewayService,
    loss: Loss,
    seen: Arc<Mutex<Seen>>,
}

#[tonic::async_trait]
impl GatewayRpc for LosesFirstResponse {
    async fn submit_care_start(
        &self,
        request: Request<gw::SubmitCareStartRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        let request_id = request
            .get_ref()
            .common
            .as_ref()
            .map(|c| c.request_id.clone())
            .unwrap_or_default();
        let response = self.inner.submit_care_start(request).await?;
        let first = {
            let mut seen = self.seen.lock().expect("not poisoned");
            seen.request_ids.push(request_id);
            seen.message_ids.push(response.get_ref().message_id.clone());
            seen.request_ids.len() == 1
        };
        if !first {
            return Ok(response);
        }
        match self.loss {
            Loss::Unavailable => Err(Status::unavailable("the response was lost")),
            Loss::Late(d) => {
                tokio::time::sleep(d).await;
                Ok(response)
            }
        }
    }

    async fn submit_request_for_allocation(
        &self,
        r: Request<gw::SubmitRequestForAllocationRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        self.inner.submit_request_for_allocation(r).await
    }
    async fn submit_declaration(
        &self,
        r: Request<gw::SubmitDeclarationRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        self.inner.submit_declaration(r).await
    }
    async fn submit_care_stop(
        &self,
        r: Request<gw::SubmitCareStopRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        self.inner.submit_care_stop(r).await
    }
    async fn submit_change_request(
        &self,
        r: Request<gw::SubmitChangeRequestRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        self.inner.submit_change_request(r).await
    }
    async fn submit_retour(
        &self,
        r: Request<gw::SubmitRetourRequest>,
    ) -> Result<Response<gw::SubmitResponse>, Status> {
        self.inner.submit_retour(r).await
    }
    async fn get_message(
        &self,
        r: Request<gw::GetMessageRequest>,
    ) -> Result<Response<gw::MessageRecord>, Status> {
        self.inner.get_message(r).await
    }
    async fn resend_message(
        &self,
        r: Request<gw::ResendMessageRequest>,
    ) -> Result<Response<gw::MessageRecord>, Status> {
        self.inner.resend_message(r).await
    }
    async fn list_messages(
        &self,
        r: Request<gw::ListMessagesRequest>,
    ) -> Result<Response<gw::ListMessagesResponse>, Status> {
        self.inner.list_messages(r).await
    }
    type StreamReturnsStream = <GatewayService as GatewayRpc>::StreamReturnsStream;
    async fn stream_returns(
        &self,
        r: Request<gw::StreamReturnsRequest>,
    ) -> Result<Response<Self::StreamReturnsStream>, Status> {
        self.inner.stream_returns(r).await
    }
    async fn ack_returns(
        &self,
        r: Request<gw::AckReturnsRequest>,
    ) -> Result<Response<gw::AckReturnsResponse>, Status> {
        self.inner.ack_returns(r).await
    }
    async fn list_events(
        &self,
        r: Request<gw::ListEventsRequest>,
    ) -> Result<Response<gw::ListEventsResponse>, Status> {
        self.inner.list_events(r).await
    }
    async fn get_organisation(
        &self,
        r: Request<gw::GetOrganisationRequest>,
    ) -> Result<Response<gw::Organisation>, Status> {
        self.inner.get_organisation(r).await
    }
}

/// The dev gateway's service behind [`LosesFirstResponse`], served on port 0 until the
/// returned sender is dropped.
async fn start_lossy(
    loss: Loss,
) -> (
    std::net::SocketAddr,
    Arc<Mutex<Seen>>,
    tokio::sync::oneshot::Sender<()>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let gateway = Gateway::open(common::dev_config(dir.path())).expect("opens");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let service = LosesFirstResponse {
        inner: GatewayService::new(gateway.shared()),
        loss,
        seen: seen.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _keep_open = gateway;
        let _ = tonic::transport::Server::builder()
            .add_service(GatewayServer::new(service))
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            )
            .await;
    });
    (addr, seen, stop, dir)
}

fn snapshot(seen: &Mutex<Seen>) -> Seen {
    seen.lock().expect("not poisoned").clone()
}

fn care_start() -> CareStart {
    CareStart::builder(Law::Ijw, "12345678", "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .product(proto::CareStartProduct::new(
            1001,
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            "2025-03-04",
        ))
}

/// Exactly one message is stored, with `request_id`; returns its id.
async fn only_message(client: &Client, request_id: &str) -> String {
    let all = client
        .list_all_messages(proto::ListMessagesRequest::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "one message, not one per attempt: {all:?}");
    assert_eq!(all[0].request_id, request_id);
    all[0].message_id.clone()
}

#[tokio::test]
async fn a_retry_after_unavailable_reuses_the_request_id_and_makes_no_second_message() {
    let (addr, seen, _stop, _dir) = start_lossy(Loss::Unavailable).await;
    let client = Client::connect_dev(addr.to_string())
        .await
        .expect("connect");

    let submitted = client
        .submit_care_start(care_start())
        .await
        .expect("accepted on the retry");

    let seen = snapshot(&seen);
    assert_eq!(seen.request_ids.len(), 2, "sent twice");
    assert_eq!(seen.request_ids[0], submitted.request_id);
    assert_eq!(
        seen.request_ids[1], submitted.request_id,
        "the same request_id"
    );
    assert_eq!(
        seen.message_ids[0], seen.message_ids[1],
        "the retry got the original answer"
    );
    assert_eq!(submitted.response.message_id, seen.message_ids[0]);
    let id = only_message(&client, &submitted.request_id).await;
    assert_eq!(id, submitted.response.message_id);
}

#[tokio::test]
async fn a_retry_after_the_deadline_reuses_the_request_id_and_makes_no_second_message() {
    let (addr, seen, _stop, _dir) = start_lossy(Loss::Late(Duration::from_secs(3))).await;
    let client = Client::connect_dev(addr.to_string())
        .await
        .expect("connect")
        .with_timeout(Duration::from_millis(700));

    let submitted = client
        .submit_care_start(care_start().request_id("order-4711"))
        .await
        .expect("accepted on the retry");
    assert_eq!(
        submitted.request_id, "order-4711",
        "the caller's id is kept"
    );

    let seen = snapshot(&seen);
    // Twice, or more often on a machine so slow that a retry also misses the deadline.
    assert!(seen.request_ids.len() >= 2, "{:?}", seen.request_ids);
    assert!(seen.request_ids.iter().all(|id| id == "order-4711"));
    assert!(seen.message_ids.iter().all(|id| *id == seen.message_ids[0]));
    only_message(&client, "order-4711").await;
}

#[tokio::test]
async fn without_retries_the_caller_resubmits_with_its_own_request_id() {
    let (addr, _seen, _stop, _dir) = start_lossy(Loss::Unavailable).await;
    let client = Client::connect_dev(addr.to_string())
        .await
        .expect("connect")
        .with_retry(RetryPolicy::none());

    let e = client
        .submit_care_start(care_start().request_id("order-1"))
        .await
        .expect_err("the response was lost");
    assert!(matches!(e, Error::Unavailable { attempts: 1, .. }), "{e:?}");
    let again = client
        .submit_care_start(care_start().request_id("order-1"))
        .await
        .expect("the original answer");
    let id = only_message(&client, "order-1").await;
    assert_eq!(again.response.message_id, id);
}

#[tokio::test]
async fn the_same_request_id_with_other_content_is_already_exists() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    client
        .submit_care_start(care_start().request_id("same"))
        .await
        .expect("accepted");
    let other = care_start()
        .request_id("same")
        .product(proto::CareStartProduct::new(
            1002,
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            "2025-03-05",
        ));
    let e = client
        .submit_care_start(other)
        .await
        .expect_err("a conflicting reuse");
    assert!(matches!(e, Error::AlreadyExists(_)), "{e:?}");
    gw.stop().await;
}

#[tokio::test]
async fn an_unreachable_gateway_is_unavailable_after_every_attempt() {
    let gw = common::start_dev().await;
    let client = gw.client().await.with_retry(RetryPolicy {
        attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
    });
    gw.stop().await;
    let e = client
        .submit_care_start(care_start())
        .await
        .expect_err("nobody listens");
    assert!(matches!(e, Error::Unavailable { attempts: 3, .. }), "{e:?}");
}
