//! `ketenpoort submit FILE...`: sends request files (see [`super::request_file`]) to a
//! gateway, one after the other, and reports per file and in a summary what was accepted
//! and what was rejected and why (rule, proto field, retourcode).
//!
//! - Progress (`[3/120] file`) goes to stderr when stderr is a terminal.
//! - A request without `common.request_id` gets one derived from its content, so running
//!   the same batch again stores nothing new: the gateway answers each file with the
//!   message it stored the first time.
//! - `--dry-run` sets `validate_only`: every check runs, nothing is stored or sent. A file
//!   the gateway accepted before (its request_id, given or derived, names a stored message:
//!   `ListMessages` by request_id) is reported valid with that message, not checked again:
//!   checked again, it would break the rules against itself (a ReferentieNummer used
//!   before), though submitting it is an idempotent retry.
//! - `--wait-for KIND` (e.g. `JW301`, `JW325`; several separated by commas) waits after each
//!   accepted file, at most `--wait SECONDS` (default 120), until an event of that kind
//!   about its message has arrived, and prints the message's events up to it (as `returns`
//!   prints them, without acknowledging anything; with `--json` as the file's `answers`).
//!   The events are read from the message's first cursor on, so a file that was accepted
//!   before (the same content: the original message) shows the answers it already has at
//!   once. Exit code 1 when one did not come in time.
//! - A file that cannot be read or parsed is reported and the others are still sent. When
//!   the gateway cannot be reached (or does not accept the credentials) the remaining files
//!   are not sent.
//!
//! Exit code: 0 every file accepted (valid with `--dry-run`), 1 at least one rejected (or,
//! with `--wait-for`, not answered in time) and none unreadable or unsent, 2 a file could not be read or parsed, a file was not sent
//! (connection or credential error), or the command line is wrong.
//!
//! The report names files, kinds, message ids, rule ids, proto field paths, retourcodes and
//! the gateway's rule descriptions, which never quote BSNs, names or other values.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use std::time::Duration;

use ketenpoort_client::{Client, Error, Submitted, Violation, proto};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_ERROR, EXIT_OK, EXIT_REFUSED};
use super::request_file::{self, Request};
use super::returns::{event_json_with, event_text};

/// Arguments of `ketenpoort submit`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubmitArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Run every check (validate_only) but store and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per file on stdout instead of text; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// After each accepted file, wait until an event of this kind (e.g. `JW301`, `JW325`;
    /// several separated by commas) about its message has arrived, and print the message's
    /// events up to it. Nothing is acknowledged.
    #[arg(long, value_name = "KIND", conflicts_with = "dry_run")]
    pub wait_for: Option<String>,
    /// How long `--wait-for` waits per file, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 120.0,
        requires = "wait_for"
    )]
    pub wait: f64,
    /// Request files: JSON (proto3 JSON mapping) or `.toml`, one request each, with a
    /// top-level `kind` (RequestForAllocation, Declaration, CareStart, CareStop,
    /// ChangeRequest).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// What became of one file.
#[derive(Debug)]
enum Outcome {
    /// Stored and queued (or, with `--dry-run`, valid).
    Accepted(Submitted),
    /// With `--dry-run`: accepted before under the same request_id (the stored message in
    /// the response); not checked again.
    AcceptedBefore(Submitted),
    /// Refused by the gateway for what it is.
    Rejected {
        /// The gRPC code, e.g. `INVALID_ARGUMENT`.
        code: &'static str,
        /// The gateway's summary.
        message: String,
        /// The broken rules (the first ones, when the gateway listed only those).
        violations: Vec<Violation>,
        /// How many rules are broken in all.
        total: usize,
    },
    /// The file could not be read or parsed.
    Unreadable(String),
    /// Not answered: the connection or the credentials failed.
    Failed(String),
    /// Not sent because an earlier file failed that way.
    NotSent,
}

struct FileResult {
    file: PathBuf,
    /// The message code (`JW315`) when the file parsed.
    code: Option<String>,
    outcome: Outcome,
    /// With `--wait-for`: the events about the accepted message(s), and whether the awaited
    /// kind came.
    answers: Option<Answers>,
}

/// What `--wait-for` saw for one file.
#[derive(Debug, Default)]
struct Answers {
    events: Vec<proto::ReturnEvent>,
    /// The awaited kind came for every message of the file.
    complete: bool,
    /// Why the wait ended early (a connection error), if it did.
    error: Option<String>,
}

/// Runs `submit`; the result is the exit code.
pub fn run(args: &SubmitArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let requests: Vec<(PathBuf, Result<Request, String>)> = args
        .files
        .iter()
        .map(|f| {
            let parsed = std::fs::read(f)
                .map_err(|e| format!("cannot read the file: {e}"))
                .and_then(|bytes| request_file::parse(f, &bytes))
                .and_then(|mut r| {
                    // Otherwise a check-only file would be reported as accepted.
                    if r.common_mut().validate_only {
                        Err("common.validate_only is set in the file: use submit --dry-run".into())
                    } else {
                        Ok(r)
                    }
                });
            (f.clone(), parsed)
        })
        .collect();
    let wait = match (&args.wait_for, args.wait) {
        (Some(_), w) if !(w.is_finite() && w > 0.0) => {
            return connect::fail(err, "submit", "--wait must be a positive number");
        }
        (Some(kinds), w) => Some((
            kinds
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>(),
            Duration::from_secs_f64(w),
        )),
        (None, _) => None,
    };
    let rt = connect::runtime()?;
    let any_parsed = requests.iter().any(|(_, r)| r.is_ok());
    let client = if any_parsed {
        match rt.block_on(args.connect.connect()) {
            Ok(c) => Some(c),
            Err(e) => return connect::fail(err, "submit", &e),
        }
    } else {
        None
    };
    let progress = io::stderr().is_terminal();
    let total = requests.len();
    let mut results = Vec::with_capacity(total);
    let mut stop = false;
    for (i, (file, parsed)) in requests.into_iter().enumerate() {
        if progress {
            write!(err, "\r\x1b[2K[{}/{total}] {}", i + 1, file.display())?;
            err.flush()?;
        }
        let result = match (parsed, &client) {
            (Err(e), _) => FileResult {
                file,
                code: None,
                outcome: Outcome::Unreadable(e),
                answers: None,
            },
            (Ok(request), _) if stop => FileResult {
                file,
                code: Some(request.message_code()),
                outcome: Outcome::NotSent,
                answers: None,
            },
            (Ok(request), Some(client)) => {
                let code = Some(request.message_code());
                let outcome = rt.block_on(send(client, request, args.dry_run));
                stop = matches!(outcome, Outcome::Failed(_));
                let answers = match (&outcome, &wait) {
                    (Outcome::Accepted(s), Some((kinds, wait))) => {
                        Some(rt.block_on(await_answers(client, s, kinds, *wait)))
                    }
                    _ => None,
                };
                FileResult {
                    file,
                    code,
                    outcome,
                    answers,
                }
            }
            (Ok(_), None) => FileResult {
                file,
                code: None,
                outcome: Outcome::NotSent,
                answers: None,
            },
        };
        if args.json {
            writeln!(out, "{}", result_json(&result, args.dry_run))?;
        } else {
            write_text(out, &result, args.dry_run)?;
        }
        out.flush()?;
        results.push(result);
    }
    if progress {
        write!(err, "\r\x1b[2K")?;
    }
    if args.json {
        write_summary(err, &results, args.dry_run)?;
    } else {
        write_summary(out, &results, args.dry_run)?;
    }
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    Ok(
        if count(|o| {
            matches!(
                o,
                Outcome::Unreadable(_) | Outcome::Failed(_) | Outcome::NotSent
            )
        }) > 0
        {
            EXIT_ERROR
        } else if count(|o| matches!(o, Outcome::Rejected { .. })) > 0
            || results
                .iter()
                .any(|r| r.answers.as_ref().is_some_and(|a| !a.complete))
        {
            EXIT_REFUSED
        } else {
            EXIT_OK
        },
    )
}

/// Waits (at most `wait` in all) until an event of one of `kinds` about each message of
/// `submitted` has arrived ([`Client::answers`]), collecting the messages' events up to it;
/// nothing is acknowledged.
async fn await_answers(
    client: &Client,
    submitted: &Submitted,
    kinds: &[String],
    wait: Duration,
) -> Answers {
    let deadline = tokio::time::Instant::now() + wait;
    let mut ids = submitted.response.message_ids.clone();
    if ids.is_empty() {
        ids.push(submitted.response.message_id.clone());
    }
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    let mut answers = Answers {
        complete: true,
        ..Answers::default()
    };
    for id in ids {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match client.answers(&id, &kinds, left).await {
            Ok(found) => {
                answers.complete &= found.answered;
                answers.events.extend(found.events);
            }
            Err(e) => {
                answers.complete = false;
                answers.error = Some(e.to_string());
                break;
            }
        }
    }
    answers
}

/// Sends one request: with a derived request_id when it has none, or as validate_only.
async fn send(client: &Client, mut request: Request, dry_run: bool) -> Outcome {
    if request.common_mut().request_id.is_empty() {
        let id = request_file::derived_request_id(&request);
        request.common_mut().request_id = id;
    }
    if dry_run {
        let request_id = request.common_mut().request_id.clone();
        match accepted_before(client, &request_id).await {
            Ok(Some(response)) => {
                return Outcome::AcceptedBefore(Submitted {
                    request_id,
                    response,
                });
            }
            Ok(None) => {}
            Err(e) => return Outcome::Failed(e.to_string()),
        }
        let common = request.common_mut();
        common.validate_only = true;
        common.request_id.clear();
    }
    let result = match request {
        Request::RequestForAllocation(m) => client.submit_request_for_allocation(m).await,
        Request::Declaration(m) => client.submit_declaration(m).await,
        Request::CareStart(m) => client.submit_care_start(m).await,
        Request::CareStop(m) => client.submit_care_stop(m).await,
        Request::ChangeRequest(m) => client.submit_change_request(m).await,
    };
    match result {
        Ok(s) => Outcome::Accepted(s),
        Err(Error::Violations {
            cross_message,
            message,
            violations,
            total,
        }) => Outcome::Rejected {
            code: if cross_message {
                "FAILED_PRECONDITION"
            } else {
                "INVALID_ARGUMENT"
            },
            message,
            violations,
            total,
        },
        Err(e @ Error::PermissionDenied(_)) => rejected("PERMISSION_DENIED", &e),
        Err(e @ Error::AlreadyExists(_)) => rejected("ALREADY_EXISTS", &e),
        Err(e @ Error::ResourceExhausted(_)) => rejected("RESOURCE_EXHAUSTED", &e),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// The message(s) stored under `request_id`, as the submit answered them; `None` when there
/// are none.
async fn accepted_before(
    client: &Client,
    request_id: &str,
) -> Result<Option<proto::SubmitResponse>, Error> {
    let mut found = client
        .list_all_messages(proto::ListMessagesRequest {
            request_id: request_id.to_owned(),
            ..Default::default()
        })
        .await?;
    // A gateway without the request_id filter lists everything: keep only the matches.
    found.retain(|m| m.request_id == request_id);
    found.sort_by_key(|m| m.message_id.parse::<u64>().unwrap_or(u64::MAX));
    let Some(first) = found.first() else {
        return Ok(None);
    };
    Ok(Some(proto::SubmitResponse {
        message_id: first.message_id.clone(),
        kind: first.kind.clone(),
        identificatie: first.identificatie.clone(),
        state: first.state,
        message_ids: if found.len() > 1 {
            found.iter().map(|m| m.message_id.clone()).collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    }))
}

fn rejected(code: &'static str, e: &Error) -> Outcome {
    Outcome::Rejected {
        code,
        message: e.to_string(),
        violations: Vec::new(),
        total: 0,
    }
}

fn write_text(out: &mut impl Write, r: &FileResult, dry_run: bool) -> io::Result<()> {
    let file = r.file.display();
    let code = r.code.as_deref().unwrap_or("?");
    match &r.outcome {
        Outcome::Accepted(s) if dry_run => {
            writeln!(out, "{file}: valid {}", or(&s.response.kind, code))
        }
        Outcome::AcceptedBefore(s) => writeln!(
            out,
            "{file}: valid {}: accepted before as message {} (request_id {}), not checked again",
            or(&s.response.kind, code),
            s.response.message_id,
            s.request_id
        ),
        Outcome::Accepted(s) => {
            let resp = &s.response;
            write!(
                out,
                "{file}: accepted {} as message {} (Identificatie {}",
                or(&resp.kind, code),
                resp.message_id,
                resp.identificatie
            )?;
            if !resp.declaration_numbers.is_empty() {
                write!(
                    out,
                    ", DeclaratieNummer {}",
                    resp.declaration_numbers.join(", ")
                )?;
            }
            if resp.message_ids.len() > 1 {
                write!(out, ", split into messages {}", resp.message_ids.join(", "))?;
            }
            writeln!(out, ", request_id {})", s.request_id)?;
            if let Some(a) = &r.answers {
                for e in &a.events {
                    writeln!(out, "  {}", event_text(e))?;
                }
                if let Some(e) = &a.error {
                    writeln!(out, "  stopped waiting: {e}")?;
                } else if !a.complete {
                    writeln!(out, "  the awaited answer did not come in time")?;
                }
            }
            Ok(())
        }
        Outcome::Rejected {
            code: status,
            message,
            violations,
            total,
        } => {
            let verdict = if dry_run { "invalid" } else { "rejected" };
            writeln!(out, "{file}: {verdict} {code} ({status}): {message}")?;
            for v in violations {
                writeln!(out, "  {}", violation_text(v))?;
            }
            if *total > violations.len() {
                writeln!(
                    out,
                    "  … and {} more violation(s) not listed ({total} in all)",
                    total - violations.len()
                )?;
            }
            Ok(())
        }
        Outcome::Unreadable(e) => writeln!(out, "{file}: unreadable: {e}"),
        Outcome::Failed(e) => writeln!(out, "{file}: not answered: {e}"),
        Outcome::NotSent => writeln!(out, "{file}: not sent (an earlier file could not be sent)"),
    }
}

/// `RULE field [retourcode CODE]: description`.
fn violation_text(v: &Violation) -> String {
    let mut s = format!("{} {}", v.rule, v.field);
    if let Some(code) = &v.retourcode {
        s.push_str(&format!(" [retourcode {code}]"));
    }
    s.push_str(": ");
    s.push_str(&v.description);
    s
}

fn or<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

fn result_json(r: &FileResult, dry_run: bool) -> serde_json::Value {
    let file = r.file.display().to_string();
    let kind = r.code.clone();
    match &r.outcome {
        Outcome::Accepted(s) => {
            let resp = &s.response;
            json!({
                "file": file,
                "outcome": if dry_run { "valid" } else { "accepted" },
                "kind": or(&resp.kind, kind.as_deref().unwrap_or_default()),
                "message_id": resp.message_id,
                "message_ids": resp.message_ids,
                "identificatie": resp.identificatie,
                "declaration_numbers": resp.declaration_numbers,
                "request_id": s.request_id,
                "answers": r.answers.as_ref().map(|a| a
                    .events
                    .iter()
                    .map(|e| event_json_with(e, false, false))
                    .collect::<Vec<_>>()),
                "answered": r.answers.as_ref().map(|a| a.complete),
            })
        }
        Outcome::Rejected {
            code,
            message,
            violations,
            total,
        } => json!({
            "file": file,
            "outcome": if dry_run { "invalid" } else { "rejected" },
            "kind": kind,
            "code": code,
            "message": message,
            "total_violations": total,
            "violations": violations.iter().map(|v| json!({
                "field": v.field,
                "rule": v.rule,
                "retourcode": v.retourcode,
                "description": v.description,
            })).collect::<Vec<_>>(),
        }),
        Outcome::AcceptedBefore(s) => json!({
            "file": file,
            "outcome": "valid",
            "accepted_before": true,
            "kind": or(&s.response.kind, kind.as_deref().unwrap_or_default()),
            "message_id": s.response.message_id,
            "request_id": s.request_id,
        }),
        Outcome::Unreadable(e) => json!({"file": file, "outcome": "unreadable", "error": e}),
        Outcome::Failed(e) => {
            json!({"file": file, "outcome": "failed", "kind": kind, "error": e})
        }
        Outcome::NotSent => json!({"file": file, "outcome": "not_sent", "kind": kind}),
    }
}

/// `summary: 5 accepted, 1 rejected` and one line per rejected file with its rules.
fn write_summary(w: &mut impl Write, results: &[FileResult], dry_run: bool) -> io::Result<()> {
    let n = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    let accepted = n(|o| matches!(o, Outcome::Accepted(_) | Outcome::AcceptedBefore(_)));
    let rejected = n(|o| matches!(o, Outcome::Rejected { .. }));
    let (ok_word, bad_word) = if dry_run {
        ("valid", "invalid")
    } else {
        ("accepted", "rejected")
    };
    write!(w, "summary: {accepted} {ok_word}, {rejected} {bad_word}")?;
    for (count, word) in [
        (n(|o| matches!(o, Outcome::Unreadable(_))), "unreadable"),
        (n(|o| matches!(o, Outcome::Failed(_))), "not answered"),
        (n(|o| matches!(o, Outcome::NotSent)), "not sent"),
    ] {
        if count > 0 {
            write!(w, ", {count} {word}")?;
        }
    }
    writeln!(w, " (of {} files)", results.len())?;
    for r in results {
        if let Outcome::Rejected {
            code, violations, ..
        } = &r.outcome
        {
            let rules: Vec<String> = violations
                .iter()
                .map(|v| match &v.retourcode {
                    Some(c) => format!("{} {} [{c}]", v.rule, v.field),
                    None => format!("{} {}", v.rule, v.field),
                })
                .collect();
            let reasons = if rules.is_empty() {
                (*code).to_owned()
            } else {
                rules.join("; ")
            };
            writeln!(w, "  {bad_word}: {}: {reasons}", r.file.display())?;
        }
    }
    Ok(())
}
