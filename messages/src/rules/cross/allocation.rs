//! Cross-message rules of the 301 Toewijzing as the provider receives it: the number keeps
//! its client and product (TR332, in part), a filled ReferentieAanbieder answers a request
//! (TR379, in part), and an allocation with approved claims is not removed (TR385).

use super::history::{History, Scope};
use crate::codes::{DebetCredit, RedenWijziging};
use crate::model::allocation::AllocationClient;
use crate::rules::violation;
use crate::xml::Report;

/// The 301 Toewijzing.
pub(super) fn allocation(
    h: &(impl History + ?Sized),
    scope: &Scope,
    c: &AllocationClient,
    rep: &mut Report,
) {
    rep.path.push("Client", None);
    let bsn = c.bsn.as_str();
    for (i, p) in c.toegewezen_producten.iter().enumerate() {
        let at = [
            ("ToegewezenProducten", None),
            ("ToegewezenProduct", Some(i + 1)),
        ];
        let nummer = p.toewijzing_nummer.0;
        // TR332: a ToewijzingNummer names one allocated product of one client (a change keeps
        // the number, client and product: IV066, IV093).
        if let Some(known) = h.allocation(scope, nummer) {
            let other_client = known.bsn != bsn;
            let other_product =
                known.product.is_some() && p.product.is_some() && known.product != p.product;
            if other_client || other_product {
                violation(
                    rep,
                    &[at[0], at[1], ("ToewijzingNummer", None)],
                    "TR332",
                    if other_client {
                        "this ToewijzingNummer was used before for another client"
                    } else {
                        "this ToewijzingNummer was used before for another product"
                    },
                );
            }
        }
        // TR379: a filled ReferentieAanbieder is that of a request for this client.
        if let Some(reference) = &p.referentie_aanbieder {
            let answers_request = h
                .request(scope, reference.as_str())
                .is_some_and(|r| !r.rejected && r.bsn == bsn && r.gemeente == scope.gemeente);
            if !answers_request {
                violation(
                    rep,
                    &[at[0], at[1], ("ReferentieAanbieder", None)],
                    "TR379",
                    "ReferentieAanbieder does not refer to a request (315/317) for this client",
                );
            }
        }
        // TR385: not removed while approved, not credited lines exist.
        if p.reden_wijziging == Some(RedenWijziging::R13) {
            let lines = h.allocation_lines(scope, nummer);
            let approved = lines.iter().any(|l| {
                l.sign() == DebetCredit::Debet
                    && l.status == super::LineStatus::Approved
                    && h.credit_of(
                        scope,
                        l.prestatie.product_referentie.referentie_nummer.as_str(),
                    )
                    .is_none()
            });
            if approved {
                violation(
                    rep,
                    &[at[0], at[1], ("RedenWijziging", None)],
                    "TR385",
                    "the allocation has approved claimed lines that were not credited: it cannot be removed",
                );
            }
        }
    }
    rep.path.pop();
}
