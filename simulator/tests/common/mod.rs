//! Shared test harness: a simulator on 127.0.0.1:0 with a frozen clock, reqwest clients with
//! the generated certificates, and valid iJw messages built with the messages crate.

#![allow(dead_code)]

use std::net::SocketAddr;

use chrono::{NaiveDate, TimeZone, Utc};
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::header::{Header, RetourHeader};
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message, Retour};
use ketenpoort_sim::pki::Issued;
use ketenpoort_sim::server::{self, Config};
use ketenpoort_sim::{Clock, Scenario, Simulator};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const PROVIDER: &str = "12345678";
pub const OTHER_PROVIDER: &str = "87654321";
pub const GEMEENTE: &str = "0268";

pub struct Harness {
    pub addr: SocketAddr,
    pub sim: Simulator,
    pub config: Config,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn start() -> Harness {
    start_with(Scenario::default()).await
}

pub async fn start_with(scenario: Scenario) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Clock::frozen(
        Utc.with_ymd_and_hms(2025, 4, 2, 8, 0, 0)
            .single()
            .expect("time"),
    );
    let config = Config::with_clock(
        scenario,
        clock,
        &dir.path().join("pki"),
        Some(dir.path().join("dump")),
    )
    .expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let sim = config.simulator.clone();
    let run_config = config.clone();
    tokio::spawn(async move {
        server::run(listener, run_config, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    Harness {
        addr,
        sim,
        config,
        _dir: dir,
        stop: Some(tx),
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
    pub fn push_url(&self) -> String {
        self.url("/berichtenservice/berichten/rest-push/v1/berichten")
    }
    pub fn pull_url(&self, rest: &str) -> String {
        self.url(&format!(
            "/berichtenservice/berichten/rest-pull/v1/berichten{rest}"
        ))
    }
    pub fn status_url(&self, query: &str) -> String {
        self.url(&format!(
            "/berichtenservice/berichtstatus/rest-pull/v3/berichtstatussen?{query}"
        ))
    }

    /// A client with the generated certificate of indiener `name`.
    pub fn client(&self, name: &str) -> reqwest::Client {
        let issued = self.config.pki.client(name).expect("client certificate");
        client_with(&self.config.pki.ca_pem, Some(&issued))
    }

    pub async fn push(
        &self,
        client: &reqwest::Client,
        meta: &Value,
        payload: Vec<u8>,
    ) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "berichtMetadata",
                reqwest::multipart::Part::text(meta.to_string())
                    .mime_str("application/json")
                    .expect("mime"),
            )
            .part(
                "payload",
                reqwest::multipart::Part::bytes(payload)
                    .mime_str("application/octet-stream")
                    .expect("mime"),
            );
        client
            .post(self.push_url())
            .multipart(form)
            .send()
            .await
            .expect("push")
    }

    /// Submits a message as the municipality (admin endpoint).
    pub async fn push_as_gemeente(&self, meta: &Value, payload: Vec<u8>) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "berichtMetadata",
                reqwest::multipart::Part::text(meta.to_string()),
            )
            .part("payload", reqwest::multipart::Part::bytes(payload));
        self.client(PROVIDER)
            .post(self.url("/admin/v1/gemeente/berichten"))
            .multipart(form)
            .send()
            .await
            .expect("push as gemeente")
    }

    /// Moves the simulated clock and makes the due transitions.
    pub async fn advance(&self, seconds: u64) {
        let r = self
            .client(PROVIDER)
            .post(self.url("/admin/v1/klok"))
            .json(&json!({ "vooruitSeconden": seconds }))
            .send()
            .await
            .expect("klok");
        assert_eq!(r.status(), 200);
    }

    pub async fn counts(&self) -> Value {
        self.client(PROVIDER)
            .get(self.url("/admin/v1/tellingen"))
            .send()
            .await
            .expect("tellingen")
            .json()
            .await
            .expect("json")
    }

    pub async fn status_of(&self, client: &reqwest::Client, traceer: Uuid) -> Vec<Value> {
        let r = client
            .get(self.status_url(&format!("traceerId={traceer}")))
            .send()
            .await
            .expect("status");
        assert_eq!(r.status(), 200);
        r.json().await.expect("json")
    }
}

pub fn client_with(ca_pem: &str, identity: Option<&Issued>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca"));
    if let Some(id) = identity {
        let pem = format!("{}\n{}", id.cert_pem, id.key_pem);
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    b.build().expect("client")
}

/// Envelope for a provider-sent message.
pub fn metadata(
    afzender: &str,
    gemeente: &str,
    subtype: &str,
    traceer: Uuid,
    conversatie: Uuid,
) -> Value {
    json!({
        "routeringgegevens": {
            "afzender": { "rol": "Instelling", "code": afzender },
            "geadresseerden": [ { "rol": "Gemeente", "code": gemeente } ],
            "berichtstroom": {
                "berichttype": &subtype[..2],
                "berichtsubtype": subtype,
                "berichtversie": 3,
                "berichtsubversie": 2,
                "actie": "VerzoekToewijzing"
            }
        },
        "referentiegegevens": { "conversatieId": conversatie, "traceerId": traceer }
    })
}

/// Envelope for a municipality-sent message to a provider.
pub fn gemeente_metadata(
    gemeente: &str,
    provider: &str,
    subtype: &str,
    traceer: Uuid,
    als_antwoord_op: Option<Uuid>,
) -> Value {
    let mut m = json!({
        "routeringgegevens": {
            "afzender": { "rol": "Gemeente", "code": gemeente },
            "geadresseerden": [ { "rol": "Instelling", "code": provider } ],
            "berichtstroom": {
                "berichttype": "JW", "berichtsubtype": subtype,
                "berichtversie": 3, "berichtsubversie": 2, "actie": "Retour"
            }
        },
        "referentiegegevens": { "conversatieId": Uuid::new_v4(), "traceerId": traceer }
    });
    if let Some(a) = als_antwoord_op {
        m["referentiegegevens"]["alsAntwoordOp"] = json!(a);
    }
    m
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn header(afzender: &str, ontvanger: &str, identificatie: &str) -> Header {
    Header {
        afzender: afzender.into(),
        ontvanger: ontvanger.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: identificatie.into(),
            dagtekening: d(2025, 4, 1),
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

/// A rule-valid JW315 from `afzender` to 0268 with `identificatie` and `bsn`.
pub fn request_315_model(afzender: &str, identificatie: &str, bsn: &str) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::RequestForAllocation(Heen {
            header: header(afzender, GEMEENTE, identificatie),
            body: RequestClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: VerkorteNaam {
                    geslachtsnaam: Achternaam {
                        achternaam: "Jansen".into(),
                        voorvoegsel: None,
                    },
                    voornamen: None,
                    voorletters: Some("A".into()),
                },
                gezagsdrager_bekend: Some(JaNee::Ja),
                commentaar: None,
                aangevraagde_producten: vec![AangevraagdProduct {
                    referentie_aanbieder: "REF-1".into(),
                    beschikking_nummer: None,
                    product: Some(Product {
                        categorie: ProductCategorie::C45,
                        code: Some("45A48".into()),
                    }),
                    beschikking_ingangsdatum: None,
                    toewijzing_ingangsdatum: d(2025, 5, 1),
                    toewijzing_einddatum: Some(d(2025, 12, 31)),
                    omvang: Some(Omvang {
                        volume: Volume(4),
                        eenheid: Eenheid::Uur,
                        frequentie: Frequentie::PerWeek,
                    }),
                    budget: None,
                    verwijzer: Verwijzer {
                        type_: TypeVerwijzer::T02,
                        naam: None,
                        zorgverlener_code: Some("01234567".into()),
                    },
                    raamcontract: None,
                    commentaar: None,
                    retour_codes: vec![],
                }],
                retour_codes: vec![],
            },
        }),
    }
}

pub fn request_315(identificatie: &str) -> Vec<u8> {
    xml(&request_315_model(PROVIDER, identificatie, "123456782"))
}

pub fn xml(m: &Message) -> Vec<u8> {
    m.to_xml().expect("valid message").into_bytes()
}

/// A header-only JW316 (315 accepted) from 0268 answering `identificatie` of PROVIDER.
pub fn retour_316(identificatie_retour: &str) -> Vec<u8> {
    xml(&Message {
        law: Law::Ijw,
        content: Content::RequestForAllocationRetour(Retour {
            header: retour_header(PROVIDER, GEMEENTE, identificatie_retour),
            body: None,
        }),
    })
}

/// A header-only JW302 from PROVIDER on a 301 of 0268.
pub fn retour_302(identificatie_retour: &str) -> Vec<u8> {
    xml(&Message {
        law: Law::Ijw,
        content: Content::AllocationRetour(Retour {
            header: retour_header(GEMEENTE, PROVIDER, identificatie_retour),
            body: None,
        }),
    })
}

fn retour_header(afzender: &str, ontvanger: &str, identificatie_retour: &str) -> RetourHeader {
    RetourHeader {
        heen: header(afzender, ontvanger, "HEEN0001"),
        identificatie_retour: identificatie_retour.into(),
        dagtekening_retour: d(2025, 4, 2),
        xslt_versie: None,
        xsd_versie_retour: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
        retour_codes: vec![],
    }
}

/// A JW323 from PROVIDER to 0268 for May 2025 with one line of `uur` hours (60 euro an hour)
/// against allocation `toewijzing`; `totaal` overrides TotaalIngediendBedrag (to break TR358).
pub fn claim_323(
    identificatie: &str,
    nummer: &str,
    toewijzing: u64,
    uur: u64,
    totaal: Option<u64>,
) -> Vec<u8> {
    use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
    let bedrag = uur * 6000;
    let mut h = header(PROVIDER, GEMEENTE, identificatie);
    h.bericht_identificatie.dagtekening = d(2025, 6, 2);
    xml(&Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: h,
            body: Declaratie {
                declaratie_nummer: nummer.into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: d(2025, 5, 1),
                    einddatum: d(2025, 5, 31),
                },
                declaratie_dagtekening: d(2025, 6, 2),
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(totaal.unwrap_or(bedrag)),
                    debet_credit: DebetCredit::Debet,
                },
                clienten: vec![DeclaratieClient {
                    bsn: "123456782".into(),
                    prestaties: vec![Prestatie {
                        product_referentie: ProductReferentie {
                            referentie_nummer: format!("{nummer}-1").as_str().into(),
                            vorig_referentie_nummer: None,
                        },
                        toewijzing_nummer: Nummer(toewijzing),
                        product_categorie: ProductCategorie::C45,
                        product_code: "45A48".into(),
                        product_periode: GeslotenPeriode {
                            begindatum: d(2025, 5, 1),
                            einddatum: d(2025, 5, 31),
                        },
                        geleverd_volume: Volume(uur),
                        eenheid: Eenheid::Uur,
                        product_tarief: Some(Bedrag(6000)),
                        ingediend_bedrag: BedragMetDc {
                            bedrag: Bedrag(bedrag),
                            debet_credit: DebetCredit::Debet,
                        },
                        retour_codes: vec![],
                    }],
                    retour_codes: vec![],
                }],
            },
        }),
    })
}

/// Pushes a JW315 (`request_315`) as PROVIDER; returns its traceerId.
pub async fn push_315(h: &Harness, identificatie: &str) -> Uuid {
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    let r = h
        .push(&h.client(PROVIDER), &m, request_315(identificatie))
        .await;
    assert_eq!(r.status(), 204);
    t
}

/// Pushes a JW323 payload as PROVIDER; returns its traceerId.
pub async fn push_323(h: &Harness, payload: Vec<u8>) -> Uuid {
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW323", t, Uuid::new_v4());
    let r = h.push(&h.client(PROVIDER), &m, payload).await;
    assert_eq!(r.status(), 204);
    t
}

/// The pull listing of PROVIDER (not confirmed).
pub async fn listing(h: &Harness) -> Vec<Value> {
    let r = h
        .client(PROVIDER)
        .get(h.pull_url(""))
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// The berichtsubtype of a listed message.
pub fn subtype_of(item: &Value) -> String {
    item["routeringgegevens"]["berichtstroom"]["berichtsubtype"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Downloads and reads the payload of a listed message.
pub async fn download(h: &Harness, item: &Value) -> Message {
    let url = item["basisgegevens"]["payload"]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let bytes = h
        .client(PROVIDER)
        .get(&url)
        .send()
        .await
        .expect("payload")
        .bytes()
        .await
        .expect("bytes");
    Message::from_xml(&bytes).expect("valid message")
}

/// A scenario: the default one with `extra` TOML appended.
pub fn scenario_with(extra: &str) -> Scenario {
    let text = format!("{}\n{extra}", ketenpoort_sim::scenario::DEFAULT_SCENARIO);
    Scenario::from_toml(&text).expect("scenario")
}

/// The official standards directory (`../shared/standards` beside the repository, or
/// `KETENPOORT_STANDARDS_DIR`); `None` (with a message) when absent, a panic when
/// `KETENPOORT_REQUIRE_STANDARDS=1`.
pub fn standards_dir(test: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("KETENPOORT_STANDARDS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/standards")
        });
    if dir.join("ijw-3.2/basisschema.xsd").is_file() {
        return Some(dir);
    }
    if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") {
        panic!(
            "{test}: the standards directory {} is missing but KETENPOORT_REQUIRE_STANDARDS=1",
            dir.display()
        );
    }
    eprintln!(
        "{test}: XSD check skipped, no standards directory at {}",
        dir.display()
    );
    None
}

/// Asserts that `payload` (a message of `kind`, e.g. `JW306`) validates against its official
/// XSD with `xmllint --schema`, when the standards are there (see [`standards_dir`]).
pub fn assert_xsd_valid(test: &str, kind: &str, payload: &[u8]) {
    let Some(standards) = standards_dir(test) else {
        return;
    };
    let law_dir = if kind.starts_with("JW") {
        "ijw-3.2"
    } else {
        "iwmo-3.2"
    };
    let schema = standards.join(law_dir).join(format!("{kind}.xsd"));
    if !schema.is_file() {
        // iWmo retours have no XSD of their own in the standards directory.
        eprintln!("{test}: no XSD for {kind}; not checked");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("{kind}.xml"));
    std::fs::write(&file, payload).expect("write");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint must be installed (Debian package libxml2-utils)");
    assert!(
        out.status.success(),
        "{test}: the simulator's {kind} fails its XSD: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
