//! Request faults from the scenario's `[[storing]]` entries: HTTP error statuses, slow
//! responses, connection resets, maintenance windows and refused TLS handshakes.
//!
//! Which requests a fault strikes is deterministic: `elke = N` strikes the Nth, 2Nth, …
//! request it matches (counted per fault), `kans = p` strikes the requests for which a
//! generator seeded with `zaad` draws below `p` (the same requests every run), and a window
//! (`van`, `tot`) on the simulated clock limits both. Faults are tried in file order: delays
//! add up, and the first fault that answers the request (a status or a reset) ends the search,
//! so later faults do not count that request.
//!
//! The municipality's answer faults (`geen-antwoord`, `te-laat`, `dubbel-325`,
//! `zonder-als-antwoord-op`) are the bot's business ([`crate::bot`]).

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::scenario::{Api, Fault, RequestFault, Scenario};

/// What a fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answer with this status instead of handling the request; with a Retry-After header
    /// (seconds) when given.
    Status {
        /// The HTTP status.
        status: u16,
        /// Retry-After in seconds.
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    Reset,
}

/// The faults' verdict on one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    /// Real time to wait first.
    pub delay: Duration,
    /// What to answer instead of handling the request, if anything.
    pub outcome: Option<Outcome>,
}

/// How often one `[[storing]]` struck, for `GET /admin/v1/tellingen`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultCounts {
    /// The fault's `soort`.
    pub soort: String,
    /// Requests (or handshakes) it matched: API and window.
    pub getroffen: u64,
    /// Times it acted.
    pub toegepast: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Status,
    Slow,
    Reset,
    Maintenance,
}

#[derive(Debug, Clone)]
struct Rule {
    /// Index in the scenario's `storingen` (and in the counts).
    index: usize,
    kind: Kind,
    spec: RequestFault,
}

/// The scenario's request faults and their counters.
#[derive(Debug)]
pub struct Faults {
    rules: Vec<Rule>,
    /// Certificate CNs whose handshake is refused, with the index of their fault.
    refused: Vec<(usize, BTreeSet<String>)>,
    counts: Mutex<Vec<FaultCounts>>,
}

/// splitmix64: a small, good mixing function for seeded draws.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw in [0, 1) for the `n`th request of a fault seeded with `seed`.
fn draw(seed: u64, n: u64) -> f64 {
    (mix(seed ^ mix(n)) >> 11) as f64 / (1u64 << 53) as f64
}

fn soort(f: &Fault) -> &'static str {
    match f {
        Fault::HttpFout(_) => "http-fout",
        Fault::Traag(_) => "traag",
        Fault::Verbreek(_) => "verbreek",
        Fault::Onderhoud(_) => "onderhoud",
        Fault::HanddrukWeigering(_) => "handdruk-weigering",
        Fault::GeenAntwoord(_) => "geen-antwoord",
        Fault::TeLaat(_) => "te-laat",
        Fault::Dubbel325(_) => "dubbel-325",
        Fault::ZonderAlsAntwoordOp(_) => "zonder-als-antwoord-op",
    }
}

impl Faults {
    /// The faults of `scenario`.
    pub fn new(scenario: &Scenario) -> Faults {
        let mut rules = Vec::new();
        let mut refused = Vec::new();
        let mut counts = Vec::new();
        for (index, f) in scenario.storingen.iter().enumerate() {
            counts.push(FaultCounts {
                soort: soort(f).into(),
                ..FaultCounts::default()
            });
            let kind = match f {
                Fault::HttpFout(_) => Kind::Status,
                Fault::Traag(_) => Kind::Slow,
                Fault::Verbreek(_) => Kind::Reset,
                Fault::Onderhoud(_) => Kind::Maintenance,
                Fault::HanddrukWeigering(h) => {
                    refused.push((index, h.certificaten.iter().cloned().collect()));
                    continue;
                }
                _ => continue,
            };
            if let Fault::HttpFout(spec)
            | Fault::Traag(spec)
            | Fault::Verbreek(spec)
            | Fault::Onderhoud(spec) = f
            {
                rules.push(Rule {
                    index,
                    kind,
                    spec: spec.clone(),
                });
            }
        }
        Faults {
            rules,
            refused,
            counts: Mutex::new(counts),
        }
    }

    /// Whether there are no request faults (the server can skip [`Faults::decide`]).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What the faults do to a request to `api` at simulated time `now` on a clock running at
    /// `speed` (for Retry-After in real seconds).
    pub fn decide(&self, api: Api, now: DateTime<Utc>, speed: f64) -> Decision {
        let mut decision = Decision::default();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for rule in &self.rules {
            let spec = &rule.spec;
            let in_api = spec.api.as_ref().is_none_or(|list| list.contains(&api));
            let in_window = spec.van.is_none_or(|v| now >= v) && spec.tot.is_none_or(|t| now < t);
            if !(in_api && in_window) {
                continue;
            }
            let Some(c) = counts.get_mut(rule.index) else {
                continue;
            };
            c.getroffen += 1;
            let n = c.getroffen;
            let strikes = match (spec.elke, spec.kans) {
                (Some(every), _) => every > 0 && n % every == 0,
                (None, Some(p)) => draw(spec.zaad, n) < p,
                (None, None) => true,
            };
            if !strikes {
                continue;
            }
            c.toegepast += 1;
            match rule.kind {
                Kind::Slow => {
                    decision.delay += Duration::from_millis(spec.vertraging_ms.unwrap_or(0));
                }
                Kind::Reset => {
                    decision.outcome = Some(Outcome::Reset);
                    break;
                }
                Kind::Status => {
                    decision.outcome = Some(Outcome::Status {
                        status: spec.status.unwrap_or(503),
                        retry_after: spec.retry_after_seconden,
                    });
                    break;
                }
                Kind::Maintenance => {
                    let left = spec
                        .tot
                        .map(|t| (t - now).num_seconds().max(1))
                        .unwrap_or(60);
                    let left = u64::try_from(left).unwrap_or(1);
                    let real = if speed > 0.0 {
                        ((left as f64) / speed).ceil().max(1.0) as u64
                    } else {
                        left
                    };
                    decision.outcome = Some(Outcome::Status {
                        status: 503,
                        retry_after: Some(real),
                    });
                    break;
                }
            }
        }
        decision
    }

    /// Whether the TLS handshake of a client with certificate subject CN `cn` is refused;
    /// counts it.
    pub fn refuses_certificate(&self, cn: &str) -> bool {
        let mut refused = false;
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for (index, names) in &self.refused {
            if names.contains(cn) {
                if let Some(c) = counts.get_mut(*index) {
                    c.getroffen += 1;
                    c.toegepast += 1;
                }
                refused = true;
            }
        }
        refused
    }

    /// Whether any handshake fault is configured.
    pub fn refuses_any_certificate(&self) -> bool {
        !self.refused.is_empty()
    }

    /// The counts per `[[storing]]`, in file order.
    pub fn counts(&self) -> Vec<FaultCounts> {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(toml: &str) -> Faults {
        Faults::new(&Scenario::from_toml(toml).expect("scenario"))
    }

    #[test]
    fn every_nth_request_gets_the_status() {
        let f = faults(
            "[[storing]]\nsoort = \"http-fout\"\napi = [\"push\"]\nstatus = 500\nelke = 3\n",
        );
        let now = Utc::now();
        let got: Vec<bool> = (0..6)
            .map(|_| f.decide(Api::Push, now, 1.0).outcome.is_some())
            .collect();
        assert_eq!(got, [false, false, true, false, false, true]);
        assert!(f.decide(Api::Pull, now, 1.0).outcome.is_none());
        assert_eq!(f.counts()[0].toegepast, 2);
    }

    #[test]
    fn a_seeded_fraction_is_the_same_every_run() {
        let toml = "[[storing]]\nsoort = \"verbreek\"\nkans = 0.3\nzaad = 7\n";
        let now = Utc::now();
        let run = || {
            let f = faults(toml);
            (0..200)
                .map(|_| f.decide(Api::Pull, now, 1.0).outcome.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|x| **x).count();
        assert!((30..=90).contains(&hits), "{hits}");
    }
}
