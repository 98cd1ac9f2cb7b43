//! From element paths of the message (`/Bericht/Client/AangevraagdeProducten/
//! AangevraagdProduct[2]/Omvang/Volume`) to proto field paths of the request
//! (`products[1].extent.volume`), one table per message type.
//!
//! A table is a tree of [`Field`]s. Each entry matches one or more consecutive elements;
//! the longest match wins, its proto name is appended (with the element's 1-based index as
//! a 0-based proto index), and matching continues in its children. Where the proto has no
//! field for an element (values ketenpoort fills in itself), the deepest proto field found
//! so far is used; where nothing matches, the element path itself.

use ketenpoort_messages::MessageType;

/// One step of a mapping table.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    /// Element names matched, in order.
    xml: &'static [&'static str],
    /// Proto field name appended (empty: transparent).
    proto: &'static str,
    /// Mappings below it.
    children: &'static [Field],
}

const fn f(xml: &'static [&'static str], proto: &'static str) -> Field {
    Field {
        xml,
        proto,
        children: &[],
    }
}

const fn n(xml: &'static [&'static str], proto: &'static str, children: &'static [Field]) -> Field {
    Field {
        xml,
        proto,
        children,
    }
}

const PRODUCT: &[Field] = &[f(&["Categorie"], "category"), f(&["Code"], "code")];
const EXTENT: &[Field] = &[
    f(&["Volume"], "volume"),
    f(&["Eenheid"], "unit"),
    f(&["Frequentie"], "frequency"),
];
const HEADER: &[Field] = &[
    f(&["Afzender"], "common.agb_code"),
    f(&["Ontvanger"], "common.municipality"),
];

macro_rules! client_identity {
    () => {
        [
            f(&["Client", "Bsn"], "client.bsn"),
            f(
                &["Client", "Geboortedatum", "DatumGebruik"],
                "client.birth_date_use",
            ),
            f(&["Client", "Geboortedatum"], "client.birth_date"),
            f(&["Client", "Geslacht"], "client.sex"),
            f(
                &["Client", "Naam", "Geslachtsnaam", "Achternaam"],
                "client.surname",
            ),
            f(
                &["Client", "Naam", "Geslachtsnaam", "Voorvoegsel"],
                "client.surname_prefix",
            ),
            f(&["Client", "Naam", "Geslachtsnaam"], "client.surname"),
            f(&["Client", "Naam", "Voornamen"], "client.given_names"),
            f(&["Client", "Naam", "Voorletters"], "client.initials"),
            f(&["Client", "Naam"], "client"),
            f(&["Client"], "client"),
            n(&["Header"], "", HEADER),
        ]
    };
}

const REQUESTED_PRODUCT: &[Field] = &[
    f(&["ReferentieAanbieder"], "provider_reference"),
    f(&["BeschikkingNummer"], "decision_number"),
    n(&["Product"], "product", PRODUCT),
    f(&["BeschikkingIngangsdatum"], "decision_start_date"),
    f(&["ToewijzingIngangsdatum"], "start_date"),
    f(&["ToewijzingEinddatum"], "end_date"),
    n(&["Omvang"], "extent", EXTENT),
    f(&["Budget"], "budget_cents"),
    n(
        &["Verwijzer"],
        "referrer",
        &[
            f(&["Type"], "type"),
            f(&["Naam"], "name"),
            f(&["ZorgverlenerCode"], "agb_code"),
        ],
    ),
    f(&["Raamcontract"], "framework_contract"),
    f(&["Commentaar"], "comment"),
];

const M315: &[Field] = &{
    const ID: [Field; 12] = client_identity!();
    [
        ID[0],
        ID[1],
        ID[2],
        ID[3],
        ID[4],
        ID[5],
        ID[6],
        ID[7],
        ID[8],
        ID[9],
        ID[10],
        ID[11],
        f(&["Client", "GezagsdragerBekend"], "guardian_known"),
        f(&["Client", "Commentaar"], "comment"),
        n(
            &["Client", "AangevraagdeProducten", "AangevraagdProduct"],
            "products",
            REQUESTED_PRODUCT,
        ),
        f(&["Client", "AangevraagdeProducten"], "products"),
    ]
};

const START_PRODUCT: &[Field] = &[
    f(&["ToewijzingNummer"], "allocation_number"),
    n(&["Product"], "product", PRODUCT),
    f(&["ToewijzingIngangsdatum"], "allocation_start_date"),
    f(&["Begindatum"], "start_date"),
    f(&["StatusAanlevering"], "delivery_status"),
];

const M305: &[Field] = &{
    const ID: [Field; 12] = client_identity!();
    [
        ID[0],
        ID[1],
        ID[2],
        ID[3],
        ID[4],
        ID[5],
        ID[6],
        ID[7],
        ID[8],
        ID[9],
        ID[10],
        ID[11],
        n(
            &["Client", "StartProducten", "StartProduct"],
            "products",
            START_PRODUCT,
        ),
        f(&["Client", "StartProducten"], "products"),
    ]
};

const STOP_PRODUCT: &[Field] = &[
    f(&["ToewijzingNummer"], "allocation_number"),
    n(&["Product"], "product", PRODUCT),
    f(&["ToewijzingIngangsdatum"], "allocation_start_date"),
    f(&["Begindatum"], "start_date"),
    f(&["RedenBeeindiging"], "end_reason"),
    f(&["Einddatum"], "end_date"),
    f(&["StatusAanlevering"], "delivery_status"),
];

const M307: &[Field] = &{
    const ID: [Field; 12] = client_identity!();
    [
        ID[0],
        ID[1],
        ID[2],
        ID[3],
        ID[4],
        ID[5],
        ID[6],
        ID[7],
        ID[8],
        ID[9],
        ID[10],
        ID[11],
        n(
            &["Client", "StopProducten", "StopProduct"],
            "products",
            STOP_PRODUCT,
        ),
        f(&["Client", "StopProducten"], "products"),
    ]
};

const CHANGED: &[Field] = &[
    f(&["ToewijzingNummer"], "allocation_number"),
    n(&["Product"], "product", PRODUCT),
    f(&["GewensteIngangsdatum"], "desired_start_date"),
    f(&["Einddatum"], "end_date"),
    n(&["Omvang"], "extent", EXTENT),
    f(&["Budget"], "budget_cents"),
];

const M317: &[Field] = &[
    n(&["Header"], "", HEADER),
    f(&["Client", "Bsn"], "bsn"),
    f(
        &["Client", "Verzoek", "ReferentieAanbieder"],
        "provider_reference",
    ),
    f(&["Client", "Verzoek", "RedenVerzoek"], "reason"),
    f(
        &[
            "Client",
            "Verzoek",
            "OngewijzigdeProducten",
            "OngewijzigdProduct",
        ],
        "unchanged_allocations",
    ),
    f(
        &["Client", "Verzoek", "OngewijzigdeProducten"],
        "unchanged_allocations",
    ),
    n(
        &[
            "Client",
            "Verzoek",
            "TeWijzigenProducten",
            "TeWijzigenProduct",
        ],
        "changed",
        CHANGED,
    ),
    f(&["Client", "Verzoek", "TeWijzigenProducten"], "changed"),
    n(
        &["Client", "Verzoek", "NieuweProducten", "NieuwProduct"],
        "new_products",
        CHANGED,
    ),
    f(&["Client", "Verzoek", "NieuweProducten"], "new_products"),
];

const LINE: &[Field] = &[
    f(
        &["ProductReferentie", "ReferentieNummer"],
        "reference_number",
    ),
    f(
        &["ProductReferentie", "VorigReferentieNummer"],
        "previous_reference_number",
    ),
    f(&["ProductReferentie"], "reference_number"),
    f(&["ToewijzingNummer"], "allocation_number"),
    f(&["ProductCategorie"], "product_category"),
    f(&["ProductCode"], "product_code"),
    f(&["ProductPeriode", "Begindatum"], "period_start"),
    f(&["ProductPeriode", "Einddatum"], "period_end"),
    f(&["ProductPeriode"], "period_start"),
    f(&["GeleverdVolume"], "delivered_volume"),
    f(&["Eenheid"], "unit"),
    f(&["ProductTarief"], "tariff_cents"),
    f(&["IngediendBedrag", "DebetCredit"], "credit"),
    f(&["IngediendBedrag"], "amount_cents"),
];

const M323: &[Field] = &[
    n(&["Header"], "", HEADER),
    f(&["Declaratie", "DeclaratieNummer"], "declaration_number"),
    f(&["Declaratie", "DeclaratiePeriode"], "month"),
    n(
        &["Declaratie", "Clienten", "Client"],
        "clients",
        &[
            f(&["Bsn"], "bsn"),
            n(&["Prestaties", "Prestatie"], "lines", LINE),
            f(&["Prestaties"], "lines"),
        ],
    ),
    f(&["Declaratie", "Clienten"], "clients"),
];

fn table(t: MessageType) -> &'static [Field] {
    match t {
        MessageType::M315 => M315,
        MessageType::M305 => M305,
        MessageType::M307 => M307,
        MessageType::M317 => M317,
        MessageType::M323 => M323,
        _ => &[],
    }
}

/// Splits `/Bericht/A/B[2]/C` into `[("A", None), ("B", Some(2)), ("C", None)]`.
fn segments(path: &str) -> Vec<(&str, Option<usize>)> {
    path.trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .skip_while(|s| *s == "Bericht")
        .map(|s| match s.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
            None => (s, None),
        })
        .collect()
}

/// The proto field path for an element path of a message of type `t`, or the element path
/// itself when the table has no field for it.
pub(crate) fn proto_field(t: MessageType, element_path: &str) -> String {
    let segs = segments(element_path);
    let mut rest = &segs[..];
    let mut level = table(t);
    let mut out = String::new();
    while !rest.is_empty() {
        let best = level
            .iter()
            .filter(|e| {
                e.xml.len() <= rest.len() && e.xml.iter().zip(rest).all(|(x, (s, _))| x == s)
            })
            .max_by_key(|e| e.xml.len());
        let Some(e) = best else { break };
        if !e.proto.is_empty() {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(e.proto);
            if let Some(i) = rest[e.xml.len() - 1].1 {
                out.push_str(&format!("[{}]", i.saturating_sub(1)));
            }
        }
        rest = &rest[e.xml.len()..];
        level = e.children;
    }
    if out.is_empty() {
        element_path.to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_paths_map_to_proto_fields() {
        let cases = [
            (
                MessageType::M315,
                "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]/Omvang/Volume",
                "products[1].extent.volume",
            ),
            (MessageType::M315, "/Bericht/Client/Bsn", "client.bsn"),
            (
                MessageType::M315,
                "/Bericht/Client/Geboortedatum/Datum",
                "client.birth_date",
            ),
            (
                MessageType::M323,
                "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[3]/ProductPeriode/Einddatum",
                "clients[0].lines[2].period_end",
            ),
            (
                MessageType::M323,
                "/Bericht/Declaratie/Clienten/Client[2]/Bsn",
                "clients[1].bsn",
            ),
            (
                MessageType::M323,
                "/Bericht/Header/Afzender",
                "common.agb_code",
            ),
            (
                MessageType::M323,
                "/Bericht/Declaratie/TotaalIngediendBedrag",
                "/Bericht/Declaratie/TotaalIngediendBedrag",
            ),
            (
                MessageType::M317,
                "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]/GewensteIngangsdatum",
                "new_products[0].desired_start_date",
            ),
            (
                MessageType::M307,
                "/Bericht/Client/StopProducten/StopProduct[1]/Product/Categorie",
                "products[0].product.category",
            ),
        ];
        for (t, path, want) in cases {
            assert_eq!(proto_field(t, path), want, "{path}");
        }
    }
}
