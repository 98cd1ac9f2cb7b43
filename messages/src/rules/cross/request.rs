//! Cross-message rules of the requests (VOT 315, VOW 317) and the answer 319: unique
//! references (TR347), one open request per client (TR374), the VOW against the current
//! allocations (TR349, TR350, TR351, TR304, TR357, TR373, TR375, TR411, TR412, TR361), and the
//! answer against the request it answers (TR355, TR359, TR360, TR365).

use foldhash::{HashSet, HashSetExt};

use chrono::NaiveDate;

use super::history::{AllocationRecord, History, Scope};
use crate::codes::{Frequentie, ProductCategorie, VerzoekAntwoord};
use crate::law::Law;
use crate::model::answer::Antwoord;
use crate::model::basis::Product;
use crate::model::change::ChangeRequestClient;
use crate::model::request::RequestClient;
use crate::rules::{overlaps, violation};
use crate::xml::Report;

type Seg = (&'static str, Option<usize>);

/// TR347: ReferentieAanbieder not used before by this provider under this law.
fn unique_reference(
    h: &(impl History + ?Sized),
    scope: &Scope,
    reference: &str,
    seen: &mut HashSet<String>,
    at: &[Seg],
    rep: &mut Report,
) {
    let earlier = h.request(scope, reference).is_some_and(|r| !r.rejected);
    if !seen.insert(reference.to_owned()) || earlier {
        violation(
            rep,
            at,
            "TR347",
            if earlier {
                "this ReferentieAanbieder was already used in an earlier request"
            } else {
                "this ReferentieAanbieder occurs more than once in this request"
            },
        );
    }
}

/// TR374: no request in progress for this client with this municipality.
fn one_open_request(h: &(impl History + ?Sized), scope: &Scope, bsn: &str, rep: &mut Report) {
    let open = h.client_requests(scope, bsn).iter().any(|r| r.is_open());
    if open {
        violation(
            rep,
            &[("Bsn", None)],
            "TR374",
            "a request (315/317) for this client is still in progress: answered neither by a 301 nor by a 319 refusal",
        );
    }
}

/// The 315 Verzoek om toewijzing.
pub(super) fn request(
    h: &(impl History + ?Sized),
    scope: &Scope,
    c: &RequestClient,
    rep: &mut Report,
) {
    rep.path.push("Client", None);
    one_open_request(h, scope, &c.bsn.0, rep);
    let mut seen = HashSet::new();
    for (i, p) in c.aangevraagde_producten.iter().enumerate() {
        let at = [
            ("AangevraagdeProducten", None),
            ("AangevraagdProduct", Some(i + 1)),
            ("ReferentieAanbieder", None),
        ];
        unique_reference(
            h,
            scope,
            p.referentie_aanbieder.as_str(),
            &mut seen,
            &at,
            rep,
        );
    }
    rep.path.pop();
}

/// The allocation a VOW item names, if it is this client's; reports TR304 when it belongs to
/// another client and `missing` when there is none or it is not current.
#[allow(clippy::too_many_arguments)]
fn current_allocation<'h>(
    h: &'h (impl History + ?Sized),
    scope: &Scope,
    bsn: &str,
    nummer: u64,
    today: NaiveDate,
    missing: &'static str,
    at: &[Seg],
    rep: &mut Report,
) -> Option<std::borrow::Cow<'h, AllocationRecord>> {
    let mut path = at.to_vec();
    path.push(("ToewijzingNummer", None));
    match h.allocation(scope, nummer) {
        Some(a) if a.bsn != bsn => {
            violation(
                rep,
                &path,
                "TR304",
                "the allocation with this ToewijzingNummer belongs to another client",
            );
            None
        }
        Some(a) if a.is_current(today) => Some(a),
        _ => {
            violation(
                rep,
                &path,
                missing,
                "ToewijzingNummer does not refer to a current allocation of this client",
            );
            None
        }
    }
}

/// Einddatum later than 31-12-2020 or absent (TR375, TR412).
fn open_after_2020(a: &AllocationRecord) -> bool {
    let limit = NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or(NaiveDate::MIN);
    a.einddatum.is_none_or(|e| e > limit)
}

/// A product of a VOW with its care period, for TR361.
struct Item {
    /// A NieuwProduct (aangevraagd), not a kept or changed allocation.
    new: bool,
    at: Vec<Seg>,
    product: Option<Product>,
    begin: NaiveDate,
    end: Option<NaiveDate>,
}

/// TR361: the same product twice only without overlapping periods; compared on code, on
/// category when a code is missing, and against everything when the category is missing.
/// iWmo: categories 11–14 may overlap (also with a product without category).
fn conflict(law: Law, a: &Option<Product>, b: &Option<Product>) -> bool {
    let free = |p: &Option<Product>| {
        law == Law::Iwmo
            && p.as_ref().is_some_and(|p| {
                matches!(
                    p.categorie,
                    ProductCategorie::C11
                        | ProductCategorie::C12
                        | ProductCategorie::C13
                        | ProductCategorie::C14
                )
            })
    };
    match (a, b) {
        (Some(x), Some(y)) => {
            if free(a) && free(b) {
                return false;
            }
            match (&x.code, &y.code) {
                (Some(cx), Some(cy)) => x.categorie == y.categorie && cx == cy,
                _ => x.categorie == y.categorie,
            }
        }
        (None, other) | (other, None) => !free(other),
    }
}

/// The 317 Verzoek om wijziging.
pub(super) fn change(
    h: &(impl History + ?Sized),
    scope: &Scope,
    c: &ChangeRequestClient,
    dagtekening: NaiveDate,
    rep: &mut Report,
) {
    rep.path.push("Client", None);
    let bsn = c.bsn.0.as_str();
    one_open_request(h, scope, bsn, rep);
    rep.path.push("Verzoek", None);
    let v = &c.verzoek;
    let mut seen = HashSet::new();
    unique_reference(
        h,
        scope,
        v.referentie_aanbieder.as_str(),
        &mut seen,
        &[("ReferentieAanbieder", None)],
        rep,
    );
    let mut named: HashSet<u64> = HashSet::new();
    let mut items: Vec<Item> = Vec::new();
    for (i, p) in v.ongewijzigde_producten.iter().enumerate() {
        let at = vec![
            ("OngewijzigdeProducten", None),
            ("OngewijzigdProduct", Some(i + 1)),
        ];
        named.insert(p.toewijzing_nummer.0);
        let a = current_allocation(
            h,
            scope,
            bsn,
            p.toewijzing_nummer.0,
            dagtekening,
            "TR350",
            &at,
            rep,
        );
        if let Some(a) = a {
            items.push(Item {
                new: false,
                at,
                product: a.product.clone(),
                begin: a.ingangsdatum,
                end: a.einddatum,
            });
        }
    }
    for (i, p) in v.te_wijzigen_producten.iter().enumerate() {
        let at = vec![
            ("TeWijzigenProducten", None),
            ("TeWijzigenProduct", Some(i + 1)),
        ];
        named.insert(p.toewijzing_nummer.0);
        let Some(a) = current_allocation(
            h,
            scope,
            bsn,
            p.toewijzing_nummer.0,
            dagtekening,
            "TR351",
            &at,
            rep,
        ) else {
            continue;
        };
        let mut gewenst = at.clone();
        gewenst.push(("GewensteIngangsdatum", None));
        // TR357: a change that does not lie in the future covers the whole allocation.
        let past = p.gewenste_ingangsdatum <= dagtekening;
        if past && p.gewenste_ingangsdatum != a.ingangsdatum {
            violation(
                rep,
                &gewenst,
                "TR357",
                format!(
                    "GewensteIngangsdatum is not after the message date, so it must be the allocation's Ingangsdatum {}",
                    a.ingangsdatum
                ),
            );
        } else {
            // TR373: a new budget or total always covers the whole allocation.
            let budget_changed = p.budget.is_some_and(|b| Some(b.0) != a.budget);
            let total_changed = p.omvang.as_ref().is_some_and(|o| {
                let totaal = o.frequentie == Frequentie::Totaal
                    || a.omvang
                        .as_ref()
                        .is_some_and(|x| x.frequentie == Frequentie::Totaal);
                totaal && a.omvang.as_ref() != Some(o)
            });
            if (budget_changed || total_changed) && p.gewenste_ingangsdatum != a.ingangsdatum {
                violation(
                    rep,
                    &gewenst,
                    "TR373",
                    format!(
                        "a change of Budget or of a total volume covers the whole allocation: GewensteIngangsdatum must be {}",
                        a.ingangsdatum
                    ),
                );
            }
        }
        // TR375, TR411, TR412: Omvang follows the allocated product.
        let mut omvang = at.clone();
        omvang.push(("Omvang", None));
        match &a.product {
            None if open_after_2020(&a) && p.omvang.is_some() => violation(
                rep,
                &omvang,
                "TR375",
                "Omvang must be left out: the allocation has no Product",
            ),
            Some(prod) if prod.code.is_some() && p.omvang.is_none() => violation(
                rep,
                &omvang,
                "TR411",
                "Omvang is required: the allocation has a ProductCode",
            ),
            Some(prod) if prod.code.is_none() && open_after_2020(&a) && p.omvang.is_some() => {
                violation(
                    rep,
                    &omvang,
                    "TR412",
                    "Omvang must be left out: the allocation has no ProductCode",
                )
            }
            _ => {}
        }
        items.push(Item {
            new: false,
            at,
            product: a.product.clone(),
            begin: a.ingangsdatum,
            end: p.einddatum.or(a.einddatum),
        });
    }
    for (i, p) in v.nieuwe_producten.iter().enumerate() {
        items.push(Item {
            new: true,
            at: vec![("NieuweProducten", None), ("NieuwProduct", Some(i + 1))],
            product: p.product.clone(),
            begin: p.gewenste_ingangsdatum,
            end: p.einddatum,
        });
    }
    // TR349: every current allocation of the client is kept or changed.
    let mut missing: Vec<u64> = h
        .client_allocations(scope, bsn)
        .iter()
        .filter(|a| a.is_current(dagtekening) && !named.contains(&a.toewijzing_nummer))
        .map(|a| a.toewijzing_nummer)
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(u64::to_string).collect();
        violation(
            rep,
            &[],
            "TR349",
            format!(
                "current allocations missing from OngewijzigdProduct/TeWijzigenProduct: ToewijzingNummer {}",
                list.join(", ")
            ),
        );
    }
    // TR361: a kept or changed allocation (by its ToewijzingNummer) against the requested
    // new products; new against new is the in-message TR410, allocation against allocation
    // is the municipality's own doing. Reported on the new product.
    for new in items.iter().filter(|i| i.new) {
        let clash = items.iter().filter(|i| !i.new).any(|existing| {
            conflict(scope.law, &existing.product, &new.product)
                && overlaps((existing.begin, existing.end), (new.begin, new.end))
        });
        if clash {
            violation(
                rep,
                &new.at,
                "TR361",
                "this product overlaps in time with a kept or changed allocation of the same product",
            );
        }
    }
    rep.path.pop();
    rep.path.pop();
}

/// The 319 Antwoordbericht, as the provider receives it.
pub(super) fn answer(h: &(impl History + ?Sized), scope: &Scope, a: &Antwoord, rep: &mut Report) {
    rep.path.push("Antwoord", None);
    let reference = a.referentie_aanbieder.as_str();
    let at = [("ReferentieAanbieder", None)];
    let request = h
        .request(scope, reference)
        .filter(|r| !r.rejected && r.gemeente == scope.gemeente);
    let Some(request) = request else {
        violation(
            rep,
            &at,
            "TR355",
            "ReferentieAanbieder does not occur in an earlier request (315/317) to this municipality",
        );
        rep.path.pop();
        return;
    };
    if request.allocated {
        violation(
            rep,
            &at,
            "TR359",
            "an allocation (301) with this ReferentieAanbieder was already sent",
        );
    }
    if a.verzoek_antwoord == VerzoekAntwoord::InOnderzoek && !request.answers.is_empty() {
        violation(
            rep,
            &[("VerzoekAntwoord", None)],
            "TR360",
            "VerzoekAntwoord 2 (in onderzoek) is allowed only as the first answer to a request",
        );
    }
    if request
        .answers
        .iter()
        .any(|x| *x != VerzoekAntwoord::InOnderzoek)
    {
        violation(
            rep,
            &at,
            "TR365",
            "the request was already refused (VerzoekAntwoord 1) in an earlier answer",
        );
    }
    rep.path.pop();
}
