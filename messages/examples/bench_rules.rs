//! Rules benchmark: full rule validation of a VECOZO-sized JW323 Declaratie — the in-message
//! rules ([`rules::check`]) and the cross-message rules ([`cross::check_against`]) against a
//! [`MemoryHistory`] of 100,000 allocations and a previous month's claim — with the reader
//! timed in the same run for comparison.
//!
//! ```text
//! cargo run --release -p ketenpoort-messages --features generate --example bench_rules \
//!     [-- --clients 7000 --prestaties 5 --allocations 100000 --runs 7]
//! ```
//!
//! The claim is built like the codec benchmark's (`bench_codec`): one provider (AGB 73731234)
//! to Nijmegen (0268) over March 2025, 7,000 clients × 5 prestaties by default, 11-proef BSNs,
//! unique ReferentieNummers, hours at contract tariffs. Unlike there, every line claims the
//! whole month against an allocation of its own (one per client and product code), because
//! the cross-message rules want that (TR387/TR388). The history holds, for those clients,
//! the 35,000 allocations the claim refers to, 65,000 more allocations of other clients, and the
//! February claim against the same allocations, approved by its 325 — so that TR314, TR322 and
//! TR389 look at a previous line for every allocation. One line in 100 is broken on purpose
//! (unknown allocation, period before the allocation, product code, volume) so that the
//! violation paths are exercised too.
//!
//! Timed per round, in turn: `read` of the XML bytes (parse + schema validation), then
//! `rules::check`, then `cross::check_against`; the table gives median and min over `--runs`.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use ketenpoort_messages::codes::{DebetCredit, Eenheid, Frequentie, ProductCategorie, RetourCode};
use ketenpoort_messages::message::DeclarationAnswer;
use ketenpoort_messages::model::basis::{
    BedragMetDc, BerichtIdentificatie, GeslotenPeriode, Omvang, Product, ProductReferentie,
    TotaalBedragMetDc, XsdVersie,
};
use ketenpoort_messages::model::declaration::{
    Declaratie, DeclaratieAntwoord, DeclaratieClient, Prestatie,
};
use ketenpoort_messages::model::header::{DeclarationAnswerHeader, Header};
use ketenpoort_messages::rules::cross::{AllocationRecord, MemoryHistory, Scope};
use ketenpoort_messages::rules::{self, cross};
use ketenpoort_messages::types::{
    Bedrag, Bsn, DeclaratieNummer, IdentificatieBericht, Nummer, ProductCode, ReferentieNummer,
    TotaalBedrag, Versie, Volume,
};
use ketenpoort_messages::{Content, Heen, Law, Message, ReadLimits};

type Res<T> = Result<T, Box<dyn Error>>;

const AGB: &str = "73731234";
const GEMEENTE: &str = "0268";
const CODES: [&str; 6] = ["45A48", "45A49", "45A52", "45A53", "45A54", "45A57"];
const TARIEVEN: [u64; 6] = [8_472, 9_315, 10_148, 7_893, 11_264, 12_037];
/// Weekly volume of every allocation, in hours.
const WEEKLY_HOURS: u64 = 10;
/// Target of the issue: rules on the whole claim under this many milliseconds.
const TARGET_MS: f64 = 100.0;

struct Options {
    clients: usize,
    prestaties: usize,
    allocations: usize,
    runs: usize,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let opts = parse_args(args.get(1..).unwrap_or_default())?;
    bench(&opts, &args)
}

fn parse_args(args: &[String]) -> Res<Options> {
    let mut opts = Options {
        clients: 7_000,
        prestaties: 5,
        allocations: 100_000,
        runs: 7,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: usize = value.parse().map_err(|_| format!("{flag}: not a number"))?;
        if n == 0 {
            return Err(format!("{flag} must be at least 1").into());
        }
        match flag.as_str() {
            "--clients" => opts.clients = n,
            "--prestaties" => opts.prestaties = n.min(CODES.len()),
            "--allocations" => opts.allocations = n,
            "--runs" => opts.runs = n,
            _ => {
                return Err(format!(
                    "unknown argument {flag}; usage: bench_rules [--clients N] [--prestaties N] \
                     [--allocations N] [--runs N]"
                )
                .into());
            }
        }
    }
    Ok(opts)
}

fn date(y: i32, m: u32, d: u32) -> Res<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

/// `count` distinct 11-proef BSNs, spread over the number range (as in `bench_codec`).
fn bsn_list(count: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    let mut j: u64 = 1;
    while out.len() < count {
        let first8 = 10_000_000 + (j * 104_729) % 90_000_000;
        j += 1;
        let sum: u64 = format!("{first8:08}")
            .bytes()
            .zip((2..=9).rev())
            .map(|(b, w)| u64::from(b - b'0') * w)
            .sum();
        let check = sum % 11;
        if check < 10 {
            out.push(format!("{first8:08}{check}"));
        }
    }
    out
}

fn toewijzing(client: usize, product: usize) -> u64 {
    40_000_000 + (client * 10 + product) as u64
}

fn header(provider: bool, id: &str, dagtekening: NaiveDate) -> Header {
    let (afzender, ontvanger) = if provider {
        (AGB, GEMEENTE)
    } else {
        (GEMEENTE, AGB)
    };
    Header {
        afzender: afzender.to_owned(),
        ontvanger: ontvanger.to_owned(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: IdentificatieBericht(id.to_owned()),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: Versie("1.0.0".to_owned()),
            bericht_xsd_versie: Versie("1.0.0".to_owned()),
        },
    }
}

/// What is broken on purpose in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Defect {
    None,
    UnknownAllocation,
    BeforeAllocation,
    ProductCode,
    Volume,
}

fn defect(client: usize, product: usize, prestaties: usize) -> Defect {
    let n = client * prestaties + product;
    if n % 100 != 99 {
        return Defect::None;
    }
    match (n / 100) % 4 {
        0 => Defect::UnknownAllocation,
        1 => Defect::BeforeAllocation,
        2 => Defect::ProductCode,
        _ => Defect::Volume,
    }
}

/// Allocation start: 1 January 2025, or 10 March for lines broken with `BeforeAllocation`.
fn allocation_start(d: Defect) -> Res<NaiveDate> {
    if d == Defect::BeforeAllocation {
        date(2025, 3, 10)
    } else {
        date(2025, 1, 1)
    }
}

/// The claim for `month` (first day) with lines prefixed `prefix`.
fn build_claim(
    bsns: &[String],
    clients: usize,
    prestaties: usize,
    month: NaiveDate,
    prefix: &str,
    with_defects: bool,
) -> Res<Message> {
    let (begin, end) = ketenpoort_messages::money::declaration_period(month);
    let dagtekening = end
        .checked_add_days(chrono::Days::new(2))
        .ok_or("date overflow")?;
    let mut lines_total: Vec<(u64, DebetCredit)> = Vec::with_capacity(clients * prestaties);
    let mut clienten = Vec::with_capacity(clients);
    for c in 0..clients {
        let mut lines = Vec::with_capacity(prestaties);
        for p in 0..prestaties {
            let k = (c * 7 + p * 3) % CODES.len();
            let fault = if with_defects {
                defect(c, p, prestaties)
            } else {
                Defect::None
            };
            let mut volume = 1 + ((c * 13 + p * 5) % 24) as u64;
            let mut nummer = toewijzing(c, p);
            let mut code = CODES[k];
            match fault {
                Defect::UnknownAllocation => nummer = 39_000_000 + nummer % 1_000_000,
                Defect::ProductCode => code = CODES[(k + 1) % CODES.len()],
                Defect::Volume => volume = 6 * WEEKLY_HOURS + 1,
                Defect::None | Defect::BeforeAllocation => {}
            }
            let tarief = TARIEVEN[k];
            let bedrag = volume * tarief;
            lines_total.push((bedrag, DebetCredit::Debet));
            lines.push(Prestatie {
                product_referentie: ProductReferentie {
                    referentie_nummer: ReferentieNummer(format!(
                        "{prefix}{:06}",
                        c * prestaties + p + 1
                    )),
                    vorig_referentie_nummer: None,
                },
                toewijzing_nummer: Nummer(nummer),
                product_categorie: ProductCategorie::C45,
                product_code: ProductCode(code.to_owned()),
                product_periode: GeslotenPeriode {
                    begindatum: begin,
                    einddatum: end,
                },
                geleverd_volume: Volume(volume),
                eenheid: Eenheid::Uur,
                product_tarief: Some(Bedrag(tarief)),
                ingediend_bedrag: BedragMetDc {
                    bedrag: Bedrag(bedrag),
                    debet_credit: DebetCredit::Debet,
                },
                retour_codes: Vec::new(),
            });
        }
        clienten.push(DeclaratieClient {
            bsn: Bsn(bsns.get(c).cloned().unwrap_or_default()),
            prestaties: lines,
            retour_codes: Vec::new(),
        });
    }
    let (total, sign) = ketenpoort_messages::money::total(lines_total);
    let nummer = format!("D{prefix}0417");
    Ok(Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: header(true, &nummer, dagtekening),
            body: Declaratie {
                declaratie_nummer: DeclaratieNummer(nummer.clone()),
                declaratie_periode: GeslotenPeriode {
                    begindatum: begin,
                    einddatum: end,
                },
                declaratie_dagtekening: dagtekening,
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(total),
                    debet_credit: sign,
                },
                clienten,
            },
        }),
    })
}

/// The 325 approving `claim` in full (8001).
fn approval(claim: &Message) -> Res<Message> {
    let Content::Declaration(h) = &claim.content else {
        return Err("not a claim".into());
    };
    let total = h.body.totaal_ingediend_bedrag.clone();
    Ok(Message {
        law: claim.law,
        content: Content::DeclarationAnswer(DeclarationAnswer {
            header: DeclarationAnswerHeader {
                heen: header(false, "A2502", h.header.bericht_identificatie.dagtekening),
                declaratie_identificatie: h.header.bericht_identificatie.clone(),
                xslt_versie: None,
                xsd_versie_declaratie: h.header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0200],
            },
            body: Some(DeclaratieAntwoord {
                declaratie_nummer: h.body.declaratie_nummer.0.as_str().into(),
                totaal_ingediend_bedrag: total.clone(),
                totaal_toegekend_bedrag: total,
                clienten: Vec::new(),
                retour_codes: vec![RetourCode::R8001],
            }),
        }),
    })
}

/// 100,000 allocations (one per claimed client and product, then other clients) and the
/// February claim, approved.
fn build_history(opts: &Options, bsns: &[String]) -> Res<MemoryHistory> {
    let scope = Scope {
        law: Law::Ijw,
        aanbieder: AGB.to_owned(),
        gemeente: GEMEENTE.to_owned(),
    };
    let mut h = MemoryHistory::new();
    let end = date(2025, 12, 31)?;
    let time = NaiveTime::from_hms_opt(9, 30, 0).ok_or("bad time")?;
    let per_client = opts.prestaties;
    let total_clients = bsns.len();
    let mut n = 0;
    'clients: for c in 0..total_clients {
        let client_bsn = bsns.get(c).cloned().unwrap_or_default();
        for p in 0..per_client {
            if n == opts.allocations {
                break 'clients;
            }
            n += 1;
            let k = (c * 7 + p * 3) % CODES.len();
            let fault = if c < opts.clients {
                defect(c, p, opts.prestaties)
            } else {
                Defect::None
            };
            h.insert_allocation(
                &scope,
                AllocationRecord {
                    toewijzing_nummer: toewijzing(c, p),
                    bsn: client_bsn.clone(),
                    product: Some(Product {
                        categorie: ProductCategorie::C45,
                        code: Some(ProductCode(CODES[k].to_owned())),
                    }),
                    ingangsdatum: allocation_start(fault)?,
                    einddatum: Some(end),
                    reden_wijziging: None,
                    omvang: Some(Omvang {
                        volume: Volume(WEEKLY_HOURS),
                        eenheid: Eenheid::Uur,
                        frequentie: Frequentie::PerWeek,
                    }),
                    budget: None,
                    referentie_aanbieder: None,
                    toewijzingsdatum: date(2024, 12, 15)?,
                    toewijzingstijd: time,
                },
            );
        }
    }
    // February: lines broken with BeforeAllocation start in March, so leave those out.
    let february = build_claim(
        bsns,
        opts.clients,
        opts.prestaties,
        date(2025, 2, 1)?,
        "2502",
        false,
    )?;
    let february = strip_lines(february, |c, p| {
        defect(c, p, opts.prestaties) != Defect::BeforeAllocation
    });
    h.record(&february);
    h.record(&approval(&february)?);
    Ok(h)
}

/// `claim` with only the lines `keep(client, prestatie)` and a matching total.
fn strip_lines(mut claim: Message, keep: impl Fn(usize, usize) -> bool) -> Message {
    if let Content::Declaration(h) = &mut claim.content {
        for (c, client) in h.body.clienten.iter_mut().enumerate() {
            let mut p = 0;
            client.prestaties.retain(|_| {
                p += 1;
                keep(c, p - 1)
            });
        }
        h.body.clienten.retain(|c| !c.prestaties.is_empty());
        let (total, sign) = ketenpoort_messages::money::total(
            h.body
                .clienten
                .iter()
                .flat_map(|c| &c.prestaties)
                .map(|l| (l.ingediend_bedrag.bedrag.0, l.ingediend_bedrag.debet_credit)),
        );
        h.body.totaal_ingediend_bedrag = TotaalBedragMetDc {
            totaal_bedrag: TotaalBedrag(total),
            debet_credit: sign,
        };
    }
    claim
}

#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort();
        v
    }
    fn median(&self) -> Duration {
        let v = self.sorted();
        match v.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2,
        }
    }
    fn min(&self) -> Duration {
        self.sorted().first().copied().unwrap_or_default()
    }
    fn all_ms(&self) -> String {
        self.0
            .iter()
            .map(|d| format!("{:.1}", ms(*d)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn count(violations: &[ketenpoort_messages::Violation]) -> String {
    let mut by_rule: BTreeMap<(&str, Option<&str>), usize> = BTreeMap::new();
    for v in violations {
        *by_rule.entry((v.rule, v.retourcode)).or_default() += 1;
    }
    if by_rule.is_empty() {
        return "none".into();
    }
    by_rule
        .iter()
        .map(|((rule, code), n)| format!("{rule}/{} × {n}", code.unwrap_or("-")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bench(opts: &Options, args: &[String]) -> Res<()> {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let shown_args = args.get(1..).unwrap_or_default().join(" ");
    println!(
        "command: cargo run --release -p ketenpoort-messages --features generate --example bench_rules{}",
        if shown_args.is_empty() {
            String::new()
        } else {
            format!(" -- {shown_args}")
        }
    );
    println!(
        "machine: nproc={nproc}, cpu: {}, load average at start: {}",
        cpu_model(),
        loadavg()
    );
    if cfg!(debug_assertions) {
        println!("WARNING: debug build; run with --release for meaningful numbers");
    }

    let t = Instant::now();
    let bsns = bsn_list(opts.allocations.div_ceil(opts.prestaties).max(opts.clients));
    let history = build_history(opts, &bsns)?;
    let history_built = t.elapsed();
    let message = build_claim(
        &bsns,
        opts.clients,
        opts.prestaties,
        date(2025, 3, 1)?,
        "2503",
        true,
    )?;
    let xml = message.to_xml()?;
    let lines = opts.clients * opts.prestaties;
    println!(
        "history: {} allocations, February claim of {} lines approved by its 325; built in {:.0} ms",
        opts.allocations,
        lines,
        ms(history_built)
    );
    println!(
        "message: JW323, {} clients x {} prestaties = {lines} prestaties, {} bytes ({:.2} MB)",
        opts.clients,
        opts.prestaties,
        xml.len(),
        xml.len() as f64 / 1e6
    );
    let back = ketenpoort_messages::read(xml.as_bytes(), ReadLimits::default())?;
    if back != message {
        return Err("read(to_xml(message)) differs from message".into());
    }
    drop(back);
    let in_message = rules::check(&message);
    let cross_message = cross::check_against(&history, &message);
    println!("in-message rules: {}", count(&in_message));
    println!("cross-message rules: {}", count(&cross_message));
    let expected_broken = (0..opts.clients)
        .flat_map(|c| (0..opts.prestaties).map(move |p| (c, p)))
        .filter(|&(c, p)| defect(c, p, opts.prestaties) != Defect::None)
        .count();
    println!("lines broken on purpose: {expected_broken} (1 in 100)");

    let mut read_t = Samples::default();
    let mut check_t = Samples::default();
    let mut cross_t = Samples::default();
    let mut both_t = Samples::default();
    for _ in 0..opts.runs {
        let t0 = Instant::now();
        let r = ketenpoort_messages::read(xml.as_bytes(), ReadLimits::default());
        read_t.0.push(t0.elapsed());
        drop(r?);
        let t1 = Instant::now();
        let a = rules::check(&message);
        let t2 = Instant::now();
        let b = cross::check_against(&history, &message);
        let t3 = Instant::now();
        check_t.0.push(t2 - t1);
        cross_t.0.push(t3 - t2);
        both_t.0.push(t3 - t1);
        if a.len() != in_message.len() || b.len() != cross_message.len() {
            return Err("rule results differ between runs".into());
        }
    }

    let mut table = String::new();
    writeln!(table, "| measurement | median | min | all runs (ms) |")?;
    writeln!(table, "| --- | ---: | ---: | --- |")?;
    for (name, s) in [
        ("rules::check (in-message)", &check_t),
        ("cross::check_against (cross-message)", &cross_t),
        ("rules total (both, back to back)", &both_t),
        ("read + validate (for comparison)", &read_t),
    ] {
        writeln!(
            table,
            "| {name} | {:.1} ms | {:.1} ms | {} |",
            ms(s.median()),
            ms(s.min()),
            s.all_ms()
        )?;
    }
    println!();
    print!("{table}");
    println!();
    let total = ms(both_t.median());
    println!(
        "rules total median {total:.1} ms for {lines} lines ({:.2} µs per line); target < {TARGET_MS:.0} ms: {}",
        total * 1e3 / lines as f64,
        if total < TARGET_MS { "MET" } else { "NOT MET" }
    );
    println!(
        "rules / read = {:.2} (medians)",
        total / ms(read_t.median()).max(1e-9)
    );
    println!("load average at end: {}", loadavg());
    Ok(())
}
