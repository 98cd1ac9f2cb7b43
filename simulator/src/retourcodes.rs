//! Every retourcode the municipality bot can send, and when: the source of
//! `simulator/RETOURCODES.md` (a test keeps the file equal to [`markdown`] and each code equal
//! to the one the standard gives the rule), so that a provider can rehearse every retour it
//! will meet.

/// One retourcode the bot sends.
#[derive(Debug, Clone, Copy)]
pub struct BotCode {
    /// The RetourCode (codelist WJ001).
    pub code: &'static str,
    /// The rule it answers, when there is one.
    pub rule: Option<&'static str>,
    /// Where it appears: the answer and the class.
    pub place: &'static str,
    /// When the bot sends it.
    pub when: &'static str,
}

const fn c(
    code: &'static str,
    rule: Option<&'static str>,
    place: &'static str,
    when: &'static str,
) -> BotCode {
    BotCode {
        code,
        rule,
        place,
        when,
    }
}

const START: &str = "306: StartProduct";
const STOP: &str = "308: StopProduct";
const LINE: &str = "325: Prestatie (only rejected lines are listed, TR342)";

/// Every retourcode the bot can send, grouped by the message it answers.
pub const BOT_CODES: &[BotCode] = &[
    // Every answer.
    c(
        "0001",
        None,
        "header of 306, 308, 316, 318 (with XsltVersie) or 325 (header only)",
        "the message breaks an in-message rule (CD, CS, XSLT-level TR) and the ketencontrole \
         left those rules to the municipality (`[ketencontrole] regels_controleren = false`); \
         with the default the ketencontrole refuses it (BRS28) and the bot never sees it",
    ),
    c(
        "8848",
        Some("TR135"),
        "header of 306, 308, 316, 318, 325 (header only)",
        "the header Dagtekening is after the simulated date",
    ),
    c(
        "9056",
        Some("TR056"),
        "header of 306, 308, 316, 318, 325 (header only)",
        "the sender used this Identificatie before for this message type",
    ),
    c(
        "0200",
        None,
        "header, Client and every class without a finding of 306, 308, 316, 318; header of \
         every judged 325; Client and DeclaratieAntwoord of a 325 with rejected lines",
        "a class has a finding of a cross-message rule (IV028: every class taken over, each \
         with its code or 0200); every 325 that judged the claim",
    ),
    // 305 → 306.
    c(
        "9019",
        Some("TR019"),
        START,
        "the ToewijzingNummer is not an allocation of this client the municipality made (e.g. \
         999)",
    ),
    c(
        "9063",
        Some("TR063"),
        START,
        "StatusAanlevering 3 (delete) without an earlier delivery with this key",
    ),
    c(
        "9071",
        Some("TR071"),
        START,
        "deleting a start whose care was stopped already",
    ),
    c(
        "9074",
        Some("TR074"),
        START,
        "a start with this key is already in force",
    ),
    c(
        "9326",
        Some("TR326"),
        START,
        "a new start for an allocation whose current start was not stopped",
    ),
    // 307 → 308.
    c("9019", Some("TR019"), STOP, "as for a 305"),
    c(
        "9063",
        Some("TR063"),
        STOP,
        "StatusAanlevering 3 (delete) without an earlier delivery with this key",
    ),
    c(
        "9074",
        Some("TR074"),
        STOP,
        "a stop with this key was already sent",
    ),
    c(
        "9069",
        Some("TR382"),
        STOP,
        "the stop does not repeat the key of a start in force",
    ),
    c(
        "9413",
        Some("TR413"),
        STOP,
        "a stop with RedenBeeindiging 20 (temporary) was already sent for this start",
    ),
    c(
        "9414",
        Some("TR414"),
        STOP,
        "the Einddatum lies before that of the stop in force",
    ),
    c(
        "9415",
        Some("TR415"),
        STOP,
        "the start was already stopped for good (a RedenBeeindiging other than 20)",
    ),
    // 315 → 316, 317 → 318.
    c(
        "9347",
        Some("TR347"),
        "316: AangevraagdProduct; 318: Verzoek",
        "the ReferentieAanbieder was used before by this provider",
    ),
    c(
        "9374",
        Some("TR374"),
        "316: Client; 318: Client",
        "another request (315/317) of this client is still open",
    ),
    c(
        "8187",
        Some("TR304"),
        "318: TeWijzigenProduct, OngewijzigdProduct",
        "the allocation named belongs to another client",
    ),
    c(
        "9349",
        Some("TR349"),
        "318: Verzoek",
        "the 317 does not name every current allocation of the client",
    ),
    c(
        "9350",
        Some("TR350"),
        "318: OngewijzigdProduct",
        "the product to keep is not a current allocation",
    ),
    c(
        "9351",
        Some("TR351"),
        "318: TeWijzigenProduct",
        "the product to change is not a current allocation",
    ),
    c(
        "9357",
        Some("TR357"),
        "318: TeWijzigenProduct",
        "a change not in the future does not start at the allocation's Ingangsdatum",
    ),
    c(
        "9361",
        Some("TR361"),
        "318: NieuwProduct",
        "a new product overlaps a current allocation of the same product",
    ),
    c(
        "9373",
        Some("TR373"),
        "318: TeWijzigenProduct",
        "a new budget or total over the allocation does not start at its Ingangsdatum (IV093)",
    ),
    c(
        "9375",
        Some("TR375"),
        "318: TeWijzigenProduct",
        "the Omvang does not follow the allocated product",
    ),
    c(
        "9411",
        Some("TR411"),
        "318: TeWijzigenProduct",
        "the Omvang's unit differs from the allocation's",
    ),
    c(
        "9412",
        Some("TR412"),
        "318: TeWijzigenProduct",
        "the Omvang's frequency differs from the allocation's",
    ),
    // 323 → 325.
    c(
        "8001",
        None,
        "325: DeclaratieAntwoord",
        "every line of the claim is accepted",
    ),
    c(
        "9333",
        Some("TR333"),
        "325: DeclaratieAntwoord (no lines)",
        "the DeclaratieNummer was used before by this provider",
    ),
    c(
        "8021",
        Some("TR314"),
        LINE,
        "the ReferentieNummer was used before",
    ),
    c(
        "8017",
        Some("TR323"),
        LINE,
        "a credit line without the approved debit line it reverses",
    ),
    c(
        "8187",
        Some("TR304"),
        LINE,
        "the allocation belongs to another client",
    ),
    c(
        "8214",
        Some("TR318"),
        LINE,
        "a DeclaratiePeriode before the latest one claimed (IV090)",
    ),
    c(
        "9307",
        Some("TR307"),
        LINE,
        "the ProductPeriode begins before the allocation",
    ),
    c(
        "9308",
        Some("TR308"),
        LINE,
        "the ProductPeriode ends after the allocation",
    ),
    c(
        "9319",
        Some("TR319"),
        LINE,
        "the ProductPeriode lies after the DeclaratiePeriode",
    ),
    c(
        "9321",
        Some("TR321"),
        LINE,
        "more volume than the allocation allows in the period (IV077, IV078)",
    ),
    c(
        "9322",
        Some("TR322"),
        LINE,
        "more volume than allocated over the whole allocation",
    ),
    c(
        "9338",
        Some("TR338"),
        LINE,
        "the ToewijzingNummer is not an allocation the municipality made",
    ),
    c(
        "9339",
        Some("TR339"),
        LINE,
        "the ProductCategorie is not the allocation's",
    ),
    c(
        "9340",
        Some("TR340"),
        LINE,
        "the ProductCode is not the allocation's",
    ),
    c(
        "9341",
        Some("TR341"),
        LINE,
        "the Eenheid does not follow the allocation's (uur may be claimed in minuut)",
    ),
    c(
        "9369",
        Some("TR369"),
        LINE,
        "more than the allocation's budget",
    ),
    c(
        "9384",
        Some("TR384"),
        LINE,
        "a claim on an allocation that was removed",
    ),
    c(
        "9387",
        Some("TR387"),
        LINE,
        "the ProductPeriode does not begin where IV089 says",
    ),
    c(
        "9388",
        Some("TR388"),
        LINE,
        "the ProductPeriode does not end where IV089 says",
    ),
    c(
        "9389",
        Some("TR389"),
        LINE,
        "a second debit for the same allocation, product and period, the first not credited",
    ),
    c(
        "9390",
        Some("TR390"),
        LINE,
        "the debit this credit reverses was credited already",
    ),
    c(
        "9346",
        Some("TR346"),
        LINE,
        "IngediendBedrag is not GeleverdVolume × the contract tariff of the scenario's \
         `[tarieven]` (IV081 for an hourly tariff claimed in minutes); for a product without \
         a tariff: not volume × ProductTarief (a minuut line: no hourly tariff that rounds to \
         ProductTarief gives it)",
    ),
    c(
        "0611",
        Some("TR418"),
        LINE,
        "ProductTarief is not the contract tariff of the scenario's `[tarieven]` (for a minuut \
         line under an hourly tariff: the hourly tariff / 60, rounded), or the tariff's unit \
         cannot price the line's Eenheid",
    ),
];

/// `simulator/RETOURCODES.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Retourcodes of the simulated municipality\n\n\
         Generated from `simulator/src/retourcodes.rs`; do not edit by hand. To regenerate:\n\
         `UPDATE_RETOURCODES_MD=1 cargo test -p ketenpoort-sim --test it retourcodes::`.\n\n\
         Every retourcode the municipality bot of `ketenpoort-sim` can send, where it puts it \
         and when, so that a provider can rehearse each retour it will meet. Level-3 and \
         level-4 findings follow IV028: a rule broken in the header gives only the header with \
         its code; a rule broken in a class gives every class of the message, each with its \
         code or 0200. A message with a finding is not recorded: no 301 follows a 316 or 318 \
         with one. Besides retourcodes, a 319 carries VerzoekAntwoord `1` (afgewezen, with \
         `[gemeentebot] reden_afwijzing`, default `7`; `8` with `woonplaatsbeginsel`) or `2` \
         (in onderzoek, with `in_onderzoek = true`, before the decision).\n\n\
         | code | rule | where | when |\n|---|---|---|---|\n",
    );
    for b in BOT_CODES {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            b.code,
            b.rule.unwrap_or("—"),
            b.place.replace('|', "\\|"),
            b.when.replace('|', "\\|"),
        ));
    }
    out
}
