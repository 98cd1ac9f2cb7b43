//! `ketenpoort outbox`: what has not gone well or not yet gone: the tenant's messages that
//! are still queued (not yet with VECOZO), refused by VECOZO (with its meldingen: the dead
//! letters), or whose expected answer did not come in time (ListMessages with a state
//! filter, newest first).
//!
//! `--resend ID...` puts messages VECOZO refused back into the queue (ResendMessage), to be
//! pushed again under a new traceerId: for refusals whose cause lay outside the message (a
//! missing toestemmingsverklaring, BRS03; an addressee not yet connected, BRS04) and was
//! removed. A message whose content was refused must be corrected and submitted as a new
//! one. Retrying queued messages is the gateway's own job (with backoff, until delivered).
//!
//! Exit code: 0 listed (or every resend done), 1 a resend refused (not a refused message,
//! or unknown), 2 connection or credential errors.

use std::io::{self, Write};

use ketenpoort_client::proto::{self, MessageState};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_OK, state_name, time};
use super::status::record_json;

/// Which part of the outbox to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutboxState {
    /// Accepted, not yet with VECOZO.
    Queued,
    /// Refused by VECOZO (ontvangstcontrole or ketencontrole): the dead letters.
    Rejected,
    /// An expected answer did not come in time.
    DeadlineMissed,
}

impl OutboxState {
    fn proto(self) -> MessageState {
        match self {
            OutboxState::Queued => MessageState::Queued,
            OutboxState::Rejected => MessageState::RejectedByVecozo,
            OutboxState::DeadlineMissed => MessageState::DeadlineMissed,
        }
    }

    fn title(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Rejected => "rejected by VECOZO",
            OutboxState::DeadlineMissed => "deadline missed",
        }
    }
}

/// Arguments of `ketenpoort outbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutboxArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Only these states (repeat or separate with commas); default all three.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub state: Vec<OutboxState>,
    /// Only this AGB code.
    #[arg(long, value_name = "AGB")]
    pub agb: Option<String>,
    /// Only this kind, e.g. JW323.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// At most this many messages per state.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub limit: usize,
    /// One JSON object per message (with `outbox_state`).
    #[arg(long)]
    pub json: bool,
    /// Put these messages, refused by VECOZO, back into the queue instead of listing.
    #[arg(long, value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub resend: Vec<String>,
}

/// The exit code when a resend was refused.
pub const EXIT_RESEND_REFUSED: u8 = 1;

/// Runs `outbox`; the result is the exit code.
pub fn run(args: &OutboxArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let states = if args.state.is_empty() {
        vec![
            OutboxState::Queued,
            OutboxState::Rejected,
            OutboxState::DeadlineMissed,
        ]
    } else {
        args.state.clone()
    };
    let rt = connect::runtime()?;
    rt.block_on(async {
        let client = match args.connect.connect().await {
            Ok(c) => c,
            Err(e) => return connect::fail(err, "outbox", &e),
        };
        if !args.resend.is_empty() {
            return resend(&client, &args.resend, out, err).await;
        }
        for state in states {
            let mut filter = proto::ListMessagesRequest {
                agb_code: args.agb.clone().unwrap_or_default(),
                kind: args.kind.clone().unwrap_or_default(),
                state: state.proto() as i32,
                page_size: i32::try_from(args.limit.clamp(1, 500)).unwrap_or(500),
                ..Default::default()
            };
            let mut messages = Vec::new();
            let mut more = false;
            loop {
                let page = match client.list_messages(filter.clone()).await {
                    Ok(p) => p,
                    Err(e) => return connect::fail(err, "outbox", &e.to_string()),
                };
                messages.extend(page.messages);
                if messages.len() >= args.limit {
                    more = messages.len() > args.limit || !page.next_page_token.is_empty();
                    messages.truncate(args.limit);
                    break;
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                filter.page_token = page.next_page_token;
            }
            if args.json {
                for m in &messages {
                    let mut v = record_json(m);
                    v["outbox_state"] = json!(state.title());
                    writeln!(out, "{v}")?;
                }
                continue;
            }
            writeln!(
                out,
                "{} ({}{}):",
                state.title(),
                messages.len(),
                if more { "+" } else { "" }
            )?;
            for m in &messages {
                writeln!(
                    out,
                    "  {}  {}  AGB {} → {}  {}  accepted {}  {}",
                    m.message_id,
                    m.kind,
                    m.agb_code,
                    m.municipality,
                    m.identificatie,
                    time(m.accepted_at.as_ref()),
                    state_name(m.state)
                )?;
                for melding in &m.meldingen {
                    writeln!(out, "      {}: {}", melding.code, melding.description)?;
                }
            }
        }
        Ok(EXIT_OK)
    })
}

/// `--resend`: one line per message; refusals (wrong state, unknown) on `err`.
async fn resend(
    client: &ketenpoort_client::Client,
    ids: &[String],
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<u8> {
    let mut code = EXIT_OK;
    for id in ids {
        match client.resend_message(id.clone()).await {
            Ok(m) => writeln!(
                out,
                "{}  {}  AGB {} → {}  {}  queued again",
                m.message_id, m.kind, m.agb_code, m.municipality, m.identificatie
            )?,
            Err(
                ketenpoort_client::Error::Violations { message, .. }
                | ketenpoort_client::Error::NotFound(message),
            ) => {
                writeln!(err, "ketenpoort outbox: {id}: {message}")?;
                code = EXIT_RESEND_REFUSED;
            }
            Err(e) => return connect::fail(err, "outbox", &e.to_string()),
        }
    }
    Ok(code)
}
