//! Shared by the gateway's integration tests: a real server on port 0 with a temp data dir,
//! a tonic client, tenants, and rule-valid requests for both laws.

#![allow(dead_code)]

pub mod backend;
pub mod child;
pub mod filled;
pub mod pg;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ketenpoort::config::{Config, TenantConfig, VecozoMode};
use ketenpoort::header::FixedClock;
use ketenpoort::proto;
use ketenpoort::proto::gateway_client::GatewayClient;
use ketenpoort::server::Gateway;
use ketenpoort::tenant::token_digest;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// Tenant A: may act for AGB_A (and AGB_A2).
pub const TOKEN_A: &str = "token-of-tenant-a";
/// Tenant B: may act for AGB_B.
pub const TOKEN_B: &str = "token-of-tenant-b";
pub const AGB_A: &str = "12345678";
pub const AGB_A2: &str = "12345679";
pub const AGB_B: &str = "87654321";
pub const MUNICIPALITY: &str = "0268";

/// A running gateway.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub dir: tempfile::TempDir,
    /// Its shared state (the store, for [`record_allocations`]); weak, so that a stopping
    /// server can close its store.
    pub shared: std::sync::Weak<ketenpoort::api::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ketenpoort::Error>>>,
}

impl TestServer {
    /// Stops the server and returns its data directory, still on disk.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        self.shutdown().await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("server stops within 10 s")
                .expect("server task did not panic");
            r.expect("server ran without error");
        }
    }

    /// A client connected to the server.
    pub async fn client(&self) -> GatewayClient<Channel> {
        GatewayClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect")
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024)
    }
}

/// The configuration tests start from: not dev, plaintext allowed, tenants A and B, and the
/// loopback stand-in. The cross-message rules are off: the tests of other behaviour submit
/// the same client, allocation and reference numbers again and again. cross_rules.rs turns
/// them on (so do crash.rs and privacy.rs, whose servers read a config file).
pub fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.messages.cross_message_rules = false;
    c.server.allow_plaintext = true;
    c.vecozo.mode = Some(VecozoMode::Loopback);
    c.dev = false;
    c.server.data_dir = dir.to_owned();
    c.tenants = vec![
        TenantConfig {
            name: "a".into(),
            api_token_sha256: Some(token_digest(TOKEN_A)),
            certificate_sha256: None,
            agb_codes: vec![AGB_A.into(), AGB_A2.into()],
            all_agb_codes: false,
            auto_answer: None,
        },
        TenantConfig {
            name: "b".into(),
            api_token_sha256: Some(token_digest(TOKEN_B)),
            certificate_sha256: None,
            agb_codes: vec![AGB_B.into()],
            all_agb_codes: false,
            auto_answer: None,
        },
    ];
    c
}

/// Starts a gateway with [`config`], changed by `tweak`, on 127.0.0.1:0, with the clock at
/// 2025-04-02 12:00 UTC.
pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
    start_in(tempfile::tempdir().expect("temp dir"), tweak).await
}

/// Starts a gateway on the store in `dir` (new or left by an earlier server).
pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let clock = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2025, 4, 2, 12, 0, 0)
            .single()
            .expect("a time"),
    ));
    start_in_with_clock(dir, clock, tweak).await
}

/// [`start_in`] with the gateway's clock `clock`.
pub async fn start_in_with_clock(
    dir: tempfile::TempDir,
    clock: Arc<dyn ketenpoort::header::Clock>,
    tweak: impl FnOnce(&mut Config),
) -> TestServer {
    let mut c = config(dir.path());
    tweak(&mut c);
    let gateway = Gateway::open_with_clock(c, clock).expect("gateway opens");
    let shared = Arc::downgrade(&gateway.shared());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, None, async {
        let _ = rx.await;
    }));
    TestServer {
        addr,
        dir,
        shared,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Starts a gateway as [`start_with`] does, with the operator console on 127.0.0.1:0 too;
/// returns the console's address.
pub async fn start_with_console(
    tweak: impl FnOnce(&mut Config),
) -> (TestServer, std::net::SocketAddr) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2025, 4, 2, 12, 0, 0)
            .single()
            .expect("a time"),
    ));
    let mut c = config(dir.path());
    tweak(&mut c);
    let console = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let console_addr = console.local_addr().expect("addr");
    let gateway = Gateway::open_with_clock(c, clock)
        .expect("gateway opens")
        .with_console(console);
    let shared = Arc::downgrade(&gateway.shared());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, None, async {
        let _ = rx.await;
    }));
    let server = TestServer {
        addr,
        dir,
        shared,
        stop: Some(stop),
        task: Some(task),
    };
    (server, console_addr)
}

/// Starts a gateway with the default test configuration.
pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

/// `message` with `authorization: Bearer token`.
pub fn req<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    r.set_timeout(Duration::from_secs(30));
    r
}

pub fn common(law: proto::Law, agb: &str, request_id: &str) -> proto::SubmitCommon {
    proto::SubmitCommon {
        request_id: request_id.into(),
        validate_only: false,
        include_xml: false,
        law: law as i32,
        agb_code: agb.into(),
        municipality: MUNICIPALITY.into(),
    }
}

/// A submit request that can ask for the XML in its answer (`common.include_xml`).
pub trait WithXml: Sized {
    fn common_mut(&mut self) -> &mut proto::SubmitCommon;

    /// The request with `include_xml` set.
    fn with_xml(mut self) -> Self {
        self.common_mut().include_xml = true;
        self
    }
}

macro_rules! with_xml {
    ($($t:ty),*) => {$(
        impl WithXml for $t {
            fn common_mut(&mut self) -> &mut proto::SubmitCommon {
                self.common.get_or_insert_with(Default::default)
            }
        }
    )*};
}

with_xml!(
    proto::SubmitRequestForAllocationRequest,
    proto::SubmitCareStartRequest,
    proto::SubmitCareStopRequest,
    proto::SubmitChangeRequestRequest,
    proto::SubmitDeclarationRequest
);

/// A product category valid for the law.
pub fn category(law: proto::Law) -> &'static str {
    if law == proto::Law::Ijw { "45" } else { "02" }
}

pub fn client() -> proto::ClientIdentity {
    proto::ClientIdentity {
        bsn: "123456782".into(),
        birth_date: "2012-05-17".into(),
        birth_date_use: String::new(),
        sex: "2".into(),
        surname: "Jansen".into(),
        surname_prefix: String::new(),
        given_names: String::new(),
        initials: "A".into(),
    }
}

/// A rule-valid 315.
pub fn request_for_allocation(
    law: proto::Law,
    agb: &str,
    request_id: &str,
) -> proto::SubmitRequestForAllocationRequest {
    proto::SubmitRequestForAllocationRequest {
        common: Some(common(law, agb, request_id)),
        client: Some(client()),
        guardian_known: if law == proto::Law::Ijw {
            "1".into()
        } else {
            String::new()
        },
        comment: String::new(),
        products: vec![proto::RequestedProduct {
            provider_reference: "REF-1".into(),
            decision_number: 0,
            product: Some(proto::Product {
                category: category(law).into(),
                code: "45A48".into(),
            }),
            decision_start_date: String::new(),
            start_date: "2025-05-01".into(),
            end_date: "2025-12-31".into(),
            extent: Some(proto::Extent {
                volume: 4,
                unit: "04".into(),
                frequency: "2".into(),
            }),
            budget_cents: None,
            referrer: Some(proto::Referrer {
                r#type: "02".into(),
                name: String::new(),
                agb_code: "01234567".into(),
            }),
            framework_contract: String::new(),
            comment: String::new(),
        }],
    }
}

/// One claimed line: 240 minutes at 145 cents (amount given: 34896, the hourly rounding).
pub fn line(reference: &str, allocation: u64, law: proto::Law) -> proto::DeclarationLine {
    proto::DeclarationLine {
        reference_number: reference.into(),
        previous_reference_number: String::new(),
        allocation_number: allocation,
        product_category: category(law).into(),
        product_code: "45A48".into(),
        period_start: "2025-03-04".into(),
        period_end: "2025-03-31".into(),
        delivered_volume: 240,
        unit: "01".into(),
        tariff_cents: Some(145),
        amount_cents: Some(34896),
        credit: false,
        contract_tariff_cents: None,
        contract_tariff_unit: String::new(),
    }
}

/// A rule-valid 323 for March 2025 with two lines for one client.
pub fn declaration(
    law: proto::Law,
    agb: &str,
    request_id: &str,
) -> proto::SubmitDeclarationRequest {
    proto::SubmitDeclarationRequest {
        common: Some(common(law, agb, request_id)),
        declaration_number: String::new(),
        month: "2025-03".into(),
        clients: vec![proto::DeclarationClient {
            bsn: "111222333".into(),
            lines: vec![line("R1", 1001, law), line("R2", 1002, law)],
        }],
        split_when_too_large: false,
    }
}

/// A rule-valid 305.
pub fn care_start(law: proto::Law, agb: &str, request_id: &str) -> proto::SubmitCareStartRequest {
    proto::SubmitCareStartRequest {
        common: Some(common(law, agb, request_id)),
        client: Some(client()),
        products: vec![proto::CareStartProduct {
            allocation_number: 1001,
            product: Some(proto::Product {
                category: category(law).into(),
                code: "45A48".into(),
            }),
            allocation_start_date: "2025-03-01".into(),
            start_date: "2025-03-04".into(),
            delivery_status: "1".into(),
        }],
    }
}

/// A rule-valid 307.
pub fn care_stop(law: proto::Law, agb: &str, request_id: &str) -> proto::SubmitCareStopRequest {
    proto::SubmitCareStopRequest {
        common: Some(common(law, agb, request_id)),
        client: Some(client()),
        products: vec![proto::CareStopProduct {
            allocation_number: 1001,
            product: Some(proto::Product {
                category: category(law).into(),
                code: "45A48".into(),
            }),
            allocation_start_date: "2025-03-01".into(),
            start_date: "2025-03-04".into(),
            end_reason: "02".into(),
            end_date: "2025-03-31".into(),
            delivery_status: "1".into(),
        }],
    }
}

/// A rule-valid 317.
pub fn change_request(
    law: proto::Law,
    agb: &str,
    request_id: &str,
) -> proto::SubmitChangeRequestRequest {
    proto::SubmitChangeRequestRequest {
        common: Some(common(law, agb, request_id)),
        bsn: "123456782".into(),
        provider_reference: "REF-2".into(),
        reason: "1".into(),
        unchanged_allocations: vec![],
        changed: vec![proto::ChangedProduct {
            allocation_number: 1001,
            desired_start_date: "2025-05-01".into(),
            end_date: "2025-12-31".into(),
            extent: Some(proto::Extent {
                volume: 6,
                unit: "04".into(),
                frequency: "2".into(),
            }),
            budget_cents: None,
        }],
        new_products: vec![],
    }
}

/// The BadRequest field violations of a status, as (field, reason, description).
pub fn field_violations(status: &tonic::Status) -> Vec<(String, String, String)> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| (v.field, v.reason, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for the next stream item, failing after 10 s.
/// Submits the JW315 of [`request_for_allocation`] as the tenant with `token`; the message
/// id it was stored under.
pub async fn submit_315(
    client: &mut GatewayClient<Channel>,
    token: &str,
    law: proto::Law,
    agb: &str,
    request_id: &str,
) -> Result<String, tonic::Status> {
    let request = request_for_allocation(law, agb, request_id);
    let response = client
        .submit_request_for_allocation(req(token, request))
        .await?;
    Ok(response.into_inner().message_id)
}

/// The event stream of the tenant with `token`, from its first event on.
pub async fn events_from_start(
    client: &mut GatewayClient<Channel>,
    token: &str,
) -> tonic::Streaming<proto::ReturnEvent> {
    client
        .stream_returns(req(token, proto::StreamReturnsRequest::default()))
        .await
        .expect("stream")
        .into_inner()
}

pub async fn next_event(stream: &mut tonic::Streaming<proto::ReturnEvent>) -> proto::ReturnEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .expect("stream ok")
        .expect("stream not ended")
}

/// The `n`-th of a sequence of distinct BSNs that pass the elfproef (9-digit, starting with 2).
pub fn bsn(n: u64) -> String {
    let check = |prefix: u64| -> Option<u64> {
        let digits = format!("{prefix:08}");
        let sum: u64 = digits
            .bytes()
            .zip((2..=9).rev())
            .map(|(d, w)| u64::from(d - b'0') * w)
            .sum();
        let last = sum % 11;
        (last < 10).then_some(last)
    };
    // Even prefixes per n; the odd one after it when the even one has no check digit (the
    // last of the eight digits weighs 2, so the next prefix always has one).
    let prefix = 20_000_000 + 2 * n;
    let (prefix, last) = match check(prefix) {
        Some(last) => (prefix, last),
        None => (prefix + 1, check(prefix + 1).expect("a check digit")),
    };
    format!("{prefix:08}{last}")
}

// === allocations (301) ===

/// One allocated product of a 301: ToewijzingNummer, Ingangsdatum, Einddatum; product 45A48
/// in the law's category ([`category`]), no Omvang.
pub struct Allocated {
    pub nummer: u64,
    pub start: &'static str,
    pub end: Option<&'static str>,
}

fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// The XML of a 301 Toewijzing from [`MUNICIPALITY`] to `agb` for the client with `bsn`, with
/// header Identificatie `id` (unique per municipality), dated 2025-02-10.
pub fn allocation_xml(
    law: proto::Law,
    agb: &str,
    bsn: &str,
    id: &str,
    products: &[Allocated],
) -> String {
    use ketenpoort_messages::codes::*;
    use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
    use ketenpoort_messages::model::basis::*;
    use ketenpoort_messages::model::header::Header;
    use ketenpoort_messages::types::*;
    use ketenpoort_messages::{Content, Heen, Law, Message};

    let (law, categorie) = if law == proto::Law::Ijw {
        (Law::Ijw, ProductCategorie::C45)
    } else {
        (Law::Iwmo, ProductCategorie::C02)
    };
    let toegewezen = products
        .iter()
        .map(|p| ToegewezenProduct {
            toewijzing_nummer: Nummer(p.nummer),
            referentie_aanbieder: None,
            product: Some(Product {
                categorie,
                code: Some("45A48".into()),
            }),
            toewijzingsdatum: date("2025-02-10"),
            toewijzingstijd: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("a time"),
            ingangsdatum: date(p.start),
            einddatum: p.end.map(date),
            reden_wijziging: None,
            omvang: None,
            budget: None,
            commentaar: None,
            retour_codes: vec![],
        })
        .collect();
    let message = Message {
        law,
        content: Content::Allocation(Heen {
            header: Header {
                afzender: MUNICIPALITY.into(),
                ontvanger: agb.into(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: id.into(),
                    dagtekening: date("2025-02-10"),
                },
                xsd_versie: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
            },
            body: AllocationClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: date("2012-05-17"),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: VolledigeNaam {
                    geslachtsnaam: Achternaam {
                        achternaam: "Jansen".into(),
                        voorvoegsel: None,
                    },
                    partnernaam: None,
                    voornamen: None,
                    voorletters: Some("A".into()),
                    naam_gebruik: NaamGebruik::N1,
                },
                communicatie: None,
                juridische_status: None,
                wettelijke_vertegenwoordiging: None,
                commentaar: None,
                relaties: vec![],
                contactgegevens: vec![Contact {
                    soort: AdresSoort::A01,
                    adres: None,
                    organisatie: None,
                    telefoon: None,
                    emailadres: None,
                    periode: None,
                    retour_codes: vec![],
                }],
                toegewezen_producten: toegewezen,
                retour_codes: vec![],
            },
        }),
    };
    message.to_xml().expect("a schema-valid 301")
}

/// Records received 301s in a running in-process server's store.
pub async fn record_allocations(server: &TestServer, xmls: &[String]) {
    let shared = server.shared.upgrade().expect("the server runs");
    for xml in xmls {
        ketenpoort::store::history::record_received(shared.store.as_ref(), xml)
            .await
            .expect("the 301 is recorded");
    }
}

/// Records received 301s in the store in `data_dir` (no server may hold it), then closes it.
pub async fn seed_allocations(data_dir: &std::path::Path, xmls: &[String]) {
    let (store, closed) =
        ketenpoort::store::sled_store::SledStore::open_with_closed(data_dir).expect("store opens");
    for xml in xmls {
        ketenpoort::store::history::record_received(store.as_ref(), xml)
            .await
            .expect("the 301 is recorded");
    }
    drop(store);
    tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the store closes within 10 s")
        .expect("closed");
}

/// Stores the 301/319 `xml` in a running server's store as the collection loop does when it
/// collects it under `traceer_id` at `at_ms`: with the provider's duty to answer it when
/// `manual` (manual answering), else without (as when the retour was queued or in a store
/// written before duties were kept). Returns the cursor of its event.
pub async fn collect(
    server: &TestServer,
    xml: &str,
    traceer_id: uuid::Uuid,
    conversatie_id: uuid::Uuid,
    at_ms: i64,
    manual: bool,
) -> u64 {
    let shared = server.shared.upgrade().expect("the server runs");
    collect_into(
        shared.store.as_ref(),
        xml,
        traceer_id,
        conversatie_id,
        at_ms,
        manual,
    )
    .await
}

/// [`collect`] into `store`.
pub async fn collect_into(
    store: &dyn ketenpoort::store::Store,
    xml: &str,
    traceer_id: uuid::Uuid,
    conversatie_id: uuid::Uuid,
    at_ms: i64,
    manual: bool,
) -> u64 {
    use ketenpoort::store::{IncomingContent, IncomingWrite, Outcome, OwedRetour, Write};
    let message = ketenpoort_messages::read(xml.as_bytes(), Default::default()).expect("reads");
    let write = Write::Incoming(Box::new(IncomingWrite {
        traceer_id,
        als_antwoord_op: None,
        at_ms,
        addressee: message.content.header().ontvanger.clone(),
        payload: xml.as_bytes().to_vec(),
        content: IncomingContent::Message(Arc::new(message)),
        retour: None,
        owed: manual.then_some(OwedRetour { conversatie_id }),
        fence: None,
    }));
    match store.commit(write).wait().await.expect("stored") {
        Outcome::Incoming { cursor, .. } => cursor,
        other => panic!("{other:?}"),
    }
}

/// Stores the 301/319 `xml` in `store` as the collection loop in automatic mode does on
/// 2025-04-02: with the 302/320 queued on it in the same write. Returns the store's outcome.
pub async fn collect_answered_automatically(
    store: &dyn ketenpoort::store::Store,
    xml: &str,
) -> ketenpoort::store::Outcome {
    use ketenpoort::store::{IncomingContent, IncomingWrite, Write};
    let message = ketenpoort_messages::read(xml.as_bytes(), Default::default()).expect("reads");
    let headers = ketenpoort::header::HeaderFactory::new(Default::default());
    let retour = ketenpoort::retour::queued(
        store,
        &headers,
        chrono::NaiveDate::from_ymd_opt(2025, 4, 2).expect("date"),
        &message,
        uuid::Uuid::new_v4(),
    )
    .expect("built")
    .expect("a 302");
    let write = Write::Incoming(Box::new(IncomingWrite {
        traceer_id: uuid::Uuid::new_v4(),
        als_antwoord_op: None,
        at_ms: noon_ms(2025, 4, 2),
        addressee: message.content.header().ontvanger.clone(),
        payload: xml.as_bytes().to_vec(),
        content: IncomingContent::Message(Arc::new(message)),
        retour: Some(retour),
        owed: None,
        fence: None,
    }));
    store.commit(write).wait().await.expect("stored")
}

/// Opens the sled database of the store in `dir` directly (tests that edit a store's keys),
/// waiting up to 30 s while its lock is still held: a `sled::Db` dropped in this process
/// lets go of the lock from sled's own threads a moment later.
pub fn open_raw_sled(dir: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match sled::Config::new().path(dir).open() {
            Ok(db) => return db,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("sled in {}: {e}", dir.display()),
        }
    }
}

/// Every key and value sled holds in the (closed) store in `dir`.
pub fn dump(dir: &std::path::Path) -> std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
    open_raw_sled(dir)
        .iter()
        .map(|kv| {
            let (k, v) = kv.expect("a record");
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// Milliseconds since the epoch of `y-m-d` 12:00 UTC.
pub fn noon_ms(y: i32, m: u32, d: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("a time")
        .timestamp_millis()
}

/// A clock the test moves (noon UTC of the day it is set to).
pub struct TestClock(std::sync::Mutex<chrono::DateTime<Utc>>);

impl TestClock {
    /// A clock at `y-m-d` 12:00 UTC.
    pub fn at(y: i32, m: u32, d: u32) -> Arc<TestClock> {
        let clock = Arc::new(TestClock(std::sync::Mutex::new(Utc::now())));
        clock.set(y, m, d);
        clock
    }

    /// Moves it to `y-m-d` 12:00 UTC.
    pub fn set(&self, y: i32, m: u32, d: u32) {
        let t = Utc
            .with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("a time");
        *self.0.lock().expect("clock") = t;
    }
}

impl ketenpoort::header::Clock for TestClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// One check of the provider's duties now, as the periodic check makes it (events, metric).
pub async fn check_duties(
    server: &TestServer,
    clock: Arc<TestClock>,
) -> Vec<ketenpoort::store::duties::DutyMissed> {
    let shared = server.shared.upgrade().expect("the server runs");
    let check = ketenpoort::deadline_check::DeadlineCheck {
        store: shared.store.clone(),
        clock,
        metrics: shared.metrics.clone(),
        interval: Duration::from_secs(3600),
    };
    check.check_duties().await.expect("check")
}

/// Reads events from `stream` into `seen` until `done(seen)` holds; fails after 30 s.
pub async fn until(
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
    what: &str,
    done: impl Fn(&[proto::ReturnEvent]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(seen) {
        match tokio::time::timeout_at(deadline, stream.message()).await {
            Ok(Ok(Some(e))) => seen.push(e),
            Ok(other) => panic!("stream ended while waiting for {what}: {other:?}"),
            Err(_) => panic!(
                "no {what} within 30 s; events: {:?}",
                seen.iter()
                    .map(|e| (e.cursor, e.kind.clone(), e.message_id.clone()))
                    .collect::<Vec<_>>()
            ),
        }
    }
}
