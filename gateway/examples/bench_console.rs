//! Page times of the operator console with 100,000 messages in the store.
//!
//! ```text
//! cargo run --release -p ketenpoort --example bench_console
//! # optional: -- --messages 100000 --rounds 20
//! ```
//!
//! 1. **Store**: a gateway (VECOZO mode `off`, cross-message rules off) in a temp dir gets
//!    `--messages` submits through the API's own submit functions (no transport): 60% JW315
//!    (one client each) and 40% JW323 with 4 prestaties, each claim's four allocations
//!    collected before as a 301 (`Write::Incoming`, tied to the client's 315 by
//!    ReferentieAanbieder). Every message is then delivered (`Write::Delivered`: an event
//!    and its expectations), 1% refused by VECOZO instead (`Write::Rejected`, with a BRS
//!    melding); a deadline check 30 days later reports every expectation still open as
//!    missed, and the last 1,000 messages are delivered after it, so that 1,000-odd terms
//!    are open, as in a store that keeps up with its answers.
//! 2. **Index**: the gateway serves the console on that store; the time until the console's
//!    index is complete (the Overzicht no longer says it is being built) and the process's
//!    memory before and after.
//! 3. **Pages**: signed in through the sign-in form, each page is fetched `--rounds` times
//!    (the pages in turn, round after round), over HTTP on 127.0.0.1, timed at the client:
//!    the whole answer, from request to the last byte. Median, 95th percentile and maximum.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ketenpoort::config::{Config, TenantConfig, VecozoMode};
use ketenpoort::proto::{self, Law};
use ketenpoort::server::Gateway;
use ketenpoort::store::{IncomingContent, IncomingWrite, Melding, Outcome, Write};
use ketenpoort::tenant::token_digest;

#[path = "support/mod.rs"]
mod support;
use support::{arg_or, rss_mb};

const TOKEN: &str = "bench-token";
const AGB: &str = "12345678";
const MUNICIPALITY: &str = "0268";
const LINES: usize = 4;

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

fn common(request_id: String) -> proto::SubmitCommon {
    proto::SubmitCommon {
        request_id,
        validate_only: false,
        include_xml: false,
        law: Law::Ijw as i32,
        agb_code: AGB.into(),
        municipality: MUNICIPALITY.into(),
    }
}

fn request_315(n: usize) -> proto::SubmitRequestForAllocationRequest {
    proto::SubmitRequestForAllocationRequest {
        common: Some(common(format!("315-{n}"))),
        client: Some(proto::ClientIdentity {
            bsn: bsn(n as u64),
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
            provider_reference: format!("V{n}"),
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

fn allocation_number(n: usize, j: usize) -> u64 {
    1_000_000 + (n * LINES + j) as u64
}

fn request_323(n: usize) -> proto::SubmitDeclarationRequest {
    let lines = (0..LINES)
        .map(|j| proto::DeclarationLine {
            reference_number: format!("R{n}-{j}"),
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
            ..Default::default()
        })
        .collect();
    proto::SubmitDeclarationRequest {
        common: Some(common(format!("323-{n}"))),
        declaration_number: String::new(),
        month: "2025-03".into(),
        clients: vec![proto::DeclarationClient {
            bsn: bsn(n as u64),
            lines,
        }],
        split_when_too_large: false,
    }
}

/// The 301 with client `n`'s four allocations, answering its 315 (ReferentieAanbieder).
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
            referentie_aanbieder: (j == 0).then(|| format!("V{n}").as_str().into()),
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
    message.to_xml().unwrap_or_default()
}

/// The fields of a page fetched with a POST.
type Form = Vec<(&'static str, String)>;

/// Runs `jobs` futures at most `width` at a time.
async fn in_parallel<F>(jobs: Vec<F>, width: usize)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        if set.len() >= width {
            let _ = set.join_next().await;
        }
        set.spawn(job);
    }
    while set.join_next().await.is_some() {}
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let total = arg_or("--messages", 100_000usize);
    let rounds = arg_or("--rounds", 20usize);
    let claims = total * 2 / 5;
    let requests = total - claims;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.server.allow_plaintext = true;
    config.vecozo.mode = Some(VecozoMode::Off);
    config.vecozo.deadline_check_interval_secs = 3600;
    config.messages.cross_message_rules = false;
    config.tenants = vec![TenantConfig {
        name: "bench".into(),
        api_token_sha256: Some(token_digest(TOKEN)),
        certificate_sha256: None,
        agb_codes: vec![AGB.into()],
        all_agb_codes: false,
        auto_answer: Some(false),
    }];
    let gateway = Gateway::open(config).expect("the gateway opens");
    let shared = gateway.shared();
    let tenant = shared.tenants.by_token(TOKEN).expect("the tenant");

    // 1. The store.
    let started = Instant::now();
    let jobs = (0..requests)
        .map(|n| {
            let (shared, tenant) = (shared.clone(), tenant.clone());
            async move {
                ketenpoort::api::submit::request_for_allocation(&shared, &tenant, request_315(n))
                    .await
                    .expect("a 315 is stored");
            }
        })
        .collect();
    in_parallel(jobs, 256).await;
    let collect_at = chrono::Utc::now().timestamp_millis();
    let jobs = (0..claims)
        .map(|n| {
            let shared = shared.clone();
            async move {
                let xml = allocation_xml(n);
                let message = ketenpoort_messages::read(xml.as_bytes(), Default::default())
                    .expect("the 301 reads");
                let write = Write::Incoming(Box::new(IncomingWrite {
                    traceer_id: uuid::Uuid::new_v4(),
                    als_antwoord_op: None,
                    at_ms: collect_at,
                    addressee: AGB.into(),
                    payload: xml.into_bytes(),
                    content: IncomingContent::Message(Arc::new(message)),
                    retour: None,
                    owed: None,
                    fence: None,
                }));
                shared
                    .store
                    .commit(write)
                    .wait()
                    .await
                    .expect("the 301 is stored");
            }
        })
        .collect();
    in_parallel(jobs, 256).await;
    let jobs = (0..claims)
        .map(|n| {
            let (shared, tenant) = (shared.clone(), tenant.clone());
            async move {
                ketenpoort::api::submit::declaration(&shared, &tenant, request_323(n))
                    .await
                    .expect("a 323 is stored");
            }
        })
        .collect();
    in_parallel(jobs, 256).await;
    let stored = started.elapsed();

    // Delivered (1% refused), the deadline check 30 days on, the last 1,000 delivered later.
    let ids: Vec<u64> = (1..=total as u64).collect();
    let (early, late) = ids.split_at(ids.len().saturating_sub(1000));
    let deliver = |ids: Vec<u64>| {
        ids.into_iter()
            .map(|id| {
                let shared = shared.clone();
                async move {
                    let at_ms = chrono::Utc::now().timestamp_millis();
                    let write = if id % 100 == 7 {
                        Write::Rejected {
                            message_id: id,
                            at_ms,
                            meldingen: vec![Melding {
                                code: "BRS03".into(),
                                description: "Indiener is niet gemachtigd".into(),
                            }],
                            vecozo_status: None,
                        }
                    } else {
                        Write::Delivered {
                            message_id: id,
                            at_ms,
                        }
                    };
                    shared.store.commit(write).wait().await.expect("delivered");
                }
            })
            .collect::<Vec<_>>()
    };
    in_parallel(deliver(early.to_vec()), 512).await;
    let today = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let outcome = shared
        .store
        .commit(Write::CheckDeadlines {
            today,
            at_ms: chrono::Utc::now().timestamp_millis(),
        })
        .wait()
        .await
        .expect("the deadline check");
    let missed = match outcome {
        Outcome::DeadlinesMissed(m) => m.len(),
        _ => 0,
    };
    in_parallel(deliver(late.to_vec()), 512).await;
    let prepared = started.elapsed();
    let open = shared.store.open_terms().expect("terms").expectations.len();
    println!(
        "store: {requests} JW315 + {claims} JW323 ({LINES} lines) + {claims} 301s stored in {:.1} s; \
         delivered/refused, {missed} deadlines reported missed, {open} open; ready after {:.1} s",
        stored.as_secs_f64(),
        prepared.as_secs_f64()
    );

    // 2. The console's index.
    let rss_before = rss_mb();
    let console = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let console_addr = console.local_addr().expect("addr");
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let index_started = Instant::now();
    let task = tokio::spawn(gateway.with_console(console).serve(grpc, None, async {
        let _ = stop_rx.await;
    }));
    let base = format!("http://{console_addr}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Sign in through the form.
    let pre = http
        .get(format!("{base}/aanmelden"))
        .send()
        .await
        .expect("sign-in page");
    let pre_cookie = pre
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_owned();
    let body = pre.text().await.expect("body");
    let token_of = |body: &str| -> String {
        let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        body[at..at + 64].to_owned()
    };
    let signed = http
        .post(format!("{base}/aanmelden"))
        .header("cookie", &pre_cookie)
        .form(&[
            ("csrf", token_of(&body).as_str()),
            ("token", TOKEN),
            ("user", "Bench"),
            ("method", "token"),
        ])
        .send()
        .await
        .expect("signed in");
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kp_sessie="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    loop {
        let page = http
            .get(format!("{base}/overzicht"))
            .header("cookie", &session)
            .send()
            .await
            .expect("overview")
            .text()
            .await
            .expect("body");
        if !page.contains("wordt nog opgebouwd") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let index_time = index_started.elapsed();
    let rss_after = rss_mb();
    println!(
        "index: complete {:.1} s after the console started; process memory {rss_before:.0} MiB \
         before, {rss_after:.0} MiB after",
        index_time.as_secs_f64()
    );

    // 3. The pages.
    let csrf = token_of(
        &http
            .get(format!("{base}/downloads"))
            .header("cookie", &session)
            .send()
            .await
            .expect("downloads")
            .text()
            .await
            .expect("body"),
    );
    let claim_id = requests as u64 + claims as u64 / 2;
    let client = bsn((claims / 2) as u64);
    let number = allocation_number(claims / 3, 1).to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    // Each page with what it must show, so that a fast page is not a fast error or an
    // empty one.
    let pages: Vec<(String, Option<Form>, &str)> = vec![
        ("/overzicht".into(), None, "<svg"),
        ("/berichten".into(), None, "<td>JW323</td>"),
        (
            "/berichten?status=REJECTED_BY_VECOZO".into(),
            None,
            "afgekeurd door VECOZO</td>",
        ),
        (
            format!("/berichten?soort=JW323&van={today}&tot={today}"),
            None,
            "<td>JW323</td>",
        ),
        (
            format!("/berichten?toewijzing={number}"),
            None,
            "<td>JW323</td>",
        ),
        (
            "/berichten?gemeente=9999".into(),
            None,
            "Geen berichten gevonden",
        ),
        (
            "/berichten/zoeken".into(),
            Some(vec![("csrf", csrf.clone()), ("bsn", client)]),
            "<td>JW323</td>",
        ),
        (format!("/berichten/{claim_id}"), None, "JW301 · Toewijzing"),
        (
            format!("/berichten/{claim_id}/inzien"),
            Some(vec![("csrf", csrf.clone())]),
            "vastgelegd in het inzagelog",
        ),
        ("/uitval".into(), None, "BRS03"),
        ("/termijnen".into(), None, "OP090x4"),
        ("/toewijzingen".into(), None, "45A48"),
        ("/downloads".into(), None, "declaration-lines.csv"),
        ("/inzagelog".into(), None, "Bench"),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); pages.len()];
    for _ in 0..rounds {
        for (i, (path, form, needle)) in pages.iter().enumerate() {
            let url = format!("{base}{path}");
            let t = Instant::now();
            let request = match form {
                Some(f) => http.post(&url).form(f),
                None => http.get(&url),
            };
            let response = request
                .header("cookie", &session)
                .send()
                .await
                .expect("an answer");
            let status = response.status();
            let body = response.bytes().await.expect("the body");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            assert!(
                String::from_utf8_lossy(&body).contains(needle),
                "{path} does not show {needle:?}"
            );
            times[i].push(ms);
        }
    }
    println!();
    println!(
        "{:<48} {:>9} {:>9} {:>9}",
        "page", "median ms", "p95 ms", "max ms"
    );
    let mut over = 0;
    for ((path, form, _), t) in pages.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let name = if form.is_some() {
            format!("POST {path}")
        } else {
            format!("GET {path}")
        };
        let (median, p95, max) = (percentile(t, 0.5), percentile(t, 0.95), percentile(t, 1.0));
        if p95 >= 200.0 {
            over += 1;
        }
        println!("{name:<48} {median:>9.1} {p95:>9.1} {max:>9.1}");
    }
    println!();
    println!(
        "{} of {} pages had a 95th percentile of 200 ms or more ({rounds} rounds, {total} messages)",
        over,
        pages.len()
    );
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
}
