//! Submit throughput and latency of the gateway, against the raw limit of this machine.
//!
//! ```text
//! cargo run --release -p ketenpoort --example bench_submit
//! # optional: -- --clients 64 --requests-315 20000 --requests-323 4000 [--gateway-only|--raw-only]
//! #             [--no-cross-rules] [--include-xml] [--rounds 3]
//! #             [--pg postgres://postgres@127.0.0.1:5432/test]
//! ```
//!
//! `--pg URL` measures the gateway on PostgreSQL too (`[store] backend = "postgres"`, a
//! fresh schema `kp_bench_*` in that database per run, dropped after it), right after the
//! gateway on sled in each round, and prints a third table: both side by side, with the
//! ratio per round. With `--gateway-only` this compares the two backends alone.
//!
//! `--gateway-only` runs step 2 alone, `--raw-only` step 1 alone (for profiling).
//! `--include-xml` has the submits ask for the XML in the answer (`include_xml`), which the
//! gateway otherwise leaves out.
//!
//! In one process, one after the other, each with `--clients` concurrent tonic clients (each
//! its own HTTP/2 connection) over 127.0.0.1:
//!
//! 1. **raw**: a tonic service with the same RPCs whose handler only encodes the request
//!    (the same bytes the gateway receives) and inserts them into sled through one writer
//!    thread with the gateway's flush policy (group commit: take every waiting insert, flush
//!    once, then answer), answering with a payload of the request's size;
//! 2. **gateway**: ketenpoort itself (`Gateway::serve`), store in a temp dir, VECOZO mode
//!    `off` (queue only: no loopback deliveries competing for the writer), cross-message rules
//!    on, with the allocations the claims need recorded (as received 301s) before timing.
//!
//! 3. **raw@XML**: the raw service once more, but storing as many bytes as the gateway's XML
//!    (the request padded) and answering as many as the gateway's answers had, on average in
//!    step 2: the raw limit for the bytes the gateway has to store and send back, a
//!    diagnostic beside the issue's raw limit (which stores and answers the request's size).
//!
//! Each is run for a JW315 (one product) and a JW323 with 20 prestaties; every request is
//! rule-valid, also against the history (own client, reference numbers and allocations).
//! The table gives the mean request and answer sizes (protobuf) and the XML size (read back
//! from the gateway's store).
//! The first 5% of each run warm up and are not counted. Latency is per call, at the client.
//! The three steps are repeated `--rounds` times (default 3), alternating, so that load from
//! elsewhere on a shared machine falls on all of them; a row per round, then the medians.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ketenpoort::config::{Config, TenantConfig, VecozoMode};
use ketenpoort::proto::gateway_client::GatewayClient;
use ketenpoort::proto::gateway_server::{Gateway as GatewayRpc, GatewayServer};
use ketenpoort::proto::{self, Law};
use ketenpoort::server::Gateway;
use ketenpoort::tenant::token_digest;
use prost::Message as _;
use tokio::sync::oneshot;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

#[path = "support/mod.rs"]
mod support;
use support::arg_or;

const TOKEN: &str = "bench-token";
const AGB: &str = "12345678";
const MUNICIPALITY: &str = "0268";
const LINES: usize = 20;

// === requests ===

/// The `n`-th of a sequence of distinct BSNs that pass the elfproef.
fn bsn(n: u64) -> String {
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
    let prefix = 20_000_000 + 2 * n;
    let (prefix, last) = match check(prefix) {
        Some(last) => (prefix, last),
        None => (prefix + 1, check(prefix + 1).unwrap_or(0)),
    };
    format!("{prefix:08}{last}")
}

/// Whether the submits ask for the XML in the answer (`--include-xml`).
static INCLUDE_XML: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn common(request_id: String) -> proto::SubmitCommon {
    proto::SubmitCommon {
        request_id,
        validate_only: false,
        include_xml: INCLUDE_XML.load(Ordering::Relaxed),
        law: Law::Ijw as i32,
        agb_code: AGB.into(),
        municipality: MUNICIPALITY.into(),
    }
}

/// A rule-valid JW315 for client `n` (its own BSN and reference).
fn request_315(run: &str, n: usize) -> proto::SubmitRequestForAllocationRequest {
    proto::SubmitRequestForAllocationRequest {
        common: Some(common(format!("{run}-{n}"))),
        client: Some(proto::ClientIdentity {
            bsn: bsn(1_000_000 + n as u64),
            birth_date: "2012-05-17".into(),
            birth_date_use: String::new(),
            sex: "2".into(),
            surname: "Jansen".into(),
            surname_prefix: String::new(),
            given_names: String::new(),
            initials: "A".into(),
        }),
        guardian_known: "1".into(),
        comment: String::new(),
        products: vec![proto::RequestedProduct {
            provider_reference: format!("{run}-V{n}"),
            decision_number: 0,
            product: Some(proto::Product {
                category: "45".into(),
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

/// The ToewijzingNummer of line `j` of claim `n`.
fn allocation_number(n: usize, j: usize) -> u64 {
    1_000_000 + (n * LINES + j) as u64
}

/// A rule-valid JW323 for March 2025 with 20 prestaties of client `n`, each on its own
/// allocation (see [`allocation_xml`]).
fn request_323(run: &str, n: usize) -> proto::SubmitDeclarationRequest {
    let lines = (0..LINES)
        .map(|j| proto::DeclarationLine {
            reference_number: format!("{run}-{n}-{j}"),
            previous_reference_number: String::new(),
            allocation_number: allocation_number(n, j),
            product_category: "45".into(),
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
        })
        .collect();
    proto::SubmitDeclarationRequest {
        common: Some(common(format!("{run}-{n}"))),
        declaration_number: String::new(),
        month: "2025-03".into(),
        clients: vec![proto::DeclarationClient {
            bsn: bsn(n as u64),
            lines,
        }],
        split_when_too_large: false,
    }
}

/// The 301 with the allocations of claim `n`: 20 products 45A48 from 2025-03-04.
fn allocation_xml(n: usize) -> String {
    use chrono::{NaiveDate, NaiveTime};
    use ketenpoort_messages::codes::*;
    use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
    use ketenpoort_messages::model::basis::*;
    use ketenpoort_messages::model::header::Header;
    use ketenpoort_messages::types::*;
    use ketenpoort_messages::{Content, Heen, Message};

    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    let products = (0..LINES)
        .map(|j| ToegewezenProduct {
            toewijzing_nummer: Nummer(allocation_number(n, j)),
            referentie_aanbieder: None,
            product: Some(Product {
                categorie: ProductCategorie::C45,
                code: Some("45A48".into()),
            }),
            toewijzingsdatum: d(2025, 2, 10),
            toewijzingstijd: NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
            ingangsdatum: d(2025, 3, 4),
            einddatum: Some(d(2025, 12, 31)),
            reden_wijziging: None,
            omvang: None,
            budget: None,
            commentaar: None,
            retour_codes: vec![],
        })
        .collect();
    let message = Message {
        law: ketenpoort_messages::Law::Ijw,
        content: Content::Allocation(Heen {
            header: Header {
                afzender: MUNICIPALITY.into(),
                ontvanger: AGB.into(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: format!("T{n}").as_str().into(),
                    dagtekening: d(2025, 2, 10),
                },
                xsd_versie: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
            },
            body: AllocationClient {
                bsn: bsn(n as u64).as_str().into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
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
                toegewezen_producten: products,
                retour_codes: vec![],
            },
        }),
    };
    message.to_xml().expect("a schema-valid 301")
}

// === the raw service: decode, encode, sled insert with group commit ===

type Insert = (Vec<u8>, Vec<u8>, oneshot::Sender<()>);

/// One writer thread: takes every waiting insert, applies them, flushes once, answers.
fn raw_writer(db: sled::Db) -> tokio::sync::mpsc::UnboundedSender<Insert> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Insert>();
    std::thread::spawn(move || {
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < 512 {
                match rx.try_recv() {
                    Ok(i) => group.push(i),
                    Err(_) => break,
                }
            }
            for (k, v, _) in &group {
                db.insert(k.as_slice(), v.as_slice()).expect("insert");
            }
            db.flush().expect("flush");
            for (_, _, reply) in group {
                let _ = reply.send(());
            }
        }
    });
    tx
}

struct Raw {
    writes: tokio::sync::mpsc::UnboundedSender<Insert>,
    next: AtomicUsize,
    /// Store this many bytes instead of the request (at least the request), to stand for
    /// the XML the gateway stores.
    pad_to: Option<usize>,
    /// Answer with a payload of this many bytes instead of the request's size, to stand for
    /// the gateway's answer.
    answer_bytes: Option<usize>,
}

impl Raw {
    async fn store(&self, mut bytes: Vec<u8>) -> Result<Response<proto::SubmitResponse>, Status> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Some(n) = self.pad_to {
            bytes.resize(n.max(bytes.len()), b'x');
        }
        let size = self.answer_bytes.unwrap_or(bytes.len());
        let (tx, rx) = oneshot::channel();
        self.writes
            .send((id.to_be_bytes().to_vec(), bytes, tx))
            .map_err(|_| Status::internal("writer gone"))?;
        rx.await.map_err(|_| Status::internal("writer gone"))?;
        Ok(Response::new(proto::SubmitResponse {
            message_id: id.to_string(),
            xml: "x".repeat(size),
            ..Default::default()
        }))
    }
}

#[tonic::async_trait]
impl GatewayRpc for Raw {
    async fn submit_request_for_allocation(
        &self,
        r: Request<proto::SubmitRequestForAllocationRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        self.store(r.into_inner().encode_to_vec()).await
    }
    async fn submit_declaration(
        &self,
        r: Request<proto::SubmitDeclarationRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        self.store(r.into_inner().encode_to_vec()).await
    }
    async fn submit_care_start(
        &self,
        _: Request<proto::SubmitCareStartRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn submit_care_stop(
        &self,
        _: Request<proto::SubmitCareStopRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn submit_change_request(
        &self,
        _: Request<proto::SubmitChangeRequestRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn submit_retour(
        &self,
        _: Request<proto::SubmitRetourRequest>,
    ) -> Result<Response<proto::SubmitResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn get_message(
        &self,
        _: Request<proto::GetMessageRequest>,
    ) -> Result<Response<proto::MessageRecord>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn resend_message(
        &self,
        _: Request<proto::ResendMessageRequest>,
    ) -> Result<Response<proto::MessageRecord>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn list_messages(
        &self,
        _: Request<proto::ListMessagesRequest>,
    ) -> Result<Response<proto::ListMessagesResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    type StreamReturnsStream = ketenpoort::api::ReturnStream;
    async fn stream_returns(
        &self,
        _: Request<proto::StreamReturnsRequest>,
    ) -> Result<Response<Self::StreamReturnsStream>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn ack_returns(
        &self,
        _: Request<proto::AckReturnsRequest>,
    ) -> Result<Response<proto::AckReturnsResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn list_events(
        &self,
        _: Request<proto::ListEventsRequest>,
    ) -> Result<Response<proto::ListEventsResponse>, Status> {
        Err(Status::unimplemented("raw"))
    }
    async fn get_organisation(
        &self,
        _: Request<proto::GetOrganisationRequest>,
    ) -> Result<Response<proto::Organisation>, Status> {
        Err(Status::unimplemented("raw"))
    }
}

// === running ===

#[derive(Clone, Copy)]
enum Kind {
    Jw315,
    Jw323,
}

#[derive(Clone)]
struct Measured {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Mean size of a request's protobuf encoding.
    request_bytes: usize,
    /// Mean size of an answer's protobuf encoding.
    answer_bytes: usize,
    /// Mean size of the XML the gateway stored (0 for the raw service).
    xml_bytes: usize,
}

impl Measured {
    const NONE: Measured = Measured {
        per_second: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        request_bytes: 0,
        answer_bytes: 0,
        xml_bytes: 0,
    };
}

fn with_token<T>(m: T) -> Request<T> {
    let mut r = Request::new(m);
    if let Ok(v) = format!("Bearer {TOKEN}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r.set_timeout(Duration::from_secs(60));
    r
}

/// `requests` submits of `kind` from `clients` connections to `addr`.
async fn load(
    addr: SocketAddr,
    run: &str,
    kind: Kind,
    clients: usize,
    requests: usize,
) -> Measured {
    let warmup = requests / 20;
    let next = Arc::new(AtomicUsize::new(0));
    let mut channels: Vec<GatewayClient<Channel>> = Vec::new();
    for _ in 0..clients {
        let c = GatewayClient::connect(format!("http://{addr}"))
            .await
            .expect("connect")
            .max_decoding_message_size(64 * 1024 * 1024);
        channels.push(c);
    }
    let started = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let mut tasks = Vec::new();
    for mut c in channels {
        let (next, run, started) = (next.clone(), run.to_owned(), started.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut request_bytes, mut answer_bytes) = (0, 0);
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= requests {
                    return (latencies, request_bytes, answer_bytes);
                }
                if n == warmup {
                    *started.lock().expect("lock") = Some(Instant::now());
                }
                let t = Instant::now();
                let result = match kind {
                    Kind::Jw315 => {
                        let r = request_315(&run, n);
                        request_bytes += r.encoded_len();
                        c.submit_request_for_allocation(with_token(r)).await
                    }
                    Kind::Jw323 => {
                        let r = request_323(&run, n);
                        request_bytes += r.encoded_len();
                        c.submit_declaration(with_token(r)).await
                    }
                };
                match result {
                    Ok(answer) => answer_bytes += answer.get_ref().encoded_len(),
                    Err(e) => panic!("submit {n} of {run} failed: {e:?}"),
                }
                if n >= warmup {
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    let mut all = Vec::new();
    let (mut request_bytes, mut answer_bytes) = (0, 0);
    for t in tasks {
        let (latencies, req, ans) = t.await.expect("client task");
        all.extend(latencies);
        request_bytes += req;
        answer_bytes += ans;
    }
    let elapsed = started
        .lock()
        .expect("lock")
        .map(|s| s.elapsed())
        .unwrap_or_default();
    all.sort_by(f64::total_cmp);
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Measured {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        request_bytes: request_bytes / requests,
        answer_bytes: answer_bytes / requests,
        xml_bytes: 0,
    }
}

/// The raw service; `like` is the gateway's measurement whose XML and answer sizes it
/// stores and answers (raw@XML), `None` for the issue's raw limit.
async fn raw(kind: Kind, clients: usize, requests: usize, like: Option<&Measured>) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = sled::Config::new().path(dir.path()).open().expect("sled");
    let service = Raw {
        writes: raw_writer(db),
        next: AtomicUsize::new(0),
        pad_to: like.map(|g| g.xml_bytes),
        answer_bytes: like.map(|g| g.answer_bytes),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    // TCP_NODELAY as the gateway sets it (tonic's own setting does not reach connections
    // that come from a listener the caller passes in).
    let incoming = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        |c| {
            if let Ok(c) = &c {
                let _ = c.set_nodelay(true);
            }
            c
        },
    );
    let server = tokio::spawn(
        Server::builder()
            .add_service(GatewayServer::new(service).max_decoding_message_size(64 << 20))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            }),
    );
    let r = load(addr, "raw", kind, clients, requests).await;
    let _ = stop.send(());
    let _ = server.await;
    r
}

/// A PostgreSQL schema made for one run of the gateway, dropped by [`PgSchema::drop_now`].
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    async fn new(url: &str) -> PgSchema {
        let name = format!("kp_bench_{}", uuid::Uuid::new_v4().simple());
        PgSchema::execute(url, &format!("CREATE SCHEMA {name}")).await;
        PgSchema {
            url: url.to_owned(),
            name,
        }
    }

    async fn execute(url: &str, sql: &str) {
        let options = ketenpoort::store::postgres::PgOptions {
            url: Some(url.to_owned()),
            pool_size: 1,
            ..Default::default()
        };
        let pool = ketenpoort::store::postgres::connect(&options)
            .await
            .expect("PostgreSQL (--pg) reachable");
        let client = pool.get().await.expect("a connection");
        client.batch_execute(sql).await.expect(sql);
    }

    async fn drop_now(self) {
        PgSchema::execute(&self.url, &format!("DROP SCHEMA {} CASCADE", self.name)).await;
    }
}

async fn gateway(
    kind: Kind,
    clients: usize,
    requests: usize,
    cross_rules: bool,
    pg: Option<&str>,
) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    let schema = match pg {
        Some(url) => Some(PgSchema::new(url).await),
        None => None,
    };
    if let Some(schema) = &schema {
        config.store.backend = ketenpoort::config::StoreBackend::Postgres;
        config.store.postgres.url = Some(schema.url.clone());
        config.store.postgres.schema = Some(schema.name.clone());
    }
    config.server.allow_plaintext = true;
    config.server.data_dir = dir.path().to_owned();
    config.vecozo.mode = Some(VecozoMode::Off);
    config.messages.cross_message_rules = cross_rules;
    config.tenants = vec![TenantConfig {
        name: "bench".into(),
        api_token_sha256: Some(token_digest(TOKEN)),
        certificate_sha256: None,
        agb_codes: vec![AGB.into()],
        all_agb_codes: false,
        auto_answer: None,
    }];
    let gateway = Gateway::open(config).expect("the gateway opens");
    if let Kind::Jw323 = kind {
        // The allocations of every claim, recorded before timing, 64 at a time.
        let store = gateway.shared().store.clone();
        let seeded = Instant::now();
        let mut pending = tokio::task::JoinSet::new();
        for n in 0..requests {
            let store = store.clone();
            pending.spawn(async move {
                ketenpoort::store::history::record_received(store.as_ref(), &allocation_xml(n))
                    .await
                    .expect("301 recorded");
            });
            if pending.len() >= 64 {
                pending.join_next().await;
            }
        }
        while pending.join_next().await.is_some() {}
        eprintln!(
            "  (recorded {requests} 301s with {LINES} allocations each in {:.1} s)",
            seeded.elapsed().as_secs_f64()
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let store = gateway.shared().store.clone();
    let server = tokio::spawn(gateway.serve(listener, None, async {
        let _ = stopped.await;
    }));
    let mut r = load(addr, "gw", kind, clients, requests).await;
    // The mean XML size of the first (up to) 100 messages stored.
    let sizes: Vec<usize> = (1..=100u64)
        .filter_map(|id| store.message_xml(id).ok().flatten())
        .map(|xml| xml.len())
        .collect();
    r.xml_bytes = sizes.iter().sum::<usize>() / sizes.len().max(1);
    // The gateway closes its store when it stops, once no handle is left.
    drop(store);
    let _ = stop.send(());
    let _ = server.await;
    if let Some(schema) = schema {
        schema.drop_now().await;
    }
    r
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients = arg_or("--clients", 64usize);
    let n315 = arg_or("--requests-315", 20_000usize);
    let n323 = arg_or("--requests-323", 4_000usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "bench_submit: {clients} clients, {n315} × JW315, {n323} × JW323 ({LINES} prestaties); \
         {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let gateway_only = args.iter().any(|a| a == "--gateway-only");
    let raw_only = args.iter().any(|a| a == "--raw-only");
    let cross_rules = !args.iter().any(|a| a == "--no-cross-rules");
    INCLUDE_XML.store(args.iter().any(|a| a == "--include-xml"), Ordering::Relaxed);
    let rounds = arg_or("--rounds", 3usize).max(1);
    let pg: Option<String> = args
        .iter()
        .position(|a| a == "--pg")
        .and_then(|i| args.get(i + 1).cloned());
    let mut backends: Vec<(String, Measured, Measured)> = Vec::new();
    let mut rows: Vec<(String, Measured, Measured, Measured)> = Vec::new();
    let mut summary = Vec::new();
    for (name, kind, n) in [
        ("JW315", Kind::Jw315, n315),
        ("JW323 × 20", Kind::Jw323, n323),
    ] {
        if n == 0 {
            continue;
        }
        let (mut ratios, mut rates, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=rounds {
            let r = if gateway_only {
                Measured::NONE
            } else {
                runtime.block_on(raw(kind, clients, n, None))
            };
            let g = if raw_only {
                Measured::NONE
            } else {
                runtime.block_on(gateway(kind, clients, n, cross_rules, None))
            };
            if let Some(url) = pg.as_deref().filter(|_| !raw_only) {
                let p = runtime.block_on(gateway(kind, clients, n, cross_rules, Some(url)));
                backends.push((format!("{name} (round {round})"), g.clone(), p));
            }
            // The same raw service once more, storing as many bytes as the gateway's XML
            // and answering as many as the gateway did: what the bytes alone cost.
            let x = if gateway_only || raw_only {
                Measured::NONE
            } else {
                runtime.block_on(raw(kind, clients, n, Some(&g)))
            };
            ratios.push(g.per_second / r.per_second);
            rates.push(g.per_second);
            p99s.push(g.p99_ms);
            rows.push((format!("{name} (round {round})"), r, g, x));
        }
        summary.push((
            name,
            median(&mut rates),
            median(&mut ratios),
            median(&mut p99s),
            p99s,
        ));
    }
    println!(
        "| message | request B | answer B | XML B | raw /s | raw p50 ms | raw p99 ms | gateway /s | \
         gateway p50 ms | gateway p99 ms | gateway/raw | raw@XML /s | raw@XML p99 ms | \
         gateway/raw@XML |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, r, g, x) in rows {
        println!(
            "| {name} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0}% | \
             {:.0} | {:.1} | {:.0}% |",
            g.request_bytes,
            g.answer_bytes,
            g.xml_bytes,
            r.per_second,
            r.p50_ms,
            r.p99_ms,
            g.per_second,
            g.p50_ms,
            g.p99_ms,
            100.0 * g.per_second / r.per_second,
            x.per_second,
            x.p99_ms,
            100.0 * g.per_second / x.per_second,
        );
    }
    println!();
    println!(
        "| message | rounds | gateway /s (median) | gateway/raw (median of the rounds' ratios) | gateway p99 ms (median, max) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, rate, ratio, p99, all) in summary {
        let max = all.iter().copied().fold(f64::NAN, f64::max);
        println!(
            "| {name} | {rounds} | {rate:.0} | {:.0}% | {p99:.1}, {max:.1} |",
            100.0 * ratio
        );
    }
    print_backends(&backends);
}

/// The third table (`--pg`): the gateway on sled and on PostgreSQL, per round.
fn print_backends(rows: &[(String, Measured, Measured)]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "| message | sled /s | sled p50 ms | sled p99 ms | postgres /s | postgres p50 ms | postgres p99 ms | postgres/sled |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, s, p) in rows {
        println!(
            "| {name} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0}% |",
            s.per_second,
            s.p50_ms,
            s.p99_ms,
            p.per_second,
            p.p50_ms,
            p.p99_ms,
            100.0 * p.per_second / s.per_second
        );
    }
}

/// The median of `values` (sorted in place; NaN last).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
