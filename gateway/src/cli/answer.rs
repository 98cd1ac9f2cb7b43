//! `ketenpoort answer CURSOR`: sends the 302/320 the provider owes on a received 301/319
//! (SubmitRetour), for AGB codes whose answers are manual (`auto_answer = false`). CURSOR is
//! the cursor `returns` printed for the 301/319 (`#12 … JW301 allocation …`), or the one a
//! missed deadline names (`… expected JW302 by 2025-04-07 (OP090, answer #12)`).
//!
//! Prints the retour's message id, kind and Identificatie (`--json`: one JSON object);
//! `--validate-only` prints what would be sent without sending it; `--request-id` makes a
//! retry of the command return the same retour (without it a new UUID is used, and a retry
//! after a lost answer is refused as answered already, naming the retour).
//!
//! Exit code: 0 queued (or validated), 1 refused (answered already, not a 301/319, unknown
//! cursor), 2 connection or credential errors.

use std::io::{self, Write};

use ketenpoort_client::{Error, proto};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_OK, EXIT_REFUSED, state_name};

/// Arguments of `ketenpoort answer`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnswerArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The idempotency key (default: a new UUID).
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
    /// Build the retour and print it (with its XML), but send nothing.
    #[arg(long)]
    pub validate_only: bool,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// The cursor of the 301/319 event to answer.
    #[arg(value_name = "CURSOR")]
    pub cursor: u64,
}

/// Runs `answer`; the result is the exit code.
pub fn run(args: &AnswerArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let rt = connect::runtime()?;
    rt.block_on(async {
        let client = match args.connect.connect().await {
            Ok(c) => c,
            Err(e) => return connect::fail(err, "answer", &e),
        };
        let request = proto::SubmitRetourRequest {
            request_id: args.request_id.clone().unwrap_or_default(),
            validate_only: args.validate_only,
            event_cursor: args.cursor,
        };
        let submitted = match client.submit_retour_request(request).await {
            Ok(s) => s,
            Err(
                e @ (Error::Violations { .. }
                | Error::NotFound(_)
                | Error::AlreadyExists(_)
                | Error::PermissionDenied(_)),
            ) => {
                writeln!(err, "ketenpoort answer: refused: {e}")?;
                return Ok(EXIT_REFUSED);
            }
            Err(e) => return connect::fail(err, "answer", &e.to_string()),
        };
        let r = &submitted.response;
        if args.json {
            let v = json!({
                "message_id": r.message_id,
                "kind": r.kind,
                "identificatie": r.identificatie,
                "state": state_name(r.state),
                "request_id": submitted.request_id,
                "xml": if args.validate_only { Some(&r.xml) } else { None },
            });
            writeln!(out, "{v}")?;
        } else if args.validate_only {
            writeln!(out, "{} {} (not sent)", r.kind, r.identificatie)?;
            out.write_all(r.xml.as_bytes())?;
            if !r.xml.ends_with('\n') {
                writeln!(out)?;
            }
        } else {
            writeln!(
                out,
                "{} {} queued as message {} (request_id {})",
                r.kind, r.identificatie, r.message_id, submitted.request_id
            )?;
        }
        Ok(EXIT_OK)
    })
}
