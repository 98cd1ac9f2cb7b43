//! `ketenpoort report --from DATE --to DATE --format jsonl,csv,xml --out DIR`: the tenant's
//! messages accepted in a period, each with the chain's answers, written to files, from a
//! running gateway (ListMessages, GetMessage, and the return events read without
//! acknowledging them). It is the client-side counterpart of `ketenpoort export`, which
//! dumps a stopped gateway's whole store.
//!
//! Files in `DIR` (created when missing; files of an earlier report are overwritten):
//!
//! - `jsonl`: `messages.jsonl`, one object per message: the record (`message_id`, `kind`,
//!   `agb_code`, `municipality`, `state`, `identificatie`, `request_id`, `accepted_at`,
//!   `meldingen`, `event_cursors`), its `answers` (the events, as `returns --json` prints
//!   them but without BSNs and XML) and, for a 323, `declaration` with its
//!   `declaration_number` and `lines`, each with its verdict.
//! - `csv`: `messages.csv` (one row per message) and `declaration-lines.csv`: one row per
//!   323 line (prestatie) with the 325 verdict next to it: `verdict` (`accepted`,
//!   `rejected`, or empty while no 325 has come), the line's `retourcodes` and their
//!   `retourcode_texts` (the standard's texts, codelist WJ001), and the 325's own codes.
//!   RFC 4180 quoting, `,` as separator unless `--delimiter ';'` (for spreadsheet programs
//!   with a Dutch locale); amounts in eurocent.
//! - `xml`: `xml/<message_id>-<kind>.xml`, the XML that was sent, and
//!   `xml/<message_id>-<cursor>-<kind>.xml` for each answer that arrived as a message.
//!
//! A 325 lists only the lines the municipality does not grant: a line it does not list is
//! `accepted` once a 325 for the claim has come; the latest 325 counts.
//!
//! `jsonl` and `csv` hold no BSNs or names (the reference numbers identify the lines); the
//! XML files are the messages themselves and hold personal data.
//!
//! Which date `--from`/`--to` (both included) select on is `--date`, and the report says
//! on stderr which one it used:
//!
//! - `accepted` (the default): the day the gateway accepted the message (UTC); the
//!   gateway filters.
//! - `care-period`: the period of care the message is about overlaps the range: a 323's
//!   ProductPerioden, a 315's requested ToewijzingIngangsdatum–Einddatum, a 317's
//!   GewensteIngangsdatum–Einddatum, a 305's Begindatum on (open), a 307's
//!   Begindatum–Einddatum; retours (302/320) have none and are left out.
//! - `declaration-period`: a 323's DeclaratiePeriode (the claimed month) overlaps the range;
//!   other messages are left out.
//!
//! The last two read every message's XML (the other filters first), so they take longer
//! on a large store.
//!
//! Answers are found through the event cursors the gateway lists per message, read from
//! the return stream from those cursors without acknowledging anything (acknowledged
//! events stay readable, see [`super::returns::fetch_events`]); an event that still cannot
//! be read is reported on stderr.
//!
//! Exit code: 0 written, 2 usage, connection or file errors.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ketenpoort_client::proto::return_event::Event;
use ketenpoort_client::{Client, proto};
use ketenpoort_messages::{Content, Message};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_OK, state_name, time};
use super::retourcodes;
use super::returns::{euros, event_json_with, event_type, fetch_events};
use super::status::record_json;
use crate::csv::row as csv_row;

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `messages.jsonl`.
    Jsonl,
    /// `messages.csv` and `declaration-lines.csv`.
    Csv,
    /// `xml/*.xml`.
    Xml,
}

/// Which date of a message `--from`/`--to` select on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DateKind {
    /// The day the gateway accepted it (UTC).
    Accepted,
    /// The period of care it is about (323 lines, 315/317 products, 305/307 care).
    CarePeriod,
    /// A 323's DeclaratiePeriode (the claimed month).
    DeclarationPeriod,
}

impl DateKind {
    /// How the report names it on stderr.
    pub fn describe(self) -> &'static str {
        match self {
            DateKind::Accepted => "accepted by the gateway",
            DateKind::CarePeriod => "period of care",
            DateKind::DeclarationPeriod => "declaration period (323 only)",
        }
    }
}

/// Arguments of `ketenpoort report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// First day (YYYY-MM-DD) of the range, by the date `--date` names; default: no lower
    /// bound.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD) of the range, included; default: no upper bound.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Which date of a message the range selects on: the day it was accepted (UTC), the
    /// period of care it is about, or a claim's declaration period.
    #[arg(long, value_enum, default_value = "accepted")]
    pub date: DateKind,
    /// What to write (repeat or separate with commas).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "jsonl")]
    pub format: Vec<Format>,
    /// The directory to write to (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only this AGB code.
    #[arg(long, value_name = "AGB")]
    pub agb: Option<String>,
    /// Only this kind, e.g. JW323.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// CSV field separator.
    #[arg(long, value_name = "CHAR", default_value_t = ',')]
    pub delimiter: char,
}

/// One message with what came back.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record (with the XML when it was fetched).
    pub record: proto::MessageRecord,
    /// The events about it that could be read, in cursor order.
    pub events: Vec<proto::ReturnEvent>,
    /// Event cursors that could not be read.
    pub missing: Vec<u64>,
    /// For a 323: its lines, or why they could not be read.
    pub declaration: Option<Result<Claim, String>>,
}

/// The lines of a sent 323.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// DeclaratieNummer.
    pub declaration_number: String,
    /// DeclaratiePeriode/Begindatum.
    pub period_start: String,
    /// The prestaties, in message order.
    pub lines: Vec<Line>,
}

/// One prestatie of a 323.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// ProductReferentie/ReferentieNummer.
    pub reference_number: String,
    /// ProductReferentie/VorigReferentieNummer.
    pub previous_reference_number: String,
    /// ToewijzingNummer.
    pub allocation_number: u64,
    /// ProductCategorie.
    pub product_category: String,
    /// ProductCode.
    pub product_code: String,
    /// ProductPeriode/Begindatum.
    pub period_start: String,
    /// ProductPeriode/Einddatum.
    pub period_end: String,
    /// GeleverdVolume.
    pub delivered_volume: u64,
    /// Eenheid.
    pub unit: String,
    /// ProductTarief in eurocent.
    pub tariff_cents: Option<u64>,
    /// IngediendBedrag in eurocent.
    pub amount_cents: u64,
    /// DebetCredit: `D` or `C`.
    pub debit_credit: String,
}

/// What the latest 325 says about one line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// `accepted`, `rejected`, or empty while no 325 has come.
    pub verdict: &'static str,
    /// The line's retourcodes (rejected lines).
    pub codes: Vec<String>,
    /// The 325 event's cursor.
    pub cursor: Option<u64>,
    /// When the 325 arrived.
    pub at: String,
    /// The 325's codes for the whole claim.
    pub answer_codes: Vec<String>,
}

/// Reads the lines of a sent 323 from its XML.
pub fn claim_lines(xml: &str) -> Result<Claim, String> {
    let message = Message::from_xml(xml.as_bytes())
        .map_err(|e| format!("the stored XML cannot be read: {e}"))?;
    let Content::Declaration(heen) = message.content else {
        return Err("the stored XML is not a 323".into());
    };
    let d = heen.body;
    let mut lines = Vec::new();
    for client in &d.clienten {
        for p in &client.prestaties {
            lines.push(Line {
                reference_number: p.product_referentie.referentie_nummer.0.clone(),
                previous_reference_number: p
                    .product_referentie
                    .vorig_referentie_nummer
                    .as_ref()
                    .map(|r| r.0.clone())
                    .unwrap_or_default(),
                allocation_number: p.toewijzing_nummer.0,
                product_category: p.product_categorie.code().to_owned(),
                product_code: p.product_code.0.clone(),
                period_start: p.product_periode.begindatum.to_string(),
                period_end: p.product_periode.einddatum.to_string(),
                delivered_volume: p.geleverd_volume.0,
                unit: p.eenheid.code().to_owned(),
                tariff_cents: p.product_tarief.map(|b| b.0),
                amount_cents: p.ingediend_bedrag.bedrag.0,
                debit_credit: p.ingediend_bedrag.debet_credit.code().to_owned(),
            });
        }
    }
    Ok(Claim {
        declaration_number: d.declaratie_nummer.0.clone(),
        period_start: d.declaratie_periode.begindatum.to_string(),
        lines,
    })
}

/// The verdict of the latest claim answer (325) among `events` on the line with
/// `reference_number`: listed → rejected with its codes, not listed → accepted; no 325 →
/// unknown (empty).
pub fn verdict(events: &[proto::ReturnEvent], reference_number: &str) -> Verdict {
    let latest = events.iter().rev().find_map(|e| match &e.event {
        Some(Event::DeclarationAnswer(a)) => Some((e, a)),
        _ => None,
    });
    let Some((event, answer)) = latest else {
        return Verdict::default();
    };
    let listed = answer
        .rejected_lines
        .iter()
        .find(|l| l.reference_number == reference_number);
    Verdict {
        verdict: if listed.is_some() {
            "rejected"
        } else {
            "accepted"
        },
        codes: listed.map(|l| l.codes.clone()).unwrap_or_default(),
        cursor: Some(event.cursor),
        at: time(event.at.as_ref()),
        answer_codes: answer.codes.clone(),
    }
}

/// The periods (first day, last day or open) of a sent message's XML that `date` selects
/// on; none when the XML cannot be read or the message has no such date.
pub fn periods(xml: &str, date: DateKind) -> Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> {
    let Ok(message) = Message::from_xml(xml.as_bytes()) else {
        return Vec::new();
    };
    match (message.content, date) {
        (_, DateKind::Accepted) => Vec::new(),
        (Content::Declaration(m), DateKind::DeclarationPeriod) => {
            let p = m.body.declaratie_periode;
            vec![(p.begindatum, Some(p.einddatum))]
        }
        (_, DateKind::DeclarationPeriod) => Vec::new(),
        (Content::Declaration(m), DateKind::CarePeriod) => m
            .body
            .clienten
            .iter()
            .flat_map(|c| &c.prestaties)
            .map(|p| {
                (
                    p.product_periode.begindatum,
                    Some(p.product_periode.einddatum),
                )
            })
            .collect(),
        (Content::RequestForAllocation(m), DateKind::CarePeriod) => m
            .body
            .aangevraagde_producten
            .iter()
            .map(|p| (p.toewijzing_ingangsdatum, p.toewijzing_einddatum))
            .collect(),
        (Content::ChangeRequest(m), DateKind::CarePeriod) => {
            let v = &m.body.verzoek;
            v.te_wijzigen_producten
                .iter()
                .map(|p| (p.gewenste_ingangsdatum, p.einddatum))
                .chain(
                    v.nieuwe_producten
                        .iter()
                        .map(|p| (p.gewenste_ingangsdatum, p.einddatum)),
                )
                .collect()
        }
        (Content::CareStart(m), DateKind::CarePeriod) => m
            .body
            .start_producten
            .iter()
            .map(|p| (p.begindatum, None))
            .collect(),
        (Content::CareStop(m), DateKind::CarePeriod) => m
            .body
            .stop_producten
            .iter()
            .map(|p| (p.begindatum, Some(p.einddatum)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs `report`; the result is the exit code.
pub fn run(args: &ReportArgs, err: &mut impl Write) -> io::Result<u8> {
    for (flag, value) in [("--from", &args.from), ("--to", &args.to)] {
        if let Some(v) = value {
            if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                return connect::fail(err, "report", &format!("{flag} must be YYYY-MM-DD"));
            }
        }
    }
    if matches!(args.delimiter, '"' | '\n' | '\r') {
        return connect::fail(err, "report", "--delimiter cannot be a quote or a newline");
    }
    let rt = connect::runtime()?;
    writeln!(
        err,
        "ketenpoort report: messages whose {} lies in {} … {}",
        args.date.describe(),
        args.from.as_deref().unwrap_or("(any)"),
        args.to.as_deref().unwrap_or("(any)")
    )?;
    let entries = match rt.block_on(collect(args)) {
        Ok(e) => e,
        Err(e) => return connect::fail(err, "report", &e),
    };
    let missing: usize = entries.iter().map(|e| e.missing.len()).sum();
    if missing > 0 {
        writeln!(
            err,
            "ketenpoort report: {missing} event(s) listed by the gateway could not be read; \
             their answers are missing from the report"
        )?;
    }
    if let Err(e) = write_all(args, &entries) {
        return connect::fail(err, "report", &e);
    }
    let claims = entries
        .iter()
        .filter_map(|e| e.declaration.as_ref()?.as_ref().ok())
        .collect::<Vec<_>>();
    writeln!(
        err,
        "ketenpoort report: {} message(s), {} claim(s) with {} line(s), written to {}",
        entries.len(),
        claims.len(),
        claims.iter().map(|c| c.lines.len()).sum::<usize>(),
        args.out.display()
    )?;
    Ok(EXIT_OK)
}

/// The tenant's messages that pass `filter`, oldest first; each 323 (and every message when
/// `with_xml`) read again through GetMessage to have its XML. Shared with `verantwoording`.
pub async fn messages_with_claims(
    client: &Client,
    filter: proto::ListMessagesRequest,
    with_xml: bool,
) -> Result<Vec<proto::MessageRecord>, String> {
    let mut records = client
        .list_all_messages(filter)
        .await
        .map_err(|e| e.to_string())?;
    // Oldest first.
    records.sort_by_key(|r| {
        (
            r.message_id.parse::<u64>().unwrap_or(u64::MAX),
            r.message_id.clone(),
        )
    });
    for r in &mut records {
        if with_xml || r.kind.ends_with("323") {
            *r = client
                .get_message(r.message_id.clone())
                .await
                .map_err(|e| format!("message {}: {e}", r.message_id))?;
        }
    }
    Ok(records)
}

async fn collect(args: &ReportArgs) -> Result<Vec<Entry>, String> {
    let client = args.connect.connect().await?;
    let by_acceptance = args.date == DateKind::Accepted;
    let filter = proto::ListMessagesRequest {
        agb_code: args.agb.clone().unwrap_or_default(),
        kind: args.kind.clone().unwrap_or_default(),
        accepted_from: if by_acceptance {
            args.from.clone().unwrap_or_default()
        } else {
            String::new()
        },
        accepted_to: if by_acceptance {
            args.to.clone().unwrap_or_default()
        } else {
            String::new()
        },
        page_size: 500,
        ..Default::default()
    };
    let want_xml = args.format.contains(&Format::Xml) || !by_acceptance;
    let mut records = messages_with_claims(&client, filter, want_xml).await?;
    if !by_acceptance {
        let day = |v: &Option<String>| {
            v.as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let (from, to) = (day(&args.from), day(&args.to));
        records.retain(|r| {
            periods(&r.xml, args.date).iter().any(|&(begin, end)| {
                from.is_none_or(|f| end.is_none_or(|e| e >= f)) && to.is_none_or(|t| begin <= t)
            })
        });
        if !args.format.contains(&Format::Xml) {
            for r in records.iter_mut().filter(|r| !r.kind.ends_with("323")) {
                r.xml.clear();
            }
        }
    }
    let cursors: BTreeSet<u64> = records
        .iter()
        .flat_map(|r| r.event_cursors.iter().copied())
        .collect();
    let events = fetch(&client, &cursors).await?;
    Ok(records
        .into_iter()
        .map(|record| {
            let (found, missing): (Vec<u64>, Vec<u64>) = record
                .event_cursors
                .iter()
                .partition(|c| events.contains_key(c));
            let mut own: Vec<proto::ReturnEvent> = found
                .iter()
                .filter_map(|c| events.get(c).cloned())
                .collect();
            own.sort_by_key(|e| e.cursor);
            let declaration = record
                .kind
                .ends_with("323")
                .then(|| claim_lines(&record.xml));
            Entry {
                record,
                events: own,
                missing,
                declaration,
            }
        })
        .collect())
}

async fn fetch(
    client: &Client,
    cursors: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, proto::ReturnEvent>, String> {
    fetch_events(client, cursors, Duration::from_secs(5))
        .await
        .map_err(|e| format!("cannot read the events: {e}"))
}

fn create(path: &Path) -> Result<BufWriter<File>, String> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_all(args: &ReportArgs, entries: &[Entry]) -> Result<(), String> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let io_err = |path: &Path| {
        let p = path.display().to_string();
        move |e: io::Error| format!("cannot write {p}: {e}")
    };
    let mut formats = args.format.clone();
    formats.dedup();
    for format in formats {
        match format {
            Format::Jsonl => {
                let path = args.out.join("messages.jsonl");
                let mut w = create(&path)?;
                for e in entries {
                    writeln!(w, "{}", entry_json(e)).map_err(io_err(&path))?;
                }
                w.flush().map_err(io_err(&path))?;
            }
            Format::Csv => {
                let path = args.out.join("messages.csv");
                let mut w = create(&path)?;
                write_messages_csv(&mut w, entries, args.delimiter).map_err(io_err(&path))?;
                w.flush().map_err(io_err(&path))?;
                let path = args.out.join("declaration-lines.csv");
                let mut w = create(&path)?;
                write_lines_csv(&mut w, entries, args.delimiter).map_err(io_err(&path))?;
                w.flush().map_err(io_err(&path))?;
            }
            Format::Xml => {
                let dir = args.out.join("xml");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                for e in entries {
                    let id = file_safe(&e.record.message_id);
                    let path = dir.join(format!("{id}-{}.xml", file_safe(&e.record.kind)));
                    std::fs::write(&path, &e.record.xml).map_err(io_err(&path))?;
                    for ev in e.events.iter().filter(|ev| !ev.raw_xml.is_empty()) {
                        let kind = if ev.kind.is_empty() {
                            event_type(ev)
                        } else {
                            &ev.kind
                        };
                        let path = dir.join(format!("{id}-{}-{}.xml", ev.cursor, file_safe(kind)));
                        std::fs::write(&path, &ev.raw_xml).map_err(io_err(&path))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Letters, digits, `-` and `_` only.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn is_ijw(kind: &str) -> bool {
    kind.starts_with("JW")
}

fn texts(codes: &[String], ijw: bool) -> Vec<String> {
    codes
        .iter()
        .map(|c| retourcodes::text(c, ijw).unwrap_or_default().to_owned())
        .collect()
}

fn line_json(line: &Line, v: &Verdict, ijw: bool) -> serde_json::Value {
    json!({
        "reference_number": line.reference_number,
        "previous_reference_number": line.previous_reference_number,
        "allocation_number": line.allocation_number,
        "product_category": line.product_category,
        "product_code": line.product_code,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "delivered_volume": line.delivered_volume,
        "unit": line.unit,
        "tariff_cents": line.tariff_cents,
        "amount_cents": line.amount_cents,
        "debit_credit": line.debit_credit,
        "verdict": if v.verdict.is_empty() { serde_json::Value::Null } else { json!(v.verdict) },
        "retourcodes": v.codes.iter().map(|c| json!({
            "code": c,
            "text": retourcodes::text(c, ijw),
        })).collect::<Vec<_>>(),
        "answer_cursor": v.cursor,
    })
}

/// One `messages.jsonl` line.
pub fn entry_json(e: &Entry) -> serde_json::Value {
    let mut v = record_json(&e.record);
    v["answers"] = e
        .events
        .iter()
        .map(|ev| event_json_with(ev, false, false))
        .collect();
    if !e.missing.is_empty() {
        v["missing_event_cursors"] = json!(e.missing);
    }
    let ijw = is_ijw(&e.record.kind);
    match &e.declaration {
        Some(Ok(claim)) => {
            v["declaration"] = json!({
                "declaration_number": claim.declaration_number,
                "period_start": claim.period_start,
                "lines": claim.lines.iter()
                    .map(|l| line_json(l, &verdict(&e.events, &l.reference_number), ijw))
                    .collect::<Vec<_>>(),
            });
        }
        Some(Err(problem)) => v["declaration_error"] = json!(problem),
        None => {}
    }
    v
}

/// A short summary of an answer for the `answers` column: `DELIVERED`, `JW316 accepted`,
/// `JW325 granted 348.96 of 697.92`.
fn answer_summary(e: &proto::ReturnEvent) -> String {
    let kind = if e.kind.is_empty() {
        String::new()
    } else {
        format!("{} ", e.kind)
    };
    let what = match &e.event {
        Some(Event::Delivery(d)) => state_name(d.state),
        Some(Event::Retour(r)) => {
            let codes: Vec<&str> = r.codes.iter().map(|c| c.code.as_str()).collect();
            format!(
                "{} {}",
                if r.accepted { "accepted" } else { "rejected" },
                codes.join(",")
            )
        }
        Some(Event::Allocation(a)) => {
            let numbers: Vec<String> = a
                .products
                .iter()
                .map(|p| p.allocation_number.to_string())
                .collect();
            format!("allocation {}", numbers.join(","))
        }
        Some(Event::Answer(a)) => format!("answer {}", a.answer),
        Some(Event::DeclarationAnswer(d)) => format!(
            "granted {} of {}",
            euros(d.total_granted_cents),
            euros(d.total_claimed_cents)
        ),
        Some(Event::DeadlineMissed(d)) => format!("deadline missed ({})", d.expected_kind),
        Some(Event::Quarantined(_)) => "quarantined".into(),
        None => event_type(e).into(),
    };
    format!("{kind}{}", what.trim_end())
}

/// `messages.csv`.
pub fn write_messages_csv(w: &mut impl Write, entries: &[Entry], d: char) -> io::Result<()> {
    let header = [
        "message_id",
        "kind",
        "agb_code",
        "municipality",
        "state",
        "identificatie",
        "request_id",
        "accepted_at",
        "declaration_number",
        "meldingen",
        "answers",
        "event_cursors",
    ];
    csv_row(w, &header.map(String::from), d)?;
    for e in entries {
        let r = &e.record;
        let declaration_number = match &e.declaration {
            Some(Ok(c)) => c.declaration_number.clone(),
            _ => String::new(),
        };
        let meldingen: Vec<String> = r
            .meldingen
            .iter()
            .map(|m| format!("{}: {}", m.code, m.description))
            .collect();
        let answers: Vec<String> = e.events.iter().map(answer_summary).collect();
        let cursors: Vec<String> = r.event_cursors.iter().map(u64::to_string).collect();
        csv_row(
            w,
            &[
                r.message_id.clone(),
                r.kind.clone(),
                r.agb_code.clone(),
                r.municipality.clone(),
                state_name(r.state),
                r.identificatie.clone(),
                r.request_id.clone(),
                time(r.accepted_at.as_ref()),
                declaration_number,
                meldingen.join("; "),
                answers.join("; "),
                cursors.join(" "),
            ],
            d,
        )?;
    }
    Ok(())
}

/// `declaration-lines.csv`: one row per 323 line with its 325 verdict.
pub fn write_lines_csv(w: &mut impl Write, entries: &[Entry], d: char) -> io::Result<()> {
    let header = [
        "message_id",
        "identificatie",
        "agb_code",
        "municipality",
        "state",
        "declaration_number",
        "declaration_period_start",
        "line",
        "reference_number",
        "previous_reference_number",
        "allocation_number",
        "product_category",
        "product_code",
        "period_start",
        "period_end",
        "delivered_volume",
        "unit",
        "tariff_cents",
        "amount_cents",
        "debit_credit",
        "verdict",
        "retourcodes",
        "retourcode_texts",
        "answer_cursor",
        "answered_at",
        "answer_codes",
        "answer_code_texts",
    ];
    csv_row(w, &header.map(String::from), d)?;
    for e in entries {
        let Some(Ok(claim)) = &e.declaration else {
            continue;
        };
        let r = &e.record;
        let ijw = is_ijw(&r.kind);
        for (i, l) in claim.lines.iter().enumerate() {
            let v = verdict(&e.events, &l.reference_number);
            csv_row(
                w,
                &[
                    r.message_id.clone(),
                    r.identificatie.clone(),
                    r.agb_code.clone(),
                    r.municipality.clone(),
                    state_name(r.state),
                    claim.declaration_number.clone(),
                    claim.period_start.clone(),
                    (i + 1).to_string(),
                    l.reference_number.clone(),
                    l.previous_reference_number.clone(),
                    l.allocation_number.to_string(),
                    l.product_category.clone(),
                    l.product_code.clone(),
                    l.period_start.clone(),
                    l.period_end.clone(),
                    l.delivered_volume.to_string(),
                    l.unit.clone(),
                    l.tariff_cents.map(|c| c.to_string()).unwrap_or_default(),
                    l.amount_cents.to_string(),
                    l.debit_credit.clone(),
                    v.verdict.to_owned(),
                    v.codes.join(" "),
                    texts(&v.codes, ijw).join(" | "),
                    v.cursor.map(|c| c.to_string()).unwrap_or_default(),
                    v.at.clone(),
                    v.answer_codes.join(" "),
                    texts(&v.answer_codes, ijw).join(" | "),
                ],
                d,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(reference: &str) -> Line {
        Line {
            reference_number: reference.into(),
            previous_reference_number: String::new(),
            allocation_number: 1001,
            product_category: "45".into(),
            product_code: "45A48".into(),
            period_start: "2025-03-04".into(),
            period_end: "2025-03-31".into(),
            delivered_volume: 240,
            unit: "01".into(),
            tariff_cents: Some(145),
            amount_cents: 34896,
            debit_credit: "D".into(),
        }
    }

    fn entry(events: Vec<proto::ReturnEvent>) -> Entry {
        Entry {
            record: proto::MessageRecord {
                message_id: "3".into(),
                kind: "JW323".into(),
                agb_code: "12345678".into(),
                municipality: "0268".into(),
                state: proto::MessageState::Answered as i32,
                event_cursors: events.iter().map(|e| e.cursor).collect(),
                ..Default::default()
            },
            events,
            missing: vec![],
            declaration: Some(Ok(Claim {
                declaration_number: "D1".into(),
                period_start: "2025-03-01".into(),
                lines: vec![line("R1"), line("R2")],
            })),
        }
    }

    fn claim_answer(cursor: u64, rejected: &[(&str, &str)], codes: &[&str]) -> proto::ReturnEvent {
        proto::ReturnEvent {
            cursor,
            agb_code: "12345678".into(),
            message_id: "3".into(),
            kind: "JW325".into(),
            event: Some(Event::DeclarationAnswer(proto::DeclarationAnswerReceived {
                declaration_number: "D1".into(),
                total_claimed_cents: 69792,
                total_granted_cents: 34896,
                codes: codes.iter().map(|c| (*c).to_owned()).collect(),
                rejected_lines: rejected
                    .iter()
                    .map(|(r, c)| proto::LineVerdict {
                        reference_number: (*r).into(),
                        codes: vec![(*c).into()],
                        ..Default::default()
                    })
                    .collect(),
                lines: vec![],
            })),
            ..Default::default()
        }
    }

    fn lines_csv(e: &Entry) -> Vec<String> {
        let mut out = Vec::new();
        write_lines_csv(&mut out, std::slice::from_ref(e), ',').expect("write");
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn without_a_325_the_verdict_columns_are_empty() {
        let rows = lines_csv(&entry(vec![]));
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows[0].contains("verdict,retourcodes,retourcode_texts"));
        assert!(rows[1].ends_with("D,,,,,,,"), "{}", rows[1]);
    }

    #[test]
    fn each_line_gets_the_verdict_of_the_latest_325_with_the_code_text() {
        let e = entry(vec![
            claim_answer(7, &[("R1", "9338"), ("R2", "9338")], &[]),
            claim_answer(9, &[("R2", "9338")], &[]),
        ]);
        let rows = lines_csv(&e);
        assert!(
            rows[1].contains(",R1,") && rows[1].contains(",accepted,,,9,"),
            "{}",
            rows[1]
        );
        let text = retourcodes::text("9338", true).expect("a text");
        assert!(
            rows[2].contains(",R2,") && rows[2].contains(&format!(",rejected,9338,{text},9,")),
            "{}",
            rows[2]
        );
        let v = entry_json(&e);
        assert_eq!(v["declaration"]["lines"][1]["verdict"], "rejected");
        assert_eq!(v["declaration"]["lines"][1]["retourcodes"][0]["text"], text);
        assert_eq!(v["declaration"]["lines"][0]["retourcodes"], json!([]));
    }

    #[test]
    fn a_fully_granted_claim_has_its_codes_and_texts() {
        let rows = lines_csv(&entry(vec![claim_answer(5, &[], &["0200", "8001"])]));
        assert!(rows[1].contains(",accepted,,,5,"), "{}", rows[1]);
        assert!(
            rows[1].ends_with(
                "0200 8001,Geen opmerking over deze berichtklasse. | Declaratie is volledig \
                 toegewezen."
            ),
            "{}",
            rows[1]
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut out = Vec::new();
        csv_row(
            &mut out,
            &["a,b".into(), "say \"x\"".into(), "plain".into()],
            ',',
        )
        .expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\"a,b\",\"say \"\"x\"\"\",plain\r\n"
        );
    }
}
