//! Builders for the five submits, in the standard's vocabulary, and `new`/`with_*` helpers on
//! the part types of the contract.
//!
//! | builder | message | Dutch |
//! |---|---|---|
//! | [`RequestForAllocation`] | 315 (JW315/WMO315) | Verzoek om toewijzing |
//! | [`Declaration`] | 323 (JW323/WMO323) | Declaratie |
//! | [`CareStart`] | 305 (JW305/WMO305) | Start zorg |
//! | [`CareStop`] | 307 (JW307/WMO307) | Stop zorg |
//! | [`ChangeRequest`] | 317 (JW317/WMO317) | Verzoek om wijziging |
//!
//! Every builder starts from the law, the provider's AGB code (Afzender) and the
//! municipality's CBS code (Ontvanger), and ends in `build()`; a builder can also be passed
//! to the client's submit directly. The builders check nothing: the gateway applies the
//! schema and every rule of the standard and answers [`crate::Error::Violations`], naming
//! the proto field and the rule. Codes are the standard's code strings; [`crate::codes`]
//! names the common ones.

use crate::proto::{self, Law};

// === part types ===

impl proto::ClientIdentity {
    /// A cliënt: Bsn (9 digits, 11-proef), Geboortedatum (`2012-05-17`), Geslacht code
    /// (see [`crate::codes::sex`]) and Naam/Geslachtsnaam/Achternaam.
    pub fn new(
        bsn: impl Into<String>,
        birth_date: impl Into<String>,
        sex: impl Into<String>,
        surname: impl Into<String>,
    ) -> Self {
        proto::ClientIdentity {
            bsn: bsn.into(),
            birth_date: birth_date.into(),
            sex: sex.into(),
            surname: surname.into(),
            ..Default::default()
        }
    }

    /// Naam/Voorletters (letters only, e.g. `AB`).
    pub fn with_initials(mut self, initials: impl Into<String>) -> Self {
        self.initials = initials.into();
        self
    }

    /// Naam/Voornamen.
    pub fn with_given_names(mut self, given_names: impl Into<String>) -> Self {
        self.given_names = given_names.into();
        self
    }

    /// Naam/Geslachtsnaam/Voorvoegsel (e.g. `van der`).
    pub fn with_surname_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.surname_prefix = prefix.into();
        self
    }

    /// Geboortedatum/DatumGebruik: which part of the date is known (`1`, `2`, `3`).
    pub fn with_birth_date_use(mut self, code: impl Into<String>) -> Self {
        self.birth_date_use = code.into();
        self
    }
}

impl proto::Product {
    /// Product: Categorie (e.g. `45` iJw, `02` iWmo) and Code from the municipality's
    /// product list (e.g. `45A48`; empty when not specified).
    pub fn new(category: impl Into<String>, code: impl Into<String>) -> Self {
        proto::Product {
            category: category.into(),
            code: code.into(),
        }
    }
}

impl proto::Extent {
    /// Omvang: Volume, Eenheid (see [`crate::codes::unit`]) and Frequentie (see
    /// [`crate::codes::frequency`]).
    pub fn new(volume: u64, unit: impl Into<String>, frequency: impl Into<String>) -> Self {
        proto::Extent {
            volume,
            unit: unit.into(),
            frequency: frequency.into(),
        }
    }
}

impl proto::Referrer {
    /// Verwijzer: Type code (`01` gemeente … `08`) and ZorgverlenerCode (AGB code of the
    /// referring care provider, for the types that need one).
    pub fn new(referrer_type: impl Into<String>, agb_code: impl Into<String>) -> Self {
        proto::Referrer {
            r#type: referrer_type.into(),
            agb_code: agb_code.into(),
            name: String::new(),
        }
    }

    /// Verwijzer/Naam.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

impl proto::RequestedProduct {
    /// AangevraagdProduct: ReferentieAanbieder (your own reference, echoed in the 301/319),
    /// Product and ToewijzingIngangsdatum.
    pub fn new(
        provider_reference: impl Into<String>,
        product: proto::Product,
        start_date: impl Into<String>,
    ) -> Self {
        proto::RequestedProduct {
            provider_reference: provider_reference.into(),
            product: Some(product),
            start_date: start_date.into(),
            ..Default::default()
        }
    }

    /// ToewijzingEinddatum.
    pub fn with_end_date(mut self, date: impl Into<String>) -> Self {
        self.end_date = date.into();
        self
    }

    /// Omvang.
    pub fn with_extent(mut self, extent: proto::Extent) -> Self {
        self.extent = Some(extent);
        self
    }

    /// Budget in eurocent.
    pub fn with_budget_cents(mut self, cents: u64) -> Self {
        self.budget_cents = Some(cents);
        self
    }

    /// Verwijzer.
    pub fn with_referrer(mut self, referrer: proto::Referrer) -> Self {
        self.referrer = Some(referrer);
        self
    }

    /// BeschikkingNummer and BeschikkingIngangsdatum.
    pub fn with_decision(mut self, number: u64, start_date: impl Into<String>) -> Self {
        self.decision_number = number;
        self.decision_start_date = start_date.into();
        self
    }

    /// Raamcontract: true `1`, false `2`.
    pub fn with_framework_contract(mut self, framework: bool) -> Self {
        self.framework_contract = if framework { "1" } else { "2" }.into();
        self
    }

    /// Commentaar.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = comment.into();
        self
    }
}

impl proto::DeclarationLine {
    /// Prestatie: ProductReferentie/ReferentieNummer (unique per provider), the
    /// ToewijzingNummer claimed against, the Product and ProductPeriode (Begindatum,
    /// Einddatum). Add the volume with [`Self::with_volume`].
    pub fn new(
        reference_number: impl Into<String>,
        allocation_number: u64,
        product: proto::Product,
        period_start: impl Into<String>,
        period_end: impl Into<String>,
    ) -> Self {
        proto::DeclarationLine {
            reference_number: reference_number.into(),
            allocation_number,
            product_category: product.category,
            product_code: product.code,
            period_start: period_start.into(),
            period_end: period_end.into(),
            ..Default::default()
        }
    }

    /// GeleverdVolume and its Eenheid.
    pub fn with_volume(mut self, delivered_volume: u64, unit: impl Into<String>) -> Self {
        self.delivered_volume = delivered_volume;
        self.unit = unit.into();
        self
    }

    /// ProductTarief in eurocent.
    pub fn with_tariff_cents(mut self, cents: u64) -> Self {
        self.tariff_cents = Some(cents);
        self
    }

    /// IngediendBedrag in eurocent; without it ketenpoort computes it from the contract
    /// tariff ([`Self::with_contract_tariff`] or the gateway's tariff table), or as volume ×
    /// tariff for a unit other than minuut.
    pub fn with_amount_cents(mut self, cents: u64) -> Self {
        self.amount_cents = Some(cents);
        self
    }

    /// The contract tariff (contracttarief) in eurocent per `unit` (`"uur"`, `"minuut"`,
    /// `"dagdeel"`, `"etmaal"`, `"week"`, `"maand"`, `"stuks"` or an Eenheid code). ketenpoort
    /// fills ProductTarief and IngediendBedrag from it when they are left out and checks them
    /// when given (TR418, TR346): an hourly tariff of 8724 for 240 minutes gives
    /// ProductTarief 145 and IngediendBedrag 34896 (IV081).
    pub fn with_contract_tariff(mut self, cents: u64, unit: impl Into<String>) -> Self {
        self.contract_tariff_cents = Some(cents);
        self.contract_tariff_unit = unit.into();
        self
    }

    /// Makes this a credit line (DebetCredit `C`) that undoes the debit line with
    /// ReferentieNummer `previous_reference_number` (VorigReferentieNummer).
    pub fn credit_for(mut self, previous_reference_number: impl Into<String>) -> Self {
        self.credit = true;
        self.previous_reference_number = previous_reference_number.into();
        self
    }
}

impl proto::CareStartProduct {
    /// StartProduct: ToewijzingNummer, Product, ToewijzingIngangsdatum and Begindatum (the
    /// real start of care); StatusAanlevering `1` (first delivery).
    pub fn new(
        allocation_number: u64,
        product: proto::Product,
        allocation_start_date: impl Into<String>,
        start_date: impl Into<String>,
    ) -> Self {
        proto::CareStartProduct {
            allocation_number,
            product: Some(product),
            allocation_start_date: allocation_start_date.into(),
            start_date: start_date.into(),
            delivery_status: crate::codes::delivery_status::FIRST.into(),
        }
    }

    /// StatusAanlevering (see [`crate::codes::delivery_status`]), e.g. `3` to delete an
    /// earlier delivery.
    pub fn with_delivery_status(mut self, code: impl Into<String>) -> Self {
        self.delivery_status = code.into();
        self
    }
}

impl proto::CareStopProduct {
    /// StopProduct: ToewijzingNummer, Product, ToewijzingIngangsdatum, Begindatum, Einddatum
    /// (the real end of care) and RedenBeeindiging code; StatusAanlevering `1`.
    pub fn new(
        allocation_number: u64,
        product: proto::Product,
        allocation_start_date: impl Into<String>,
        start_date: impl Into<String>,
        end_date: impl Into<String>,
        end_reason: impl Into<String>,
    ) -> Self {
        proto::CareStopProduct {
            allocation_number,
            product: Some(product),
            allocation_start_date: allocation_start_date.into(),
            start_date: start_date.into(),
            end_date: end_date.into(),
            end_reason: end_reason.into(),
            delivery_status: crate::codes::delivery_status::FIRST.into(),
        }
    }

    /// StatusAanlevering (see [`crate::codes::delivery_status`]).
    pub fn with_delivery_status(mut self, code: impl Into<String>) -> Self {
        self.delivery_status = code.into();
        self
    }
}

impl proto::ChangedProduct {
    /// TeWijzigenProduct: the ToewijzingNummer to change and the GewensteIngangsdatum.
    pub fn new(allocation_number: u64, desired_start_date: impl Into<String>) -> Self {
        proto::ChangedProduct {
            allocation_number,
            desired_start_date: desired_start_date.into(),
            ..Default::default()
        }
    }

    /// Einddatum.
    pub fn with_end_date(mut self, date: impl Into<String>) -> Self {
        self.end_date = date.into();
        self
    }

    /// Omvang.
    pub fn with_extent(mut self, extent: proto::Extent) -> Self {
        self.extent = Some(extent);
        self
    }

    /// Budget in eurocent.
    pub fn with_budget_cents(mut self, cents: u64) -> Self {
        self.budget_cents = Some(cents);
        self
    }
}

impl proto::NewProduct {
    /// NieuwProduct: Product and GewensteIngangsdatum.
    pub fn new(product: proto::Product, desired_start_date: impl Into<String>) -> Self {
        proto::NewProduct {
            product: Some(product),
            desired_start_date: desired_start_date.into(),
            ..Default::default()
        }
    }

    /// Einddatum.
    pub fn with_end_date(mut self, date: impl Into<String>) -> Self {
        self.end_date = date.into();
        self
    }

    /// Omvang.
    pub fn with_extent(mut self, extent: proto::Extent) -> Self {
        self.extent = Some(extent);
        self
    }

    /// Budget in eurocent.
    pub fn with_budget_cents(mut self, cents: u64) -> Self {
        self.budget_cents = Some(cents);
        self
    }
}

fn common(law: Law, agb_code: String, municipality: String) -> Option<proto::SubmitCommon> {
    Some(proto::SubmitCommon {
        request_id: String::new(),
        validate_only: false,
        include_xml: false,
        law: law as i32,
        agb_code,
        municipality,
    })
}

/// The methods every submit builder shares, and its conversions into the proto request.
macro_rules! submit_builder {
    ($builder:ident, $proto:ty) => {
        impl $builder {
            /// The idempotency key (at most 200 bytes, unique per tenant). Without one, the
            /// client generates a UUID v4 when it submits, and uses it for every retry.
            pub fn request_id(mut self, id: impl Into<String>) -> Self {
                if let Some(c) = self.message.common.as_mut() {
                    c.request_id = id.into();
                }
                self
            }

            /// Only check the message and return the XML that would be sent; nothing is
            /// stored or sent.
            pub fn validate_only(mut self, validate_only: bool) -> Self {
                if let Some(c) = self.message.common.as_mut() {
                    c.validate_only = validate_only;
                }
                self
            }

            /// Return the XML in the response also when the message is stored (a
            /// validate_only call always returns it). Off by default: a claim's XML can be
            /// 25 MB; `get_message` returns it when wanted.
            pub fn include_xml(mut self, include_xml: bool) -> Self {
                if let Some(c) = self.message.common.as_mut() {
                    c.include_xml = include_xml;
                }
                self
            }

            /// The request as the contract defines it.
            pub fn build(self) -> $proto {
                self.message
            }
        }

        impl From<$builder> for $proto {
            fn from(b: $builder) -> $proto {
                b.message
            }
        }
    };
}

// === 315 ===

/// 315 Verzoek om toewijzing (request for allocation): ask the municipality to allocate
/// (toewijzen) products to a cliënt. The municipality answers with a 316 retour and later a
/// 301 Toewijzing or a 319 Antwoordbericht.
#[derive(Debug, Clone)]
pub struct RequestForAllocation {
    message: proto::SubmitRequestForAllocationRequest,
}

impl RequestForAllocation {
    /// A 315 from provider `agb_code` (Afzender, 8 digits) to `municipality` (Ontvanger, CBS
    /// code, 4 digits).
    pub fn builder(
        law: Law,
        agb_code: impl Into<String>,
        municipality: impl Into<String>,
    ) -> RequestForAllocation {
        RequestForAllocation {
            message: proto::SubmitRequestForAllocationRequest {
                common: common(law, agb_code.into(), municipality.into()),
                ..Default::default()
            },
        }
    }

    /// The Client.
    pub fn client(mut self, client: proto::ClientIdentity) -> Self {
        self.message.client = Some(client);
        self
    }

    /// GezagsdragerBekend (iJw only): whether a guardian (gezagsdrager) is known.
    pub fn guardian_known(mut self, known: bool) -> Self {
        self.message.guardian_known = if known { "1" } else { "2" }.into();
        self
    }

    /// Commentaar.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.message.comment = comment.into();
        self
    }

    /// Adds an AangevraagdProduct.
    pub fn product(mut self, product: proto::RequestedProduct) -> Self {
        self.message.products.push(product);
        self
    }
}

submit_builder!(
    RequestForAllocation,
    proto::SubmitRequestForAllocationRequest
);

// === 323 ===

/// 323 Declaratie (claim): the care delivered to cliënten in one month, one Prestatie per
/// line. The municipality answers with a 325 Declaratie-antwoord.
#[derive(Debug, Clone)]
pub struct Declaration {
    message: proto::SubmitDeclarationRequest,
}

impl Declaration {
    /// A 323 for `month` (`2025-03`; the DeclaratiePeriode is that whole month).
    pub fn builder(
        law: Law,
        agb_code: impl Into<String>,
        municipality: impl Into<String>,
        month: impl Into<String>,
    ) -> Declaration {
        Declaration {
            message: proto::SubmitDeclarationRequest {
                common: common(law, agb_code.into(), municipality.into()),
                month: month.into(),
                ..Default::default()
            },
        }
    }

    /// DeclaratieNummer (letters and digits, at most 12); without it ketenpoort assigns one.
    pub fn declaration_number(mut self, number: impl Into<String>) -> Self {
        self.message.declaration_number = number.into();
        self
    }

    /// Adds a Prestatie for the cliënt with `bsn`; lines of one cliënt are grouped under one
    /// Client element in the order they were added.
    pub fn line(mut self, bsn: impl Into<String>, line: proto::DeclarationLine) -> Self {
        let bsn = bsn.into();
        match self.message.clients.iter_mut().find(|c| c.bsn == bsn) {
            Some(client) => client.lines.push(line),
            None => self.message.clients.push(proto::DeclarationClient {
                bsn,
                lines: vec![line],
            }),
        }
        self
    }

    /// Split a claim over VECOZO's 25 MB limit into several 323s, each with its own
    /// DeclaratieNummer, instead of having it refused.
    pub fn split_when_too_large(mut self, split: bool) -> Self {
        self.message.split_when_too_large = split;
        self
    }
}

submit_builder!(Declaration, proto::SubmitDeclarationRequest);

// === 305 ===

/// 305 Start zorg (care start): tells the municipality that the care of an allocation has
/// started. Answered with a 306 retour.
#[derive(Debug, Clone)]
pub struct CareStart {
    message: proto::SubmitCareStartRequest,
}

impl CareStart {
    /// A 305 from `agb_code` to `municipality`.
    pub fn builder(
        law: Law,
        agb_code: impl Into<String>,
        municipality: impl Into<String>,
    ) -> CareStart {
        CareStart {
            message: proto::SubmitCareStartRequest {
                common: common(law, agb_code.into(), municipality.into()),
                ..Default::default()
            },
        }
    }

    /// The Client.
    pub fn client(mut self, client: proto::ClientIdentity) -> Self {
        self.message.client = Some(client);
        self
    }

    /// Adds a StartProduct.
    pub fn product(mut self, product: proto::CareStartProduct) -> Self {
        self.message.products.push(product);
        self
    }
}

submit_builder!(CareStart, proto::SubmitCareStartRequest);

// === 307 ===

/// 307 Stop zorg (care stop): tells the municipality that the care of an allocation has
/// ended, and why (RedenBeeindiging). Answered with a 308 retour.
#[derive(Debug, Clone)]
pub struct CareStop {
    message: proto::SubmitCareStopRequest,
}

impl CareStop {
    /// A 307 from `agb_code` to `municipality`.
    pub fn builder(
        law: Law,
        agb_code: impl Into<String>,
        municipality: impl Into<String>,
    ) -> CareStop {
        CareStop {
            message: proto::SubmitCareStopRequest {
                common: common(law, agb_code.into(), municipality.into()),
                ..Default::default()
            },
        }
    }

    /// The Client.
    pub fn client(mut self, client: proto::ClientIdentity) -> Self {
        self.message.client = Some(client);
        self
    }

    /// Adds a StopProduct.
    pub fn product(mut self, product: proto::CareStopProduct) -> Self {
        self.message.products.push(product);
        self
    }
}

submit_builder!(CareStop, proto::SubmitCareStopRequest);

// === 317 ===

/// 317 Verzoek om wijziging (request for change): ask the municipality to change current
/// allocations (TeWijzigenProducten), keep others (OngewijzigdeProducten) and add new ones
/// (NieuweProducten). Answered with a 318 retour and later a 301 or 319.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    message: proto::SubmitChangeRequestRequest,
}

impl ChangeRequest {
    /// A 317 for the cliënt with `bsn`, with the request's ReferentieAanbieder and
    /// RedenVerzoek (see [`crate::codes::change_reason`]).
    pub fn builder(
        law: Law,
        agb_code: impl Into<String>,
        municipality: impl Into<String>,
        bsn: impl Into<String>,
        provider_reference: impl Into<String>,
        reason: impl Into<String>,
    ) -> ChangeRequest {
        ChangeRequest {
            message: proto::SubmitChangeRequestRequest {
                common: common(law, agb_code.into(), municipality.into()),
                bsn: bsn.into(),
                provider_reference: provider_reference.into(),
                reason: reason.into(),
                ..Default::default()
            },
        }
    }

    /// Adds an OngewijzigdProduct: an allocation (ToewijzingNummer) to keep as it is.
    pub fn keep(mut self, allocation_number: u64) -> Self {
        self.message.unchanged_allocations.push(allocation_number);
        self
    }

    /// Adds a TeWijzigenProduct.
    pub fn change(mut self, product: proto::ChangedProduct) -> Self {
        self.message.changed.push(product);
        self
    }

    /// Adds a NieuwProduct.
    pub fn new_product(mut self, product: proto::NewProduct) -> Self {
        self.message.new_products.push(product);
        self
    }
}

submit_builder!(ChangeRequest, proto::SubmitChangeRequestRequest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_carries_its_contract_tariff() {
        let line = proto::DeclarationLine::new(
            "R1",
            1001,
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            "2025-03-31",
        )
        .with_volume(240, crate::codes::unit::MINUTE)
        .with_contract_tariff(8724, "uur");
        assert_eq!(line.contract_tariff_cents, Some(8724));
        assert_eq!(line.contract_tariff_unit, "uur");
        assert_eq!((line.tariff_cents, line.amount_cents), (None, None));
    }

    #[test]
    fn declaration_lines_are_grouped_per_client() {
        let p = || proto::Product::new("45", "45A48");
        let d = Declaration::builder(Law::Ijw, "12345678", "0268", "2025-03")
            .line(
                "111222333",
                proto::DeclarationLine::new("R1", 1, p(), "2025-03-01", "2025-03-31"),
            )
            .line(
                "123456782",
                proto::DeclarationLine::new("R2", 2, p(), "2025-03-01", "2025-03-31"),
            )
            .line(
                "111222333",
                proto::DeclarationLine::new("R3", 1, p(), "2025-03-01", "2025-03-31")
                    .credit_for("R0"),
            )
            .request_id("x")
            .build();
        assert_eq!(d.clients.len(), 2);
        assert_eq!(d.clients[0].lines.len(), 2);
        assert!(d.clients[0].lines[1].credit);
        assert_eq!(d.common.map(|c| c.request_id), Some("x".to_owned()));
    }
}
