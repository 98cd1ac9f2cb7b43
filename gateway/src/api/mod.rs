//! The tonic service `ketenpoort.v1.Gateway`: one module per group of RPCs.
//!
//! - [`submit`]: the five submits (validate, fill in, idempotency, size limit, store).
//! - [`convert`]: proto requests → the typed model.
//! - `fields` (private): element paths → proto field paths, per message type.
//! - [`query`]: GetMessage, ListMessages and GetOrganisation.
//! - [`returns`]: StreamReturns, AckReturns and ListEvents.
//! - [`retour`]: SubmitRetour, the 302/320 a tenant sends on a received 301/319.
//! - [`status`]: the one mapping from [`crate::Error`] to `tonic::Status`.

pub mod convert;
mod fields;
pub mod query;
pub mod retour;
pub mod returns;
pub mod status;
pub mod submit;

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::config::Config;
use crate::header::{Clock, HeaderFactory};
use crate::metrics::Metrics;
use crate::proto;
use crate::store::Store;
use crate::tenant::{Tenant, Tenants};

/// What every RPC needs.
pub struct Shared {
    /// The durable store.
    pub store: Arc<dyn Store>,
    /// Tenants by credential.
    pub tenants: Tenants,
    /// Fills in headers.
    pub headers: HeaderFactory,
    /// Dagtekening and acceptance times.
    pub clock: Arc<dyn Clock>,
    /// Counters for /metrics.
    pub metrics: Arc<Metrics>,
    /// Largest XML payload accepted (BRS06).
    pub max_payload_bytes: usize,
    /// Whether submits are checked against the history (cross-message rules).
    pub cross_message_rules: bool,
    /// Set to true when the server stops, so that open streams end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The contract tariff table in force (TR346, TR418).
    pub tariffs: Arc<crate::tariffs::Tariffs>,
    /// Organisation details for GetOrganisation.
    pub organisations: crate::config::OrganisationsConfig,
}

impl Shared {
    /// The state for `config`.
    pub fn new(
        config: &Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Shared {
        Shared {
            store,
            tenants: Tenants::new(&config.effective_tenants()),
            headers: HeaderFactory::new(config.messages.clone()),
            clock,
            metrics,
            max_payload_bytes: config.messages.max_payload_bytes,
            cross_message_rules: config.messages.cross_message_rules,
            stopping: tokio::sync::watch::Sender::new(false),
            tariffs: Arc::new(crate::tariffs::Tariffs::new(config.effective_tariffs())),
            organisations: config.organisations.clone(),
        }
    }

    fn tenant<T>(&self, request: &Request<T>) -> Result<Arc<Tenant>, Status> {
        Ok(self.tenants.authenticate(request)?)
    }
}

/// The gRPC service.
#[derive(Clone)]
pub struct GatewayService {
    shared: Arc<Shared>,
}

impl GatewayService {
    /// A service over `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// The stream StreamReturns answers with.
pub type ReturnStream = Pin<Box<dyn Stream<Item = Result<proto::ReturnEvent, Status>> + Send>>;

#[tonic::async_trait]
impl proto::gateway_server::Gateway for GatewayService {
    async fn submit_request_for_allocation(
        &self,
        request: Request<proto::SubmitRequestForAllocationRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        submit::request_for_allocation(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn submit_declaration(
        &self,
        request: Request<proto::SubmitDeclarationRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        submit::declaration(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn submit_care_start(
        &self,
        request: Request<proto::SubmitCareStartRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        submit::care_start(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn submit_care_stop(
        &self,
        request: Request<proto::SubmitCareStopRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        submit::care_stop(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn submit_change_request(
        &self,
        request: Request<proto::SubmitChangeRequestRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        submit::change_request(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn submit_retour(
        &self,
        request: Request<proto::SubmitRetourRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        let r = request.into_inner();
        retour::submit_retour(&self.shared, &tenant, r)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_message(
        &self,
        request: Request<proto::GetMessageRequest>,
    ) -> Result<Response<proto::MessageRecord>, Status> {
        let tenant = self.shared.tenant(&request)?;
        query::get_message(&self.shared, &tenant, &request.into_inner())
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn resend_message(
        &self,
        request: Request<proto::ResendMessageRequest>,
    ) -> Result<Response<proto::MessageRecord>, Status> {
        let tenant = self.shared.tenant(&request)?;
        query::resend_message(&self.shared, &tenant, &request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn list_messages(
        &self,
        request: Request<proto::ListMessagesRequest>,
    ) -> Result<Response<proto::ListMessagesResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        query::list_messages(&self.shared, &tenant, &request.into_inner())
            .map(Response::new)
            .map_err(Status::from)
    }

    type StreamReturnsStream = ReturnStream;

    async fn stream_returns(
        &self,
        request: Request<proto::StreamReturnsRequest>,
    ) -> Result<Response<Self::StreamReturnsStream>, Status> {
        let tenant = self.shared.tenant(&request)?;
        returns::stream(self.shared.clone(), tenant, request.into_inner())
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn ack_returns(
        &self,
        request: Request<proto::AckReturnsRequest>,
    ) -> Result<Response<proto::AckReturnsResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        returns::ack(&self.shared, &tenant, request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn list_events(
        &self,
        request: Request<proto::ListEventsRequest>,
    ) -> Result<Response<proto::ListEventsResponse>, Status> {
        let tenant = self.shared.tenant(&request)?;
        returns::list(&self.shared, &tenant, &request.into_inner())
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_organisation(
        &self,
        request: Request<proto::GetOrganisationRequest>,
    ) -> Result<Response<proto::Organisation>, Status> {
        let tenant = self.shared.tenant(&request)?;
        query::get_organisation(&self.shared, &tenant, &request.into_inner())
            .map(Response::new)
            .map_err(Status::from)
    }
}
