//! Issue 18's acceptance test: a year of claims through the built-in simulator (three
//! municipalities; hours, minutes, days and euros; a partly rejected claim; a credit with its
//! correction; a stray credit; a claim left without a 325), then `ketenpoort verantwoording`
//! as a separate process. The workbook is read back with calamine (not the library that
//! wrote it) and every total is checked against sums the test makes itself from the lines it
//! sent and what the 325s say about them.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{AGB_A, TOKEN_A, TestServer, req};
use ketenpoort::config::VecozoMode;
use ketenpoort::proto::{self, Law, return_event::Event};
use ketenpoort::verantwoording::Organisation;

const BSN: &str = "123456782";

/// The scenario: provider AGB_A with its own certificate, three municipalities, answering
/// at once (no ketencontrole wait, no working-day delays, a tick every 20 ms: the test is
/// about the workbook, and waits for each round of answers); with `no_325` the
/// municipalities never answer a claim.
fn scenario(no_325: bool) -> String {
    let mut s = String::from(
        "[simulator]\ntick_interval_ms = 20\n\
         [ketencontrole]\nstart_after_seconds = 0\nduration_seconds = 0\n\
         offer_after_seconds = 0\ngemeente_pickup_seconds = 0\n\
         [gemeentebot]\nretour_werkdagen = 0\ntoewijzing_werkdagen = 0\n\
         declaratie_werkdagen = 0\n",
    );
    s.push_str(&format!("[[aanbieder]]\nagb = \"{AGB_A}\"\n"));
    for code in ["0268", "1945", "0344"] {
        s.push_str(&format!("[[gemeente]]\ncode = \"{code}\"\n"));
    }
    if no_325 {
        s.push_str("[[storing]]\nsoort = \"geen-antwoord\"\nberichten = [\"325\"]\n");
    }
    s
}

fn organisation() -> Organisation {
    Organisation {
        name: "Jeugdhulp De Brug B.V.".into(),
        place: "Nijmegen".into(),
        kvk_number: "87654321".into(),
        contact_person: "J. de Vries".into(),
        telephone: "024-1234567".into(),
        email: "administratie@debrug.example".into(),
        signatory: "A. Jansen".into(),
    }
}

async fn start(dir: tempfile::TempDir, no_325: bool) -> TestServer {
    let file = dir.path().join(if no_325 {
        "no-325.toml"
    } else {
        "scenario.toml"
    });
    std::fs::write(&file, scenario(no_325)).expect("scenario");
    common::start_in_with_clock(dir, Arc::new(ketenpoort::header::SystemClock), move |c| {
        c.vecozo.mode = Some(VecozoMode::Simulator);
        c.vecozo.simulator.scenario = Some(file);
        // The partly rejected claim, the stray credit and the claim beyond its
        // allocation must reach the municipality: the gateway would refuse them.
        c.messages.cross_message_rules = false;
        c.organisations.default = Some(organisation());
    })
    .await
}

/// What the test sent on one line.
#[derive(Debug, Clone)]
struct Sent {
    reference: String,
    /// IngediendBedrag, negative for a credit.
    cents: i64,
}

/// A claim the test sent: its message id, municipality and lines.
#[derive(Debug, Clone)]
struct Claim {
    message_id: String,
    municipality: String,
    lines: Vec<Sent>,
}

#[allow(clippy::too_many_arguments)]
fn line(
    reference: &str,
    previous: &str,
    allocation: u64,
    category: &str,
    code: &str,
    month: u32,
    days: u32,
    volume: u64,
    unit: &str,
    tariff: Option<u64>,
    cents: u64,
    credit: bool,
) -> proto::DeclarationLine {
    proto::DeclarationLine {
        reference_number: reference.into(),
        previous_reference_number: previous.into(),
        allocation_number: allocation,
        product_category: category.into(),
        product_code: code.into(),
        period_start: format!("2024-{month:02}-01"),
        period_end: format!("2024-{month:02}-{days:02}"),
        delivered_volume: volume,
        unit: unit.into(),
        tariff_cents: tariff,
        amount_cents: Some(cents),
        credit,
        ..Default::default()
    }
}

fn days_in(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

async fn submit_claim(
    c: &mut proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    municipality: &str,
    month: &str,
    request_id: &str,
    lines: Vec<proto::DeclarationLine>,
) -> Claim {
    let sent = lines
        .iter()
        .map(|l| {
            let cents = i64::try_from(l.amount_cents.expect("amount")).expect("fits");
            Sent {
                reference: l.reference_number.clone(),
                cents: if l.credit { -cents } else { cents },
            }
        })
        .collect();
    let mut common = common::common(Law::Ijw, AGB_A, request_id);
    common.municipality = municipality.into();
    let r = c
        .submit_declaration(req(
            TOKEN_A,
            proto::SubmitDeclarationRequest {
                common: Some(common),
                declaration_number: String::new(),
                month: month.into(),
                clients: vec![proto::DeclarationClient {
                    bsn: BSN.into(),
                    lines,
                }],
                split_when_too_large: false,
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("claim {request_id} accepted: {e:?}"))
        .into_inner();
    Claim {
        message_id: r.message_id,
        municipality: municipality.into(),
        lines: sent,
    }
}

/// Waits until every claim in `claims` has its 325 in `seen`.
async fn await_325s(
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
    claims: &[Claim],
) {
    let ids: BTreeSet<String> = claims.iter().map(|c| c.message_id.clone()).collect();
    common::until(stream, seen, "the 325s", |seen| {
        let answered: BTreeSet<&str> = seen
            .iter()
            .filter(|e| matches!(e.event, Some(Event::DeclarationAnswer(_))))
            .map(|e| e.message_id.as_str())
            .collect();
        ids.iter().all(|id| answered.contains(id.as_str()))
    })
    .await;
}

/// Claimed, granted, rejected and open in eurocent.
type Sums = [i64; 4];

/// The test's own sums per municipality: each claim's latest 325 rejects the lines it lists
/// and grants the others (their sum must be the 325's TotaalToegekendBedrag); a claim
/// without a 325 is open.
fn expected(claims: &[Claim], seen: &[proto::ReturnEvent]) -> BTreeMap<String, Sums> {
    let mut out: BTreeMap<String, Sums> = BTreeMap::new();
    for claim in claims {
        let answer = seen
            .iter()
            .filter(|e| e.message_id == claim.message_id)
            .filter_map(|e| match &e.event {
                Some(Event::DeclarationAnswer(a)) => Some((e.cursor, a)),
                _ => None,
            })
            .max_by_key(|(cursor, _)| *cursor)
            .map(|(_, a)| a);
        let sums = out.entry(claim.municipality.clone()).or_default();
        let total: i64 = claim.lines.iter().map(|l| l.cents).sum();
        sums[0] += total;
        let Some(answer) = answer else {
            sums[3] += total;
            continue;
        };
        let rejected: BTreeSet<&str> = answer
            .rejected_lines
            .iter()
            .map(|l| l.reference_number.as_str())
            .collect();
        let (mut granted, mut refused) = (0, 0);
        for l in &claim.lines {
            if rejected.contains(l.reference.as_str()) {
                refused += l.cents;
            } else {
                granted += l.cents;
            }
        }
        assert_eq!(
            granted.unsigned_abs(),
            answer.total_granted_cents,
            "the 325 on {} grants what it does not reject",
            claim.message_id
        );
        sums[1] += granted;
        sums[2] += refused;
    }
    out
}

fn cents(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 100.0).round() as i64,
        Data::Int(i) => i * 100,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The rows of a sheet as calamine reads them.
fn rows(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> Vec<Vec<Data>> {
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    // Rows from A1, whatever the first used cell.
    let (h, w) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
    (0..h)
        .map(|r| {
            (0..w)
                .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
                .collect()
        })
        .collect()
}

fn row_of<'a>(rows: &'a [Vec<Data>], col0: &str) -> &'a Vec<Data> {
    rows.iter()
        .find(|r| r.first().map(text).as_deref() == Some(col0))
        .unwrap_or_else(|| panic!("a row starting with {col0:?}"))
}

fn run_cli(addr: std::net::SocketAddr, args: &[&str]) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .arg("verantwoording")
        .args(["--gateway", &format!("http://{addr}"), "--token", TOKEN_A])
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

/// Excel's serial number of a date (days since 1899-12-30).
fn serial(y: i32, m: u32, d: u32) -> f64 {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("date");
    let day = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    (day - base).num_days() as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_claims_makes_a_workbook_whose_totals_are_the_325s() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir, false).await;
    let mut c = server.client().await;
    let mut stream = common::events_from_start(&mut c, TOKEN_A).await;
    let mut seen = Vec::new();

    // Allocations for 2024: hours per month in 0268, days (etmaal) in 1945, euros in 0344.
    let products = [
        ("0268", "45", "45A48", (20, "04", "4")),
        ("1945", "43", "43A03", (31, "14", "4")),
        // 6000.00 euro over the year (unit 83 counts in eurocent, as claims do, CS339).
        ("0344", "45", "45A53", (600_000, "83", "6")),
    ];
    for (municipality, category, code, (volume, unit, frequency)) in products {
        let mut r = common::request_for_allocation(Law::Ijw, AGB_A, &format!("315-{municipality}"));
        r.common.as_mut().expect("common").municipality = municipality.into();
        r.client.as_mut().expect("client").bsn = BSN.into();
        let p = &mut r.products[0];
        p.provider_reference = format!("REF-{municipality}");
        p.product = Some(proto::Product {
            category: category.into(),
            code: code.into(),
        });
        p.start_date = "2024-01-01".into();
        p.end_date = "2024-12-31".into();
        p.extent = Some(proto::Extent {
            volume,
            unit: unit.into(),
            frequency: frequency.into(),
        });
        p.budget_cents = None;
        c.submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .unwrap_or_else(|e| panic!("315 for {municipality}: {e:?}"));
    }
    common::until(&mut stream, &mut seen, "three 301s", |seen| {
        seen.iter()
            .filter(|e| matches!(e.event, Some(Event::Allocation(_))))
            .count()
            == 3
    })
    .await;
    let mut allocation: BTreeMap<String, u64> = BTreeMap::new();
    for e in &seen {
        if let Some(Event::Allocation(a)) = &e.event {
            for p in &a.products {
                let m = p.provider_reference.trim_start_matches("REF-").to_owned();
                allocation.insert(m, p.allocation_number);
            }
        }
    }
    assert_eq!(allocation.len(), 3, "{allocation:?}");
    let (a0268, a1945, a0344) = (allocation["0268"], allocation["1945"], allocation["0344"]);

    // January–November. 0268: 10 hours at 87.24 until June, then 240 minutes at 1.45 a
    // minute claimed from the hourly tariff (IV081: 348.96, not 348.00). 1945: every day at
    // 350.00. 0344: 450.00 in euro. February in 0268 also claims on an allocation that does
    // not exist (rejected by the municipality: a partly rejected claim); June in 0344 also
    // credits a line that was never claimed.
    let mut claims = Vec::new();
    for month in 1..=11u32 {
        let m = format!("2024-{month:02}");
        let days = days_in(month);
        let mut l0268 = vec![if month <= 6 {
            line(
                &format!("H{month:02}"),
                "",
                a0268,
                "45",
                "45A48",
                month,
                days,
                10,
                "04",
                Some(8724),
                87_240,
                false,
            )
        } else {
            line(
                &format!("M{month:02}"),
                "",
                a0268,
                "45",
                "45A48",
                month,
                days,
                240,
                "01",
                Some(145),
                34_896,
                false,
            )
        }];
        if month == 2 {
            l0268.push(line(
                "X02",
                "",
                999_999_999,
                "45",
                "45A48",
                month,
                days,
                2,
                "04",
                Some(8724),
                17_448,
                false,
            ));
        }
        claims.push(submit_claim(&mut c, "0268", &m, &format!("0268-{m}"), l0268).await);
        let d = u64::from(days);
        let l1945 = vec![line(
            &format!("E{month:02}"),
            "",
            a1945,
            "43",
            "43A03",
            month,
            days,
            d,
            "14",
            Some(35_000),
            35_000 * d,
            false,
        )];
        claims.push(submit_claim(&mut c, "1945", &m, &format!("1945-{m}"), l1945).await);
        let mut l0344 = vec![line(
            &format!("B{month:02}"),
            "",
            a0344,
            "45",
            "45A53",
            month,
            days,
            45_000,
            "83",
            None,
            45_000,
            false,
        )];
        if month == 6 {
            l0344.push(line(
                "C06",
                "NOSUCHLINE",
                a0344,
                "45",
                "45A53",
                month,
                days,
                1_000,
                "83",
                None,
                1_000,
                true,
            ));
        }
        claims.push(submit_claim(&mut c, "0344", &m, &format!("0344-{m}"), l0344).await);
    }
    await_325s(&mut stream, &mut seen, &claims).await;

    // March in 1945 was 30 days of care, not 31: a credit of the line, then the line again
    // (for the whole month, with volume 30).
    let credit = submit_claim(
        &mut c,
        "1945",
        "2024-12",
        "1945-credit",
        vec![line(
            "E03C",
            "E03",
            a1945,
            "43",
            "43A03",
            3,
            31,
            31,
            "14",
            Some(35_000),
            35_000 * 31,
            true,
        )],
    )
    .await;
    claims.push(credit);
    await_325s(&mut stream, &mut seen, &claims).await;
    let mut december = vec![
        submit_claim(
            &mut c,
            "1945",
            "2024-12",
            "1945-2024-12",
            vec![
                line(
                    "E03B",
                    "",
                    a1945,
                    "43",
                    "43A03",
                    3,
                    31,
                    30,
                    "14",
                    Some(35_000),
                    35_000 * 30,
                    false,
                ),
                line(
                    "E12",
                    "",
                    a1945,
                    "43",
                    "43A03",
                    12,
                    31,
                    31,
                    "14",
                    Some(35_000),
                    35_000 * 31,
                    false,
                ),
            ],
        )
        .await,
        submit_claim(
            &mut c,
            "0344",
            "2024-12",
            "0344-2024-12",
            vec![line(
                "B12", "", a0344, "45", "45A53", 12, 31, 45_000, "83", None, 45_000, false,
            )],
        )
        .await,
    ];
    claims.append(&mut december);
    await_325s(&mut stream, &mut seen, &claims).await;
    drop(stream);
    drop(c);

    // December in 0268 goes out while the municipality no longer answers claims: it stays
    // open. Its 200 hours also take the allocation beyond its 12 × 20 hours.
    let server = start(server.stop_keeping_data().await, true).await;
    let mut c = server.client().await;
    let open = submit_claim(
        &mut c,
        "0268",
        "2024-12",
        "0268-2024-12",
        vec![line(
            "H12",
            "",
            a0268,
            "45",
            "45A48",
            12,
            31,
            200,
            "04",
            Some(8724),
            1_744_800,
            false,
        )],
    )
    .await;
    let open_id = open.message_id.clone();
    claims.push(open);
    // Wait until VECOZO (the simulator) accepted it, so its 325 term runs.
    let mut stream = common::events_from_start(&mut c, TOKEN_A).await;
    let mut after = Vec::new();
    common::until(
        &mut stream,
        &mut after,
        "the open claim delivered",
        |seen| {
            seen.iter().any(|e| {
                e.message_id == open_id
                    && matches!(&e.event, Some(Event::Delivery(d))
                    if d.state == proto::MessageState::Delivered as i32)
            })
        },
    )
    .await;
    seen.extend(after);

    let expect = expected(&claims, &seen);
    let mut total: Sums = [0; 4];
    for s in expect.values() {
        for i in 0..4 {
            total[i] += s[i];
        }
    }
    // The traffic did what the test meant: something rejected, something open, and the
    // granted total above the threshold.
    assert!(expect["0268"][2] > 0 && expect["0344"][2] < 0, "{expect:?}");
    assert_eq!(expect["0268"][3], 1_744_800, "{expect:?}");
    assert!(total[1] >= 12_500_000, "{total:?}");

    // The report, judged a month from now (so the open claim's term has passed).
    let out = tempfile::tempdir().expect("temp dir");
    let xlsx = out.path().join("verantwoording-2024.xlsx");
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let (stdout, _) = run_cli(
        server.addr,
        &[
            "--year",
            "2024",
            "--law",
            "ijw",
            "--out",
            xlsx.to_str().expect("utf-8 path"),
            "--as-of",
            &later,
        ],
    );

    let mut book: Xlsx<_> = open_workbook(&xlsx).expect("calamine opens the workbook");
    assert_eq!(
        book.sheet_names(),
        [
            "Totaalblad",
            "Overzicht gemeenten",
            "Gemeente 0268",
            "Gemeente 0344",
            "Gemeente 1945",
            "Reconciliatie",
            "Regels"
        ]
    );

    // Overzicht gemeenten: per municipality and in total, the test's own sums.
    let overview = rows(&mut book, "Overzicht gemeenten");
    for (code, sums) in &expect {
        let r = row_of(&overview, code);
        let got: Sums = [cents(&r[3]), cents(&r[4]), cents(&r[5]), cents(&r[6])];
        assert_eq!(&got, sums, "Overzicht gemeenten, {code}");
    }
    let t = row_of(&overview, "Totaal");
    assert_eq!(
        [cents(&t[3]), cents(&t[4]), cents(&t[5]), cents(&t[6])],
        total
    );
    let formulas = book
        .worksheet_formula("Overzicht gemeenten")
        .expect("formulas");
    assert!(
        formulas.used_cells().any(|(_, _, f)| f.starts_with("SUM(")),
        "the totals are formulas"
    );

    // Each municipality's sheet: its rows add up to the same sums; Q × P is a formula.
    for (code, sums) in &expect {
        let sheet = format!("Gemeente {code}");
        let r = rows(&mut book, &sheet);
        let head = r
            .iter()
            .position(|row| row.first().map(text).as_deref() == Some("Categorie"))
            .expect("column heads");
        let products: Vec<&Vec<Data>> = r[head + 1..]
            .iter()
            .take_while(|row| {
                row.first()
                    .map(text)
                    .is_some_and(|t| t != "Totaal" && !t.is_empty())
            })
            .collect();
        let mut got: Sums = [0; 4];
        for p in &products {
            for i in 0..4 {
                got[i] += cents(&p[9 + i]);
            }
        }
        assert_eq!(&got, sums, "{sheet}: product rows");
        let total_row = row_of(&r, "Totaal");
        assert_eq!(
            [
                cents(&total_row[9]),
                cents(&total_row[10]),
                cents(&total_row[11]),
                cents(&total_row[12])
            ],
            *sums,
            "{sheet}: total row"
        );
        let f = book.worksheet_formula(&sheet).expect("formulas");
        let row = u32::try_from(head + 1).expect("row");
        assert_eq!(
            f.get_value((row, 8)).map(String::as_str),
            Some(format!("G{n}*H{n}", n = row + 1).as_str()),
            "{sheet}: Q × P is a formula"
        );
    }
    // 1945: 366 days claimed, one March day credited: Q = 365 days at 350.00.
    let r1945 = rows(&mut book, "Gemeente 1945");
    let etmaal = r1945
        .iter()
        .find(|r| r.get(2).map(text).as_deref() == Some("43A03"))
        .expect("the 43A03 row");
    assert_eq!(text(&etmaal[5]), "Etmaal");
    assert_eq!(cents(&etmaal[6]), 36_500, "Q in hundredths of a day");
    assert_eq!(cents(&etmaal[7]), 35_000);
    assert_eq!(cents(&etmaal[8]), 365 * 35_000, "Q × P");
    assert_eq!(text(&etmaal[1]), "Jeugdhulp verblijf (incl. behandeling)");
    // 0268: a minute row (unit 01) whose claimed amount is 5 × 348.96 while Q × P is
    // 5 × 348.00.
    let r0268 = rows(&mut book, "Gemeente 0268");
    let minutes = r0268
        .iter()
        .find(|r| r.get(4).map(text).as_deref() == Some("01"))
        .expect("a minute row");
    assert_eq!((cents(&minutes[6]), cents(&minutes[7])), (120_000, 145));
    assert_eq!((cents(&minutes[8]), cents(&minutes[9])), (174_000, 174_480));

    // Totaalblad: the organisation from the configuration, the totals, the verdict and the
    // due dates.
    let tb = rows(&mut book, "Totaalblad");
    let value = |label: &str| row_of(&tb, label)[1].clone();
    assert_eq!(text(&value("Naam organisatie")), "Jeugdhulp De Brug B.V.");
    assert_eq!(text(&value("KvK-nummer")), "87654321");
    assert_eq!(text(&value("Tekenbevoegde")), "A. Jansen");
    assert_eq!(cents(&value("Totaal toegekend (325)")), total[1]);
    assert_eq!(cents(&value("Totaal gedeclareerd")), total[0]);
    assert_eq!(
        text(&value("Oordeel (op het toegekende totaal)")),
        "Op of boven de drempel: controleverklaring vereist"
    );
    let due = |label: &str| match value(label) {
        Data::DateTime(d) => d.as_f64(),
        other => panic!("{label}: not a date: {other:?}"),
    };
    assert_eq!(
        due("Inleveren productieverantwoording uiterlijk"),
        serial(2025, 3, 1)
    );
    assert_eq!(
        due("Inleveren controleverklaring uiterlijk (indien vereist)"),
        serial(2025, 4, 1)
    );

    // The reconciliation, on the terminal and in its sheet, with the reference numbers.
    for (kind, reference) in [
        ("rejected-not-claimed-again", "line X02 "),
        ("credit-without-debit", "line C06 "),
        ("overdue-325", "line H12 "),
        ("beyond-allocation", &format!("allocation {a0268}:")),
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(kind) && l.contains(reference)),
            "{kind} with {reference} in:\n{stdout}"
        );
    }
    assert!(stdout.contains("at or above 125000.00"), "{stdout}");
    let rec = rows(&mut book, "Reconciliatie");
    let refs: BTreeSet<String> = rec.iter().skip(2).map(|r| text(&r[5])).collect();
    for reference in ["X02", "C06", "H12"] {
        assert!(refs.contains(reference), "{reference} in {refs:?}");
    }
    // E03 was credited and claimed again, so it is no finding; neither is anything in 1945.
    assert!(!rec.iter().any(|r| text(&r[1]) == "1945"), "{rec:?}");

    // The CSV next to it holds the same totals.
    let csv = std::fs::read_to_string(out.path().join("verantwoording-2024-gemeenten.csv"))
        .expect("the CSV");
    let euro = |c: i64| format!("{}.{:02}", c / 100, c.rem_euclid(100));
    for (code, s) in &expect {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{code},")))
            .unwrap_or_else(|| panic!("{code} in {csv}"));
        let fields: Vec<&str> = line.split(',').collect();
        if s.iter().all(|c| *c >= 0) {
            assert_eq!(
                fields[3..7].to_vec(),
                s.iter().map(|c| euro(*c)).collect::<Vec<_>>(),
                "{line}"
            );
        }
    }

    // Without the open claim's term passed, it is open but not overdue; for the other law
    // there is nothing, below the threshold.
    let today = chrono::Utc::now().date_naive().to_string();
    let (stdout, _) = run_cli(
        server.addr,
        &[
            "--year", "2024", "--law", "ijw", "--format", "csv", "--as-of", &today, "--out",
        ]
        .into_iter()
        .chain([xlsx.to_str().expect("path")])
        .collect::<Vec<_>>(),
    );
    assert!(!stdout.contains("overdue-325"), "{stdout}");
    let wmo = out.path().join("wmo.xlsx");
    let (stdout, _) = run_cli(
        server.addr,
        &[
            "--year",
            "2024",
            "--law",
            "iwmo",
            "--out",
            wmo.to_str().expect("path"),
        ],
    );
    assert!(
        stdout.contains("granted 0.00 is below 125000.00"),
        "{stdout}"
    );
    let mut book: Xlsx<_> = open_workbook(&wmo).expect("opens");
    let tb = rows(&mut book, "Totaalblad");
    assert_eq!(
        text(&row_of(&tb, "Oordeel (op het toegekende totaal)")[1]),
        "Onder de drempel: geen controleverklaring vereist"
    );
    server.stop().await;
}

#[test]
fn bad_arguments_are_named_with_exit_code_2() {
    for (args, expect) in [
        (
            vec!["--year", "2024", "--agb", "1234"],
            "--agb \"1234\" is not an AGB code",
        ),
        (
            vec!["--year", "2024", "--as-of", "31-12-2024"],
            "--as-of must be YYYY-MM-DD",
        ),
        (vec!["--year", "24"], "--year must be a year"),
    ] {
        let mut all = vec!["verantwoording", "--law", "ijw", "--out", "x.xlsx"];
        all.extend(args);
        // Refused before the gateway is reached.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
            .args(&all)
            .args(["--gateway", "http://127.0.0.1:9"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{all:?}: {stderr}");
    }
}
