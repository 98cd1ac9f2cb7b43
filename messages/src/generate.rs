//! Random schema-valid instances (feature `generate`): for property tests, the XSD oracle
//! corpus and benchmarks.
//!
//! A [`Gen`] is deterministic for a seed. Its [`Shape`] steers optional parts and lengths:
//! `Full` fills every optional element, writes maximal lengths and several list items;
//! `Minimal` leaves every optional part out and writes minimal lengths. Enumerations are
//! picked round-robin per list, so a corpus of enough instances uses every code.
//!
//! Generated messages are schema-valid but seldom pass the in-message rules (a random BSN
//! fails the 11-proef); [`repair`] makes one that does. Their text uses every kind of
//! character the schema allows (markup characters, emoji, CJK) and their dates span two
//! centuries: what property tests want. [`Gen::realistic`] writes plain words and dates
//! between 1990 and 2020 instead, and [`sample`] is a message to show or try: realistic
//! and repaired, so `ketenpoort validate` accepts it.

mod repair;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};

use crate::facets::{Pattern, StringFacets};
use crate::law::{Law, MessageKind, MessageType};
use crate::model::header::Header;
use crate::types::{AgbCode, GemeenteCode};
use crate::xml::Ctx;
use crate::xml::node::Node;

pub use repair::repair;

/// A message of `kind` to show or try: generated [`Gen::realistic`] with `shape` and
/// `seed`, then [`repair`]ed, so that it passes the schema and the in-message rules that
/// `repair` knows (the tests check every kind with `ketenpoort validate`).
pub fn sample(kind: MessageKind, shape: Shape, seed: u64) -> crate::Message {
    let mut message = crate::Message::generate(kind, &mut Gen::realistic(seed, shape));
    repair(&mut message);
    message
}

/// How instances are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Optional parts and lengths at random.
    Random,
    /// Every optional part present, maximal lengths, `max_list` items per list.
    Full,
    /// Every optional part absent, minimal lengths, one item per list.
    Minimal,
}

/// A deterministic generator of valid values.
#[derive(Debug, Clone)]
pub struct Gen {
    state: u64,
    /// The shape of what is generated.
    pub shape: Shape,
    /// Items per list in `Full` shape (and the upper bound in `Random`).
    pub max_list: usize,
    pub(crate) ctx: Ctx,
    picks: BTreeMap<&'static str, (usize, usize)>,
    /// Plain words of modest length and dates between 1990 and 2020 (see
    /// [`Gen::realistic`]) instead of every character and two centuries.
    pub realistic: bool,
}

/// Words for [`Gen::realistic`] text: names and places as a Dutch message holds them.
const WORDS: &[&str] = &[
    "Jansen",
    "de",
    "Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Utrecht",
    "Zwolle",
    "Anna",
    "Sanne",
    "Daan",
    "Lucas",
    "zorg",
    "begeleiding",
    "thuis",
    "Kerkstraat",
    "Dorpsweg",
    "van",
    "der",
];

const LINE_CHARS: &[char] = &[
    'a', 'b', 'c', 'x', 'y', 'z', 'A', 'B', 'Q', 'Z', '0', '5', '9', ' ', '\t', '.', ',', '-',
    '\'', '&', '<', '>', '"', 'é', 'ë', 'ï', 'À', 'ĳ', '€', '漢', '😀', '/', '(', ')', ']', '%',
];
const LETTERS: &[char] = &['a', 'k', 'z', 'A', 'J', 'Z', 'À', 'é', 'ö', 'Ā', 'ỳ'];

impl Gen {
    /// A generator for `seed` and `shape`.
    pub fn new(seed: u64, shape: Shape) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            shape,
            max_list: 3,
            ctx: Ctx {
                kind: MessageKind::new(Law::Ijw, MessageType::M301),
                retour: false,
            },
            picks: BTreeMap::new(),
            realistic: false,
        }
    }

    /// A generator for `seed` and `shape` that writes text as plain words (letters and
    /// spaces, at most 24 characters where the schema allows) and dates between 1990 and
    /// 2020: a message a person could have sent. Lists and optional parts follow `shape`.
    pub fn realistic(seed: u64, shape: Shape) -> Self {
        Self {
            realistic: true,
            ..Self::new(seed, shape)
        }
    }

    /// Per codelist: how often it was picked from, and how many codes it has for the law.
    /// Picks go round-robin, so a list was fully covered when the first is at least the second.
    pub fn picks(&self) -> &BTreeMap<&'static str, (usize, usize)> {
        &self.picks
    }

    /// The next pseudo-random number (splitmix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub(crate) fn maybe(&mut self) -> bool {
        match self.shape {
            Shape::Full => true,
            Shape::Minimal => false,
            Shape::Random => self.next_u64() & 1 == 1,
        }
    }

    pub(crate) fn list_len(&mut self, optional: bool) -> usize {
        match self.shape {
            Shape::Full => self.max_list.max(1),
            Shape::Minimal => usize::from(!optional),
            Shape::Random => {
                let min = u64::from(!optional);
                (min + self.below(self.max_list as u64 + 1 - min)) as usize
            }
        }
    }

    pub(crate) fn pick<T: Copy>(&mut self, list: &'static str, values: &[T]) -> T {
        let entry = self.picks.entry(list).or_insert((0, values.len()));
        let v = values[entry.0 % values.len()];
        entry.0 += 1;
        v
    }

    fn length(&mut self, min: usize, max: Option<usize>) -> usize {
        if self.realistic {
            let hi = max.unwrap_or(24).clamp(min, min.max(24));
            let lo = min.max(hi.min(4));
            return lo + self.below((hi - lo + 1) as u64) as usize;
        }
        match self.shape {
            Shape::Full => max.unwrap_or(300),
            Shape::Minimal => min,
            Shape::Random => {
                let hi = max.unwrap_or(60);
                min + self.below((hi - min + 1) as u64) as usize
            }
        }
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn pooled(&mut self, pool: &[char], n: usize) -> String {
        (0..n)
            .map(|_| pool[self.below(pool.len() as u64) as usize])
            .collect()
    }

    pub(crate) fn string(&mut self, f: &StringFacets) -> String {
        match f.pattern {
            Pattern::Digits(n) => self.digits(n),
            Pattern::DigitsAny => {
                let n = self.length(f.min, f.max);
                self.digits(n)
            }
            Pattern::Letters if self.realistic => {
                let n = self.length(f.min, f.max);
                self.pooled(&['A', 'B', 'J', 'K', 'M', 'P', 'S', 'V'], n)
            }
            Pattern::Letters => {
                let n = self.length(f.min, f.max);
                self.pooled(LETTERS, n)
            }
            Pattern::Alnum => {
                let n = self.length(f.min, f.max);
                self.pooled(&['a', 'Z', '0', '7', 'q', 'B', '3'], n)
            }
            Pattern::Version => {
                let mut part = || match self.below(3) {
                    0 => "0".to_owned(),
                    _ => (1 + self.below(120)).to_string(),
                };
                format!("{}.{}.{}", part(), part(), part())
            }
            Pattern::NonBlankLine | Pattern::NonBlank | Pattern::None if self.realistic => {
                let n = self.length(f.min, f.max).max(1);
                let mut s = String::new();
                while s.len() < n {
                    if !s.is_empty() {
                        s.push(' ');
                    }
                    s.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
                }
                // Cut to the length, never ending in a space (the patterns forbid a blank
                // end only for some fields, but a name does not end in one anyway).
                s.truncate(n);
                while s.ends_with(' ') {
                    s.pop();
                }
                while s.chars().count() < n.max(f.min) {
                    s.push('a');
                }
                s
            }
            Pattern::NonBlankLine | Pattern::NonBlank | Pattern::None => {
                let n = self.length(f.min, f.max).max(1);
                let mut s = String::with_capacity(n);
                // First character never blank, so the non-blank patterns always hold.
                s.push(LINE_CHARS[self.below(12) as usize]);
                for _ in 1..n {
                    let c = if f.pattern != Pattern::NonBlankLine && self.below(10) == 0 {
                        ['\n', ' ', '\t'][self.below(3) as usize]
                    } else {
                        LINE_CHARS[self.below(LINE_CHARS.len() as u64) as usize]
                    };
                    s.push(c);
                }
                s
            }
        }
    }

    pub(crate) fn int(&mut self, max: u64) -> u64 {
        match self.shape {
            Shape::Full => max,
            Shape::Minimal => 0,
            Shape::Random => self.below(max + 1),
        }
    }

    pub(crate) fn date(&mut self) -> NaiveDate {
        let (from, span) = if self.realistic {
            (1990, 365 * 30)
        } else {
            (1900, 365 * 200)
        };
        let days = self.below(span) as i64;
        NaiveDate::from_ymd_opt(from, 1, 1)
            .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
            .unwrap_or_default()
    }

    pub(crate) fn time(&mut self) -> NaiveTime {
        let secs = self.below(86_400) as u32;
        let nanos = if self.below(4) == 0 {
            self.below(1000) as u32 * 1_000_000
        } else {
            0
        };
        NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).unwrap_or_default()
    }

    pub(crate) fn header(&mut self) -> Header {
        let agb = AgbCode::generate(self).0;
        let gemeente = GemeenteCode::generate(self).0;
        let (afzender, ontvanger) = if self.ctx.kind.message_type.municipality_header() {
            (gemeente, agb)
        } else {
            (agb, gemeente)
        };
        Header {
            afzender,
            ontvanger,
            bericht_identificatie: Node::generate(self),
            xsd_versie: Node::generate(self),
        }
    }
}
