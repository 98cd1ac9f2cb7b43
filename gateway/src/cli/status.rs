//! `ketenpoort status ID`: one message as the gateway holds it (GetMessage): kind, AGB code,
//! municipality, state, Identificatie, request_id, when it was accepted, VECOZO's meldingen
//! and the cursors of the events about it. `--events` also prints those events (read
//! without acknowledging them), `--json` prints one JSON object, `--xml` only the XML that
//! was sent (which holds personal data). A message whose XML `ketenpoort prune` purged shows
//! when (`xml_purged`); `--xml` then fails with exit code 1.
//!
//! Exit code: 0 found, 1 no such message for this tenant (or `--xml` of a purged message), 2
//! connection or credential errors.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::time::Duration;

use ketenpoort_client::{Error, proto};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_OK, EXIT_REFUSED, state_name, time};
use super::returns::{event_json_with, event_text, fetch_events};

/// Arguments of `ketenpoort status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Also print the events about the message (not acknowledged).
    #[arg(long)]
    pub events: bool,
    /// One JSON object instead of text.
    #[arg(long, conflicts_with = "xml")]
    pub json: bool,
    /// Print only the XML that was sent.
    #[arg(long)]
    pub xml: bool,
    /// The message id (as `submit` printed it).
    #[arg(value_name = "ID")]
    pub id: String,
}

/// Runs `status`; the result is the exit code.
pub fn run(args: &StatusArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let rt = connect::runtime()?;
    rt.block_on(async {
        let client = match args.connect.connect().await {
            Ok(c) => c,
            Err(e) => return connect::fail(err, "status", &e),
        };
        let record = match client.get_message(args.id.clone()).await {
            Ok(r) => r,
            Err(Error::NotFound(_)) => {
                writeln!(err, "ketenpoort status: no message {:?}", args.id)?;
                return Ok(EXIT_REFUSED);
            }
            Err(e) => return connect::fail(err, "status", &e.to_string()),
        };
        if args.xml && record.xml_purged_at.is_some() {
            writeln!(
                err,
                "ketenpoort status: the XML of message {} was purged at {} under the store's \
                 retention",
                record.message_id,
                time(record.xml_purged_at.as_ref())
            )?;
            return Ok(EXIT_REFUSED);
        }
        if args.xml {
            out.write_all(record.xml.as_bytes())?;
            if !record.xml.ends_with('\n') {
                writeln!(out)?;
            }
            return Ok(EXIT_OK);
        }
        let events = if args.events {
            let cursors: BTreeSet<u64> = record.event_cursors.iter().copied().collect();
            match fetch_events(&client, &cursors, Duration::from_secs(5)).await {
                Ok(found) => Some(found),
                Err(e) => return connect::fail(err, "status", &e.to_string()),
            }
        } else {
            None
        };
        if args.json {
            let mut v = record_json(&record);
            if let Some(found) = &events {
                v["events"] = found
                    .values()
                    .map(|e| event_json_with(e, false, false))
                    .collect();
            }
            writeln!(out, "{v}")?;
        } else {
            write_record(out, &record)?;
            if let Some(found) = &events {
                writeln!(out, "events:")?;
                for c in &record.event_cursors {
                    match found.get(c) {
                        Some(e) => writeln!(out, "  {}", event_text(e))?,
                        None => writeln!(out, "  #{c} (not available)")?,
                    }
                }
            }
        }
        Ok(EXIT_OK)
    })
}

/// The record as JSON (without the XML).
pub fn record_json(r: &proto::MessageRecord) -> serde_json::Value {
    json!({
        "message_id": r.message_id,
        "kind": r.kind,
        "agb_code": r.agb_code,
        "municipality": r.municipality,
        "state": state_name(r.state),
        "identificatie": r.identificatie,
        "request_id": r.request_id,
        "accepted_at": time(r.accepted_at.as_ref()),
        "meldingen": r.meldingen.iter()
            .map(|m| json!({"code": m.code, "description": m.description}))
            .collect::<Vec<_>>(),
        "event_cursors": r.event_cursors,
        "xml_purged_at": r.xml_purged_at.as_ref().map(|t| time(Some(t))),
    })
}

fn write_record(out: &mut impl Write, r: &proto::MessageRecord) -> io::Result<()> {
    writeln!(out, "message {}", r.message_id)?;
    let rows = [
        ("kind", r.kind.clone()),
        ("agb_code", r.agb_code.clone()),
        ("municipality", r.municipality.clone()),
        ("state", state_name(r.state)),
        ("identificatie", r.identificatie.clone()),
        ("request_id", r.request_id.clone()),
        ("accepted_at", time(r.accepted_at.as_ref())),
    ];
    for (name, value) in rows {
        writeln!(out, "  {name:<14}{value}")?;
    }
    if r.xml_purged_at.is_some() {
        writeln!(
            out,
            "  {:<14}{} (retention; the record stays)",
            "xml_purged",
            time(r.xml_purged_at.as_ref())
        )?;
    }
    if r.meldingen.is_empty() {
        writeln!(out, "  {:<14}none", "meldingen")?;
    } else {
        writeln!(out, "  meldingen")?;
        for m in &r.meldingen {
            writeln!(out, "    {}: {}", m.code, m.description)?;
        }
    }
    let cursors: Vec<String> = r.event_cursors.iter().map(u64::to_string).collect();
    writeln!(
        out,
        "  {:<14}{}",
        "events",
        if cursors.is_empty() {
            "none".to_owned()
        } else {
            cursors.join(", ")
        }
    )
}
