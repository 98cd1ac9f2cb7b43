//! The header ketenpoort fills in for every message it sends: Afzender and Ontvanger from
//! the request, Identificatie from a durable counter, Dagtekening from the [`Clock`], and
//! XsdVersie from the configuration. BerichtCode, BerichtVersie and BerichtSubversie follow
//! from the message kind and are written by `ketenpoort-messages` itself.
//!
//! Identificatie is unique per message type per AGB code (TR056, BRS20): it comes from the
//! counter `ident/<AGB>/<type>` in the store, formatted as the configured prefix followed by
//! zero-padded digits, at most 12 characters (`KP0000000042`). The counter is durable
//! together with the message that uses it, so it is unique across restarts.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, Utc};
use ketenpoort_messages::MessageKind;
use ketenpoort_messages::model::basis::{BerichtIdentificatie, XsdVersie};
use ketenpoort_messages::model::header::Header;

use crate::config::MessagesConfig;
use crate::error::Error;
use crate::store::Store;

/// The time source, injectable so that tests control Dagtekening.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date for Dagtekening. ketenpoort uses the UTC date; between midnight and
    /// 01:00/02:00 Dutch time that is the previous day, which every rule accepts.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos()).unwrap_or_default()
    }
}

/// The system clock moved ahead by a number of days: dev mode's
/// `[server] dev_clock_offset_days`, to run examples on a later date.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    /// Days ahead of the system clock.
    pub days: u32,
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + chrono::TimeDelta::days(i64::from(self.days))
    }
}

/// A clock stuck at one moment (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Width of an Identificatie or assigned DeclaratieNummer: the LDT maximum of 12.
const WIDTH: usize = 12;

/// Formats counter value `n` with `prefix` to exactly 12 characters.
pub fn format_number(prefix: &str, n: u64) -> String {
    let digits = WIDTH.saturating_sub(prefix.len());
    format!("{prefix}{n:0digits$}")
}

/// The store counter of Identificatie for `agb` and `kind`.
pub fn identificatie_counter(agb: &str, kind: MessageKind) -> String {
    format!("ident/{agb}/{}", kind.message_type.number())
}

/// The store counter of DeclaratieNummers assigned for `agb`.
pub fn declaration_counter(agb: &str) -> String {
    format!("decl/{agb}")
}

/// Builds headers.
pub struct HeaderFactory {
    config: MessagesConfig,
}

impl HeaderFactory {
    /// A factory with the configured versions and prefix.
    pub fn new(config: MessagesConfig) -> Self {
        Self { config }
    }

    /// The prefix of Identificaties and assigned DeclaratieNummers.
    pub fn prefix(&self) -> &str {
        &self.config.identificatie_prefix
    }

    /// A header with a placeholder Identificatie of full width (replaced by
    /// [`HeaderFactory::identificatie`] once the message is known to be valid).
    pub fn header(&self, agb: &str, municipality: &str, today: NaiveDate) -> Header {
        Header {
            afzender: agb.to_owned(),
            ontvanger: municipality.to_owned(),
            bericht_identificatie: BerichtIdentificatie {
                identificatie: format_number(&self.config.identificatie_prefix, 0).into(),
                dagtekening: today,
            },
            xsd_versie: XsdVersie {
                basisschema_xsd_versie: self.config.basisschema_xsd_versie.clone().into(),
                bericht_xsd_versie: self.config.bericht_xsd_versie.clone().into(),
            },
        }
    }

    /// The next Identificatie for `agb` and `kind`: reserved in `store` (returned with the
    /// counter to persist) or, when `reserve` is false (validate_only), only peeked.
    pub fn identificatie(
        &self,
        store: &dyn Store,
        agb: &str,
        kind: MessageKind,
        reserve: bool,
    ) -> Result<(String, (String, u64)), Error> {
        self.number(store, identificatie_counter(agb, kind), reserve)
    }

    /// The next DeclaratieNummer ketenpoort assigns for `agb`.
    pub fn declaration_number(
        &self,
        store: &dyn Store,
        agb: &str,
        reserve: bool,
    ) -> Result<(String, (String, u64)), Error> {
        self.number(store, declaration_counter(agb), reserve)
    }

    fn number(
        &self,
        store: &dyn Store,
        counter: String,
        reserve: bool,
    ) -> Result<(String, (String, u64)), Error> {
        let n = if reserve {
            store.reserve(&counter)?
        } else {
            store.peek(&counter)?
        };
        let max = 10u64.pow((WIDTH - self.config.identificatie_prefix.len()) as u32) - 1;
        if n > max {
            return Err(Error::Internal(format!("counter {counter} is exhausted")));
        }
        Ok((
            format_number(&self.config.identificatie_prefix, n),
            (counter, n),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_twelve_characters() {
        assert_eq!(format_number("KP", 42), "KP0000000042");
        assert_eq!(format_number("", 7), "000000000007");
    }
}
