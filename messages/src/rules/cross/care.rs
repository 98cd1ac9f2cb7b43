//! Cross-message rules of the regie messages 305 Start zorg and 307 Stop zorg: against the
//! allocation (TR019) and against earlier starts and stops (TR063, TR071, TR074, TR326, TR382,
//! TR413, TR414, TR415).
//!
//! Keys (logische sleutels, IV008/IV096): a StartProduct is known by Bsn, ToewijzingNummer,
//! Product and Begindatum; a StopProduct repeats that key and adds Einddatum and
//! RedenBeeindiging. A delivery with StatusAanlevering 3 deletes the one with the same key and
//! gets no other checks (TR063).

use super::history::{CareEvent, History, Scope, StartKey, StopDetails, in_force};
use crate::codes::{RedenBeeindiging, StatusAanlevering};
use crate::model::care::{CareStartClient, CareStopClient};
use crate::rules::violation;
use crate::xml::Report;

type Seg = (&'static str, Option<usize>);

/// TR019: a start or stop with a ToewijzingNummer refers to an allocation of this client.
fn allocation(
    h: &(impl History + ?Sized),
    scope: &Scope,
    bsn: &str,
    key: &StartKey,
    at: &[Seg],
    rep: &mut Report,
) {
    let Some(nummer) = key.toewijzing_nummer else {
        return; // taakgericht: no allocation (IV096)
    };
    let mut path = at.to_vec();
    path.push(("ToewijzingNummer", None));
    match h.allocation(scope, nummer) {
        None => violation(
            rep,
            &path,
            "TR019",
            "no allocation (301) with this ToewijzingNummer was received from this municipality",
        ),
        Some(a) if a.bsn != bsn => violation(
            rep,
            &path,
            "TR019",
            "the allocation with this ToewijzingNummer belongs to another client",
        ),
        Some(_) => {}
    }
}

fn new_delivery(status: StatusAanlevering) -> bool {
    status != StatusAanlevering::Verwijderen
}

/// The 305 Start zorg.
pub(super) fn start(
    h: &(impl History + ?Sized),
    scope: &Scope,
    c: &CareStartClient,
    rep: &mut Report,
) {
    rep.path.push("Client", None);
    let events = h.care_events(scope, &c.bsn.0);
    let before: Vec<&CareEvent> = in_force(events.iter());
    // This message's deletions apply before its new deliveries (IV008: delete and replace in
    // one message); its new deliveries count for the ones after them.
    let mut live: Vec<CareEvent> = before.iter().map(|e| (*e).clone()).collect();
    for p in &c.start_producten {
        if p.status_aanlevering == StatusAanlevering::Verwijderen {
            let key = start_key(p.toewijzing_nummer.map(|n| n.0), &p.product, p.begindatum);
            if let Some(i) = live.iter().position(|e| e.stop.is_none() && e.key == key) {
                live.remove(i);
            }
        }
    }
    for (i, p) in c.start_producten.iter().enumerate() {
        let at: [Seg; 2] = [("StartProducten", None), ("StartProduct", Some(i + 1))];
        let key = start_key(p.toewijzing_nummer.map(|n| n.0), &p.product, p.begindatum);
        if !new_delivery(p.status_aanlevering) {
            // TR063: an earlier start with this key to delete; TR071: not after its stop.
            let start_sent = before.iter().any(|e| e.stop.is_none() && e.key == key);
            if !start_sent {
                violation(
                    rep,
                    &at,
                    "TR063",
                    "StatusAanlevering 3 deletes a start, but no start with this key was sent",
                );
            } else if before.iter().any(|e| e.stop.is_some() && e.key == key) {
                violation(
                    rep,
                    &at,
                    "TR071",
                    "the start cannot be deleted: a stop was already sent for it",
                );
            }
            continue;
        }
        allocation(h, scope, &c.bsn.0, &key, &at, rep);
        // TR074: a new start's key is not in force already.
        if live.iter().any(|e| e.stop.is_none() && e.key == key) {
            violation(
                rep,
                &at,
                "TR074",
                "a start with this key (ToewijzingNummer, Product, Begindatum) was already sent",
            );
        } else if let Some(current) = live.iter().find(|e| {
            e.stop.is_none()
                && e.key.toewijzing_nummer == key.toewijzing_nummer
                && e.key.product == key.product
                && !live.iter().any(|s| s.stop.is_some() && s.key == e.key)
        }) {
            // TR326: no new start while the current one has no stop.
            violation(
                rep,
                &at,
                "TR326",
                format!(
                    "the care started on {} for this allocation and product has not been stopped (307)",
                    current.key.begindatum
                ),
            );
        }
        live.push(CareEvent {
            key,
            stop: None,
            status: p.status_aanlevering,
            rejected: false,
        });
    }
    rep.path.pop();
}

fn start_key(
    toewijzing_nummer: Option<u64>,
    product: &Option<crate::model::basis::Product>,
    begindatum: chrono::NaiveDate,
) -> StartKey {
    StartKey {
        toewijzing_nummer,
        product: product.clone(),
        begindatum,
    }
}

/// The 307 Stop zorg.
pub(super) fn stop(
    h: &(impl History + ?Sized),
    scope: &Scope,
    c: &CareStopClient,
    rep: &mut Report,
) {
    rep.path.push("Client", None);
    let events = h.care_events(scope, &c.bsn.0);
    let before: Vec<&CareEvent> = in_force(events.iter());
    let mut live: Vec<CareEvent> = before.iter().map(|e| (*e).clone()).collect();
    let stop_of = |p: &crate::model::care::StopProduct| {
        (
            start_key(p.toewijzing_nummer.map(|n| n.0), &p.product, p.begindatum),
            StopDetails {
                einddatum: p.einddatum,
                reden: p.reden_beeindiging,
            },
        )
    };
    for p in &c.stop_producten {
        if p.status_aanlevering == StatusAanlevering::Verwijderen {
            let (key, details) = stop_of(p);
            if let Some(i) = live
                .iter()
                .position(|e| e.key == key && e.stop.as_ref() == Some(&details))
            {
                live.remove(i);
            }
        }
    }
    for (i, p) in c.stop_producten.iter().enumerate() {
        let at: [Seg; 2] = [("StopProducten", None), ("StopProduct", Some(i + 1))];
        let (key, details) = stop_of(p);
        if !new_delivery(p.status_aanlevering) {
            // TR063: an earlier stop with this key to delete.
            if !before
                .iter()
                .any(|e| e.key == key && e.stop.as_ref() == Some(&details))
            {
                violation(
                    rep,
                    &at,
                    "TR063",
                    "StatusAanlevering 3 deletes a stop, but no stop with this key was sent",
                );
            }
            continue;
        }
        allocation(h, scope, &c.bsn.0, &key, &at, rep);
        // TR382: the start being stopped is in force, with the same key.
        if !live.iter().any(|e| e.stop.is_none() && e.key == key) {
            violation(
                rep,
                &at,
                "TR382",
                "no start (305) in force with this ToewijzingNummer, Product and Begindatum",
            );
        }
        if live
            .iter()
            .any(|e| e.key == key && e.stop.as_ref() == Some(&details))
        {
            violation(rep, &at, "TR074", "a stop with this key was already sent");
        } else {
            // TR413–TR415 compare with the stops in force for the same Bsn, ToewijzingNummer
            // and Begindatum (not Product, as the rules state).
            let same: Vec<&StopDetails> = live
                .iter()
                .filter(|e| {
                    e.key.toewijzing_nummer == key.toewijzing_nummer
                        && e.key.begindatum == key.begindatum
                })
                .filter_map(|e| e.stop.as_ref())
                .collect();
            let temporary = RedenBeeindiging::R20;
            if details.reden == temporary && same.iter().any(|s| s.reden == temporary) {
                violation(
                    rep,
                    &[at[0], at[1], ("RedenBeeindiging", None)],
                    "TR413",
                    "a stop with RedenBeeindiging 20 (temporary) was already sent for this start",
                );
            }
            if same.iter().any(|s| s.reden != temporary) {
                violation(
                    rep,
                    &at,
                    "TR415",
                    "this start was already stopped for good (RedenBeeindiging other than 20)",
                );
            }
            if let Some(latest) = same.iter().map(|s| s.einddatum).max() {
                if details.einddatum < latest {
                    violation(
                        rep,
                        &[at[0], at[1], ("Einddatum", None)],
                        "TR414",
                        format!(
                            "Einddatum must be on or after {latest}, that of the stop in force"
                        ),
                    );
                }
            }
        }
        live.push(CareEvent {
            key,
            stop: Some(details),
            status: p.status_aanlevering,
            rejected: false,
        });
    }
    rep.path.pop();
}
