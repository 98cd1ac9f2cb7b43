//! The status follower: after VECOZO accepted a push (204) the message is only *received*;
//! the ketencontrole (XSD and XSLT rules, "enige minuten") and the delivery to the
//! municipality come later, and VECOZO reports them only through the status API (v3).
//!
//! Every delivered message that was pushed is followed ([`FollowRecord`], written together
//! with [`Write::Delivered`], so a restart continues where the last process stopped). Every
//! `status_poll_interval_ms` the follower asks the status API for followed messages until it
//! reports a final state ([`verdict`]):
//!
//! - `AfgekeurdDoorDienst` (and `DeelberichtAanleveringAfgekeurd`, `BezorgingAfgebroken`) →
//!   [`Write::Rejected`]: REJECTED_BY_VECOZO with VECOZO's meldingen and a
//!   DeliveryStatusChanged event;
//! - `Bezorgd` → [`Write::Settled`]: a DeliveryStatusChanged event (state DELIVERED,
//!   `vecozo_status = "Bezorgd"`);
//! - anything else → asked again next round, for at most `status_follow_max_hours` after the
//!   push; then the message is no longer followed (a warning, no event; it stays DELIVERED).
//!
//! **Rate limits.** The status API answers one traceerId per request and VECOZO limits
//! requests per certificate. So the follower groups the followed messages by the certificate
//! that pushed them and, per certificate and round, makes at most `status_requests_per_round`
//! requests, one at a time; a round for one certificate resumes after the last message it
//! asked about, so a large backlog is covered in turn. A transient failure (429, 5xx, no
//! answer) ends that certificate's round: the next round tries again. When VECOZO answers
//! 429 or 503 with `Retry-After`, that certificate is not asked again before that time has
//! passed (cut to `max_retry_after`, `[vecozo.backoff] max_retry_after_ms`): its rounds are
//! skipped until then ([`Throttle`]), while other certificates go on.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::client::StatusQuery;
use super::clients::Clients;
use super::wire::{Berichtstatus, BerichtstatusGegevens};
use crate::header::Clock;
use crate::store::{FollowRecord, Melding, Store, Write};

/// Followed messages read from the store per page.
const PAGE: usize = 1024;

/// What the status API says about one followed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not final yet (or not listed yet): ask again later.
    Pending(Option<Berichtstatus>),
    /// The addressee fetched it.
    Delivered,
    /// VECOZO refused it after accepting the push; with its meldingen.
    Refused {
        /// The berichtstatus.
        status: Berichtstatus,
        /// VECOZO's meldingen (at least one: the status itself when VECOZO gave none).
        meldingen: Vec<Melding>,
    },
}

/// The verdict on `traceer_id` from a status answer (pure). A traceerId query also lists the
/// messages answering it; only the entry with the traceerId itself counts.
pub fn verdict(traceer_id: Uuid, statuses: &[BerichtstatusGegevens]) -> Verdict {
    let Some(entry) = statuses
        .iter()
        .find(|s| s.referentiegegevens.traceer_id == traceer_id)
    else {
        return Verdict::Pending(None);
    };
    match entry.berichtstatus {
        Berichtstatus::Bezorgd => Verdict::Delivered,
        s @ (Berichtstatus::AfgekeurdDoorDienst
        | Berichtstatus::DeelberichtAanleveringAfgekeurd
        | Berichtstatus::BezorgingAfgebroken) => {
            let mut meldingen: Vec<Melding> = entry
                .meldingen
                .iter()
                .flatten()
                .map(|m| Melding {
                    code: m.code.clone(),
                    description: match &m.toelichting {
                        Some(t) => format!("{} ({t})", m.omschrijving),
                        None => m.omschrijving.clone(),
                    },
                })
                .collect();
            if meldingen.is_empty() {
                meldingen.push(Melding {
                    code: status_name(s).into(),
                    description: "VECOZO reported this status without meldingen".into(),
                });
            }
            Verdict::Refused {
                status: s,
                meldingen,
            }
        }
        s => Verdict::Pending(Some(s)),
    }
}

/// VECOZO's name of a status (as in the API).
pub fn status_name(s: Berichtstatus) -> &'static str {
    match s {
        Berichtstatus::Ontvangen => "Ontvangen",
        Berichtstatus::DeelsOntvangen => "DeelsOntvangen",
        Berichtstatus::DeelberichtAanleveringAfgekeurd => "DeelberichtAanleveringAfgekeurd",
        Berichtstatus::WordtVerwerkt => "WordtVerwerkt",
        Berichtstatus::AfgekeurdDoorDienst => "AfgekeurdDoorDienst",
        Berichtstatus::VerwerkingVoltooid => "VerwerkingVoltooid",
        Berichtstatus::WordtAangeboden => "WordtAangeboden",
        Berichtstatus::Bezorgd => "Bezorgd",
        Berichtstatus::AanbiedenMislukt => "AanbiedenMislukt",
        Berichtstatus::BezorgingAfgebroken => "BezorgingAfgebroken",
        Berichtstatus::Onbekend => "Onbekend",
    }
}

/// Picks, per certificate, the next `limit` followed messages after that certificate's
/// `position` (wrapping around), oldest first (pure). `label_of` names the certificate of an
/// AGB code (`None`: no certificate; such messages are skipped).
pub fn batches<'a>(
    followed: &'a [(u64, FollowRecord)],
    positions: &HashMap<String, u64>,
    limit: usize,
    label_of: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, Vec<&'a (u64, FollowRecord)>> {
    let mut per: BTreeMap<String, Vec<&(u64, FollowRecord)>> = BTreeMap::new();
    for f in followed {
        if let Some(label) = label_of(&f.1.agb) {
            per.entry(label).or_default().push(f);
        }
    }
    for (label, list) in per.iter_mut() {
        let after = positions.get(label).copied().unwrap_or(0);
        let split = list.partition_point(|(id, _)| *id <= after);
        list.rotate_left(split);
        list.truncate(limit.max(1));
    }
    per
}

/// What the follower needs.
pub struct StatusFollower {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Timestamps of the events.
    pub clock: Arc<dyn Clock>,
    /// One client per certificate.
    pub clients: Arc<Clients>,
    /// Time between rounds.
    pub interval: Duration,
    /// Status requests per certificate per round (at least 1).
    pub per_round: usize,
    /// How long after the push a message is followed at most.
    pub max_age: Duration,
    /// The longest `Retry-After` honoured; longer ones are cut to this.
    pub max_retry_after: Duration,
}

/// Per certificate, the moment before which the status API is not asked again (its
/// `Retry-After`); kept by [`StatusFollower::run`] from round to round.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    not_before: HashMap<String, tokio::time::Instant>,
}

impl Throttle {
    /// Whether certificate `label` may be asked at `now`.
    pub fn allows(&self, label: &str, now: tokio::time::Instant) -> bool {
        self.not_before.get(label).is_none_or(|t| *t <= now)
    }

    /// Holds certificate `label` back for `wait` from `now`.
    pub fn hold(&mut self, label: &str, now: tokio::time::Instant, wait: Duration) {
        self.not_before.insert(label.to_owned(), now + wait);
    }
}

impl StatusFollower {
    /// Follows until `stopping` turns true: a round, then `interval`, and so on.
    pub async fn run(self, mut stopping: watch::Receiver<bool>) {
        let mut positions: HashMap<String, u64> = HashMap::new();
        let mut throttle = Throttle::default();
        loop {
            tokio::select! {
                _ = self.round_throttled(&mut positions, &mut throttle) => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
        }
    }

    /// One round over every certificate; returns how many messages reached a final state.
    /// A `Retry-After` is honoured within the round only; see [`StatusFollower::round_throttled`].
    pub async fn round(&self, positions: &mut HashMap<String, u64>) -> usize {
        self.round_throttled(positions, &mut Throttle::default())
            .await
    }

    /// [`StatusFollower::round`], skipping the certificates `throttle` holds back and holding
    /// back those VECOZO answers with `Retry-After`.
    pub async fn round_throttled(
        &self,
        positions: &mut HashMap<String, u64>,
        throttle: &mut Throttle,
    ) -> usize {
        let mut followed = Vec::new();
        let mut after = None;
        loop {
            match self.store.followed(after, PAGE) {
                Ok(page) => {
                    let full = page.len() == PAGE;
                    after = page.last().map(|(id, _)| *id);
                    followed.extend(page);
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "status follower: could not read the store");
                    return 0;
                }
            }
        }
        let now_ms = self.clock.now().timestamp_millis();
        let max_ms = i64::try_from(self.max_age.as_millis()).unwrap_or(i64::MAX);
        let (stale, followed): (Vec<_>, Vec<_>) = followed
            .into_iter()
            .partition(|(_, f)| now_ms.saturating_sub(f.since_ms) > max_ms);
        for (id, f) in stale {
            tracing::warn!(message_id = id, traceer_id = %f.traceer_id,
                "VECOZO reported no final status within vecozo.status_follow_max_hours; \
                 no longer followed");
            if let Err(e) = self
                .store
                .commit(Write::Unfollow { message_id: id })
                .wait()
                .await
            {
                tracing::error!(message_id = id, error = %e, "status follower: could not record it");
            }
        }
        if followed.is_empty() {
            return 0;
        }
        let label_of = |agb: &str| self.clients.label_for(agb).map(str::to_owned);
        let per = batches(&followed, positions, self.per_round, &label_of);
        // Certificates have their own limits: their rounds run side by side, each one
        // request at a time.
        let mut tasks = tokio::task::JoinSet::new();
        let started = tokio::time::Instant::now();
        for (label, list) in per {
            if !throttle.allows(&label, started) {
                tracing::debug!(certificate = %label, "status follower: VECOZO asked to wait (Retry-After)");
                continue;
            }
            let list: Vec<(u64, FollowRecord)> = list.into_iter().cloned().collect();
            let ctx = Ctx {
                store: self.store.clone(),
                clock: self.clock.clone(),
                clients: self.clients.clone(),
            };
            tasks.spawn(async move {
                let mut last = None;
                let mut settled = 0;
                let mut wait = None;
                for (id, f) in &list {
                    match ctx.follow_one(*id, f).await {
                        Ok(done) => {
                            settled += usize::from(done);
                            last = Some(*id);
                        }
                        Err(retry_after) => {
                            wait = retry_after;
                            break;
                        }
                    }
                }
                (label, last, settled, wait)
            });
        }
        let mut total = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((label, last, settled, wait)) => {
                    if let Some(wait) = wait {
                        let wait = wait.min(self.max_retry_after);
                        tracing::info!(certificate = %label, wait_ms = wait.as_millis() as u64,
                            "status follower: VECOZO asked to wait (Retry-After); not asked before then");
                        throttle.hold(&label, tokio::time::Instant::now(), wait);
                    }
                    if let Some(last) = last {
                        positions.insert(label, last);
                    }
                    total += settled;
                }
                Err(e) => tracing::error!(error = %e, "status follower: a round failed"),
            }
        }
        total
    }
}

/// What one certificate's round needs.
struct Ctx {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    clients: Arc<Clients>,
}

impl Ctx {
    /// Asks about one message and records a final state. `Ok(true)`: final and recorded;
    /// `Ok(false)`: not final; `Err`: stop this certificate's round, with how long VECOZO
    /// asked to wait (`Retry-After`), if it did.
    async fn follow_one(&self, id: u64, f: &FollowRecord) -> Result<bool, Option<Duration>> {
        let Ok(client) = self.clients.for_agb(&f.agb) else {
            return Ok(false);
        };
        let statuses = match client.statuses(StatusQuery::TraceerId(f.traceer_id)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::info!(traceer_id = %f.traceer_id, error = %e,
                    "status follower: the status API did not answer; next round");
                return Err(e.retry_after());
            }
        };
        let at_ms = self.clock.now().timestamp_millis();
        let write = match verdict(f.traceer_id, &statuses) {
            Verdict::Pending(_) => return Ok(false),
            Verdict::Delivered => Write::Settled {
                message_id: id,
                at_ms,
                vecozo_status: status_name(Berichtstatus::Bezorgd).into(),
            },
            Verdict::Refused { status, meldingen } => {
                let codes: Vec<&str> = meldingen.iter().map(|m| m.code.as_str()).collect();
                tracing::warn!(message_id = id, traceer_id = %f.traceer_id, status = status_name(status),
                    codes = ?codes, "VECOZO refused a message after accepting it");
                Write::Rejected {
                    message_id: id,
                    at_ms,
                    meldingen,
                    vecozo_status: Some(status_name(status).into()),
                }
            }
        };
        match self.store.commit(write).wait().await {
            Ok(_) => Ok(true),
            Err(e) => {
                tracing::error!(message_id = id, error = %e, "status follower: could not record a status");
                Err(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vecozo::wire::{Berichtstroom, Melding as WireMelding, Referentiegegevens};

    fn entry(traceer_id: Uuid, status: Berichtstatus, codes: &[&str]) -> BerichtstatusGegevens {
        BerichtstatusGegevens {
            referentiegegevens: Referentiegegevens {
                conversatie_id: Uuid::new_v4(),
                traceer_id,
                als_antwoord_op: None,
                referentie_id: None,
            },
            berichtstroom: Berichtstroom {
                berichttype: "JW".into(),
                berichtsubtype: Some("JW315".into()),
                berichtversie: 3,
                berichtsubversie: 2,
                actie: "VerzoekToewijzing".into(),
            },
            berichtstatus: status,
            berichtstatus_gewijzigd_op: "2025-04-02T08:00:00.000+00:00".into(),
            bericht_ontvangen_op: "2025-04-02T08:00:00.000+00:00".into(),
            meldingen: (!codes.is_empty()).then(|| {
                codes
                    .iter()
                    .map(|c| WireMelding {
                        code: (*c).into(),
                        omschrijving: "afgekeurd".into(),
                        toelichting: Some("CS002".into()),
                    })
                    .collect()
            }),
        }
    }

    #[test]
    fn only_the_entry_with_the_traceer_id_counts() {
        let t = Uuid::new_v4();
        let answer = entry(Uuid::new_v4(), Berichtstatus::Bezorgd, &[]);
        assert_eq!(
            verdict(t, std::slice::from_ref(&answer)),
            Verdict::Pending(None)
        );
        let ours = entry(t, Berichtstatus::WordtVerwerkt, &[]);
        assert_eq!(
            verdict(t, &[answer, ours]),
            Verdict::Pending(Some(Berichtstatus::WordtVerwerkt))
        );
        assert_eq!(
            verdict(t, &[entry(t, Berichtstatus::Bezorgd, &[])]),
            Verdict::Delivered
        );
    }

    #[test]
    fn a_refusal_carries_the_meldingen_or_the_status() {
        let t = Uuid::new_v4();
        match verdict(
            t,
            &[entry(t, Berichtstatus::AfgekeurdDoorDienst, &["BRS28"])],
        ) {
            Verdict::Refused { meldingen, .. } => {
                assert_eq!(meldingen[0].code, "BRS28");
                assert_eq!(meldingen[0].description, "afgekeurd (CS002)");
            }
            v => panic!("{v:?}"),
        }
        match verdict(t, &[entry(t, Berichtstatus::BezorgingAfgebroken, &[])]) {
            Verdict::Refused { meldingen, .. } => {
                assert_eq!(meldingen[0].code, "BezorgingAfgebroken")
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn batches_take_turns_per_certificate() {
        let rec = |agb: &str| FollowRecord {
            traceer_id: Uuid::new_v4(),
            agb: agb.into(),
            since_ms: 0,
        };
        let followed: Vec<(u64, FollowRecord)> = (1..=5)
            .map(|i| (i, rec("11111111")))
            .chain((6..=7).map(|i| (i, rec("22222222"))))
            .chain(std::iter::once((8, rec("33333333"))))
            .collect();
        let label_of = |agb: &str| match agb {
            "11111111" => Some("a".to_owned()),
            "22222222" => Some("b".to_owned()),
            _ => None,
        };
        let ids = |m: &BTreeMap<String, Vec<&(u64, FollowRecord)>>, l: &str| -> Vec<u64> {
            m.get(l)
                .map(|v| v.iter().map(|(i, _)| *i).collect())
                .unwrap_or_default()
        };
        let mut pos = HashMap::new();
        let b = batches(&followed, &pos, 2, &label_of);
        assert_eq!(ids(&b, "a"), [1, 2]);
        assert_eq!(ids(&b, "b"), [6, 7]);
        assert!(!b.contains_key("33333333"));
        pos.insert("a".to_owned(), 2);
        assert_eq!(ids(&batches(&followed, &pos, 2, &label_of), "a"), [3, 4]);
        pos.insert("a".to_owned(), 4);
        assert_eq!(ids(&batches(&followed, &pos, 2, &label_of), "a"), [5, 1]);
    }
}
