//! `ketenpoort verantwoording --year 2024 --law ijw|iwmo [--agb CODE …] --out FILE.xlsx`: the
//! year's productieverantwoording from a running gateway, as a workbook and CSV files, with
//! the reconciliation printed. The counting and the files are [`crate::verantwoording`];
//! this is the shell around it that gathers the data:
//!
//! - the organisation details through GetOrganisation (of the one `--agb`, else the
//!   tenant's own);
//! - the law's 323s through ListMessages (accepted from 1 January of the year before, so
//!   that the debits of credits and re-claims are there) and GetMessage, shared with
//!   `report` ([`super::report::messages_with_claims`]); claims VECOZO refused are left out;
//! - the 325s and delivery events through ListEvents without their XML, joined to the lines
//!   as `report` joins them ([`super::report::verdict`]); the 301s with their XML, for the
//!   allocating municipality and the allocated volume.
//!
//! Files: `FILE.xlsx`, and `FILE-<sheet>.csv` next to it for every sheet (`totaalblad`,
//! `gemeenten`, `gemeente-<CBS>`, `reconciliatie`, `regels`); `--format` chooses.
//! The files hold no BSNs or names: lines are identified by their reference numbers.
//!
//! Exit code: 0 written (findings in the reconciliation are printed, not failures), 2 usage,
//! connection or file errors.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use ketenpoort_client::proto::return_event::Event;
use ketenpoort_client::{Client, proto};
use ketenpoort_messages::{Content, Law, Message};

use super::connect::{self, ConnectArgs, EXIT_OK};
use super::report::{claim_lines, messages_with_claims, verdict};
use crate::verantwoording::{
    self, Allocation, ClaimLine, Input, Organisation, Report, Threshold, Verdict, euros,
};

/// The law of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LawArg {
    /// Jeugdwet (iJw, JW323).
    Ijw,
    /// Wmo 2015 (iWmo, WMO323).
    Iwmo,
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The workbook, `--out`.
    Xlsx,
    /// One CSV file per sheet next to `--out`.
    Csv,
}

/// Arguments of `ketenpoort verantwoording`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerantwoordingArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The year accounted for.
    #[arg(long, value_name = "YYYY")]
    pub year: i32,
    /// The law.
    #[arg(long, value_enum)]
    pub law: LawArg,
    /// Only these AGB codes (repeat, or separate with commas); default: all of the tenant's
    /// together.
    #[arg(long, value_name = "AGB", value_delimiter = ',')]
    pub agb: Vec<String>,
    /// The workbook to write (`.xlsx`); the CSV files go next to it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// What to write (repeat or separate with commas).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "xlsx,csv")]
    pub format: Vec<Format>,
    /// CSV field separator.
    #[arg(long, value_name = "CHAR", default_value_t = ',')]
    pub delimiter: char,
    /// The date of the report, against which the 325 terms are judged (YYYY-MM-DD);
    /// default: today (UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

const COMMAND: &str = "verantwoording";

/// Runs `verantwoording`; the result is the exit code.
pub fn run(
    args: &VerantwoordingArgs,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<u8> {
    if !(2000..=2999).contains(&args.year) {
        return connect::fail(err, COMMAND, "--year must be a year like 2024");
    }
    if let Some(bad) = args
        .agb
        .iter()
        .find(|a| a.len() != 8 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return connect::fail(
            err,
            COMMAND,
            &format!("--agb {bad:?} is not an AGB code (8 digits)"),
        );
    }
    if matches!(args.delimiter, '"' | '\n' | '\r') {
        return connect::fail(err, COMMAND, "--delimiter cannot be a quote or a newline");
    }
    let as_of = match &args.as_of {
        None => Utc::now().date_naive(),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => return connect::fail(err, COMMAND, "--as-of must be YYYY-MM-DD"),
        },
    };
    let rt = connect::runtime()?;
    let (input, refused) = match rt.block_on(gather(args, as_of)) {
        Ok(x) => x,
        Err(e) => return connect::fail(err, COMMAND, &e),
    };
    if refused > 0 {
        writeln!(
            err,
            "ketenpoort {COMMAND}: {refused} claim(s) refused by VECOZO left out (they never \
             reached a municipality)"
        )?;
    }
    let report = verantwoording::report(&input);
    let written = match write_files(args, &report) {
        Ok(w) => w,
        Err(e) => return connect::fail(err, COMMAND, &e),
    };
    print_summary(out, &report)?;
    for path in written {
        writeln!(out, "written: {}", path.display())?;
    }
    Ok(EXIT_OK)
}

fn law(l: LawArg) -> Law {
    match l {
        LawArg::Ijw => Law::Ijw,
        LawArg::Iwmo => Law::Iwmo,
    }
}

/// The day of a timestamp (UTC).
fn day(t: Option<&prost_types::Timestamp>) -> Option<NaiveDate> {
    let t = t?;
    chrono::DateTime::from_timestamp(t.seconds, 0).map(|d| d.date_naive())
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("not a date: {s:?}"))
}

/// The input of the report, and the number of claims VECOZO refused.
async fn gather(args: &VerantwoordingArgs, as_of: NaiveDate) -> Result<(Input, usize), String> {
    let client = args.connect.connect().await?;
    let law = law(args.law);
    let organisation = match args.agb.as_slice() {
        [one] => client.get_organisation(one.clone()).await,
        _ => client.get_organisation(String::new()).await,
    }
    .map_err(|e| format!("organisation details: {e}"))?;
    // One pass per AGB code asked, or one over all of the tenant's.
    let scopes: Vec<String> = if args.agb.is_empty() {
        vec![String::new()]
    } else {
        args.agb
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let mut lines = Vec::new();
    let mut allocations = Vec::new();
    let mut refused = 0;
    for agb in &scopes {
        let (l, a, r) = gather_scope(&client, law, args.year, agb).await?;
        lines.extend(l);
        allocations.extend(a);
        refused += r;
    }
    Ok((
        Input {
            year: args.year,
            law,
            agb_codes: args.agb.clone(),
            organisation: Organisation {
                name: organisation.name,
                place: organisation.place,
                kvk_number: organisation.kvk_number,
                contact_person: organisation.contact_person,
                telephone: organisation.telephone,
                email: organisation.email,
                signatory: organisation.signatory,
            },
            as_of,
            lines,
            allocations,
            product_descriptions: BTreeMap::new(),
        },
        refused,
    ))
}

type Scope = (Vec<ClaimLine>, Vec<Allocation>, usize);

async fn gather_scope(client: &Client, law: Law, year: i32, agb: &str) -> Result<Scope, String> {
    let filter = proto::ListMessagesRequest {
        agb_code: agb.to_owned(),
        kind: format!("{}323", law.code_prefix()),
        accepted_from: format!("{}-01-01", year - 1),
        page_size: 500,
        ..Default::default()
    };
    let records = messages_with_claims(client, filter, false).await?;
    let list = |types: &[&str], include_xml: bool| proto::ListEventsRequest {
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        agb_code: agb.to_owned(),
        include_xml,
        page_size: 1000,
        ..Default::default()
    };
    let events = client
        .list_all_events(list(&["declaration_answer", "delivery"], false))
        .await
        .map_err(|e| format!("cannot read the events: {e}"))?;
    let mut by_message: BTreeMap<&str, Vec<proto::ReturnEvent>> = BTreeMap::new();
    for e in &events {
        by_message
            .entry(e.message_id.as_str())
            .or_default()
            .push(e.clone());
    }
    let mut lines = Vec::new();
    let mut refused = 0;
    for record in &records {
        if record.state == proto::MessageState::RejectedByVecozo as i32 {
            refused += 1;
            continue;
        }
        let claim =
            claim_lines(&record.xml).map_err(|e| format!("message {}: {e}", record.message_id))?;
        let own = by_message
            .get(record.message_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let delivered_on = own.iter().find_map(|e| match &e.event {
            Some(Event::Delivery(d)) if d.state == proto::MessageState::Delivered as i32 => {
                day(e.at.as_ref())
            }
            _ => None,
        });
        for l in claim.lines {
            let v = verdict(own, &l.reference_number);
            lines.push(ClaimLine {
                message_id: record.message_id.clone(),
                declaration_number: claim.declaration_number.clone(),
                agb_code: record.agb_code.clone(),
                municipality: record.municipality.clone(),
                delivered_on,
                previous_reference_number: l.previous_reference_number,
                allocation_number: l.allocation_number,
                product_category: l.product_category,
                product_code: l.product_code,
                period_start: date(&l.period_start)?,
                period_end: date(&l.period_end)?,
                volume: l.delivered_volume,
                unit: l.unit,
                tariff_cents: l.tariff_cents,
                amount_cents: l.amount_cents,
                credit: l.debit_credit == "C",
                verdict: match v.verdict {
                    "accepted" => Verdict::Granted,
                    "rejected" => Verdict::Rejected(v.codes),
                    _ => Verdict::Open,
                },
                reference_number: l.reference_number,
            });
        }
    }
    let allocation_events = client
        .list_all_events(list(&["allocation"], true))
        .await
        .map_err(|e| format!("cannot read the allocations: {e}"))?;
    Ok((lines, allocations_of(law, &allocation_events), refused))
}

/// The allocated products of the law's 301s, the latest 301 per (AGB code, municipality,
/// ToewijzingNummer) winning. The municipality is the 301's Afzender.
fn allocations_of(law: Law, events: &[proto::ReturnEvent]) -> Vec<Allocation> {
    let mut latest: BTreeMap<(String, String, u64), Allocation> = BTreeMap::new();
    for e in events {
        let Some(Event::Allocation(a)) = &e.event else {
            continue;
        };
        let Ok(message) = Message::from_xml(e.raw_xml.as_bytes()) else {
            continue;
        };
        let Content::Allocation(heen) = &message.content else {
            continue;
        };
        if message.law != law {
            continue;
        }
        let municipality = heen.header.afzender.clone();
        for p in &a.products {
            let Ok(start) = date(&p.start_date) else {
                continue;
            };
            let allocation = Allocation {
                agb_code: e.agb_code.clone(),
                municipality: municipality.clone(),
                allocation_number: p.allocation_number,
                start,
                end: date(&p.end_date).ok(),
                extent: p
                    .extent
                    .as_ref()
                    .map(|x| (x.volume, x.unit.clone(), x.frequency.clone())),
                budget_cents: p.budget_cents,
            };
            latest.insert(
                (
                    e.agb_code.clone(),
                    municipality.clone(),
                    p.allocation_number,
                ),
                allocation,
            );
        }
    }
    latest.into_values().collect()
}

/// `FILE-<part>.csv` next to `FILE`.
fn csv_path(out: &Path, part: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "verantwoording".into());
    out.with_file_name(format!("{stem}-{part}.csv"))
}

fn write_files(args: &VerantwoordingArgs, report: &Report) -> Result<Vec<PathBuf>, String> {
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut written = Vec::new();
    let mut formats = args.format.clone();
    formats.dedup();
    for format in formats {
        match format {
            Format::Xlsx => {
                let bytes = verantwoording::workbook::xlsx(report).map_err(|e| e.to_string())?;
                std::fs::write(&args.out, bytes)
                    .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
                written.push(args.out.clone());
            }
            Format::Csv => {
                let files = verantwoording::csv::files(report, args.delimiter)
                    .map_err(|e| e.to_string())?;
                for (part, bytes) in files {
                    let path = csv_path(&args.out, &part);
                    std::fs::write(&path, bytes)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    written.push(path);
                }
            }
        }
    }
    Ok(written)
}

/// The totals, the threshold verdict and the reconciliation, for the terminal.
fn print_summary(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let law = match r.law {
        Law::Ijw => "Jeugdwet (iJw)",
        Law::Iwmo => "Wmo 2015 (iWmo)",
    };
    let scope = if r.agb_codes.is_empty() {
        "all of the tenant's AGB codes".to_owned()
    } else {
        format!("AGB {}", r.agb_codes.join(", "))
    };
    writeln!(out, "productieverantwoording {} {law}, {scope}", r.year)?;
    writeln!(
        out,
        "{:<12} {:>6} {:>14} {:>14} {:>14} {:>14}",
        "municipality", "lines", "claimed", "granted", "rejected", "open"
    )?;
    let row = |out: &mut dyn Write, name: &str, lines: usize, a: &verantwoording::Amounts| {
        writeln!(
            out,
            "{name:<12} {lines:>6} {:>14} {:>14} {:>14} {:>14}",
            euros(a.claimed),
            euros(a.granted),
            euros(a.rejected),
            euros(a.open)
        )
    };
    for m in &r.municipalities {
        row(out, &m.code, m.lines, &m.totals)?;
    }
    row(out, "total", r.lines.len(), &r.totals)?;
    if r.split_lines > 0 {
        writeln!(
            out,
            "{} line(s) across the year boundary counted by their days in {}",
            r.split_lines, r.year
        )?;
    }
    let threshold = euros(verantwoording::THRESHOLD_CENTS);
    match r.threshold {
        Threshold::Below => writeln!(
            out,
            "granted {} is below {threshold}: no auditor's statement required; report due {}",
            euros(r.totals.granted),
            r.report_due
        )?,
        Threshold::AtOrAbove => writeln!(
            out,
            "granted {} is at or above {threshold}: auditor's statement (controleverklaring) \
             required by {}; report due {}",
            euros(r.totals.granted),
            r.statement_due,
            r.report_due
        )?,
    }
    writeln!(out, "reconciliation: {} finding(s)", r.findings.len())?;
    for f in &r.findings {
        writeln!(
            out,
            "{} municipality {} AGB {} claim {} (message {}) line {} allocation {}: {}",
            f.kind.name(),
            f.municipality,
            f.agb_code,
            f.declaration_number,
            f.message_id,
            f.reference_number,
            f.allocation_number,
            f.detail()
        )?;
    }
    Ok(())
}
