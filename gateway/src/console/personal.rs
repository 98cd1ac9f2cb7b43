//! What the console reads from a message's XML: the clients' personal data (shown only after
//! an explicit reveal, see [`super::pages::messages`]), the ToewijzingNummers and
//! ReferentieAanbieders that tie a conversation together, and a claim's period and total.
//!
//! The XML is walked generically (local names only, as [`crate::store::received`] does), so
//! one walk serves every message kind of both laws; what does not read is skipped.

use quick_xml::events::Event;

/// One client (`Client` element) of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientData {
    /// Bsn.
    pub bsn: String,
    /// Naam: Voornamen or Voorletters, Voorvoegsel and Achternaam, as one line.
    pub name: String,
    /// Geboortedatum/Datum.
    pub birth_date: String,
}

/// What one walk over a message finds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The clients, in message order.
    pub clients: Vec<ClientData>,
    /// Every ToewijzingNummer, in message order, without repeats.
    pub allocation_numbers: Vec<u64>,
    /// Every ReferentieAanbieder, without repeats.
    pub provider_references: Vec<String>,
    /// DeclaratiePeriode/Begindatum of a claim (323).
    pub declaration_period_start: Option<String>,
    /// The sum of the prestaties' IngediendBedrag, debit minus credit, in eurocent.
    pub claimed_cents: i64,
    /// Header/Afzender.
    pub sender: String,
    /// Header/Ontvanger.
    pub receiver: String,
}

/// Reads `xml` (see the module docs).
pub fn scan(xml: &str) -> Scan {
    let mut out = Scan::default();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    // Of the Prestatie being read: Bedrag and DebetCredit of its IngediendBedrag.
    let mut amount: Option<i64> = None;
    let mut credit = false;
    let mut given = String::new();
    let mut initials = String::new();
    let mut prefix = String::new();
    let mut surname = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().into_inner().to_owned();
                if name == "Client" {
                    out.clients.push(ClientData::default());
                    (given, initials, prefix, surname) = Default::default();
                }
                if name == "Prestatie" {
                    amount = None;
                    credit = false;
                }
                path.push(name);
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t),
            Ok(Event::GeneralRef(r)) => {
                // Entities in names (`&amp;`): kept as the character they stand for.
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    match r.as_ref() {
                        "amp" => text.push('&'),
                        "lt" => text.push('<'),
                        "gt" => text.push('>'),
                        "apos" => text.push('\''),
                        "quot" => text.push('"'),
                        _ => {}
                    }
                }
            }
            Ok(Event::End(_)) => {
                let Some(name) = path.pop() else { break };
                let value = text.trim();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let in_client = parent == "Client";
                let in_client_name =
                    path.iter().rev().nth(1).is_some_and(|p| p == "Client") && parent == "Naam";
                match name.as_str() {
                    "Bsn" if in_client => {
                        if let Some(c) = out.clients.last_mut() {
                            c.bsn = value.to_owned();
                        }
                    }
                    "Datum"
                        if parent == "Geboortedatum"
                            && path.iter().rev().nth(1).is_some_and(|p| p == "Client") =>
                    {
                        if let Some(c) = out.clients.last_mut() {
                            c.birth_date = value.to_owned();
                        }
                    }
                    "Achternaam" if path.iter().any(|p| p == "Naam") && client_name(&path) => {
                        surname = value.to_owned();
                    }
                    "Voorvoegsel" if client_name(&path) => prefix = value.to_owned(),
                    "Voornamen" if in_client_name => given = value.to_owned(),
                    "Voorletters" if in_client_name => initials = value.to_owned(),
                    "Naam" if in_client => {
                        if let Some(c) = out.clients.last_mut() {
                            let first = if given.is_empty() { &initials } else { &given };
                            c.name = [first.as_str(), prefix.as_str(), surname.as_str()]
                                .into_iter()
                                .filter(|s| !s.is_empty())
                                .collect::<Vec<_>>()
                                .join(" ");
                        }
                    }
                    "ToewijzingNummer" => {
                        if let Ok(n) = value.parse::<u64>()
                            && !out.allocation_numbers.contains(&n)
                        {
                            out.allocation_numbers.push(n);
                        }
                    }
                    "ReferentieAanbieder"
                        if !value.is_empty()
                            && !out.provider_references.iter().any(|r| r == value) =>
                    {
                        out.provider_references.push(value.to_owned());
                    }
                    "Afzender" if parent == "Header" => out.sender = value.to_owned(),
                    "Ontvanger" if parent == "Header" => out.receiver = value.to_owned(),
                    "Begindatum" if parent == "DeclaratiePeriode" => {
                        out.declaration_period_start = Some(value.to_owned());
                    }
                    "Bedrag" if parent == "IngediendBedrag" => amount = value.parse().ok(),
                    "DebetCredit" if parent == "IngediendBedrag" => credit = value == "C",
                    "Prestatie" => {
                        let a = amount.unwrap_or(0);
                        out.claimed_cents += if credit { -a } else { a };
                    }
                    _ => {}
                }
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// Whether the element being closed (its parents in `path`) is part of the Naam of a Client
/// (`Client/Naam/Geslachtsnaam/…` or `Client/Naam/…`), not of a Relatie's.
fn client_name(path: &[String]) -> bool {
    let Some(naam) = path.iter().rposition(|p| p == "Naam") else {
        return false;
    };
    naam >= 1 && path[naam - 1] == "Client"
}

/// A BSN as lists show it: all but the last three digits hidden (`******782`).
pub fn mask_bsn(bsn: &str) -> String {
    let n = bsn.chars().count();
    if n <= 3 {
        return "*".repeat(n);
    }
    let tail: String = bsn.chars().skip(n - 3).collect();
    format!("{}{tail}", "*".repeat(n - 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bsn_is_masked_to_its_last_three_digits() {
        assert_eq!(mask_bsn("123456782"), "******782");
        assert_eq!(mask_bsn("12"), "**");
        assert_eq!(mask_bsn(""), "");
    }

    const JW315: &str = include_str!("../../../simulator/examples/JW315.xml");

    #[test]
    fn a_315_gives_its_client_and_references() {
        let s = scan(JW315);
        assert_eq!(
            s.clients,
            vec![ClientData {
                bsn: "123456782".into(),
                name: "A Jansen".into(),
                birth_date: "2012-05-17".into(),
            }]
        );
        assert_eq!(s.provider_references, vec!["REF-1".to_owned()]);
        assert_eq!(
            (s.sender.as_str(), s.receiver.as_str()),
            ("12345678", "0268")
        );
        assert!(s.allocation_numbers.is_empty());
        assert_eq!(s.declaration_period_start, None);
    }

    #[test]
    fn a_claim_gives_its_period_numbers_and_total_debit_minus_credit() {
        let xml = r#"<jw323:Bericht xmlns:jw323="x" xmlns:ijw="y">
<jw323:Header><jw323:DeclaratiePeriode><ijw:Begindatum>2025-06-01</ijw:Begindatum>
<ijw:Einddatum>2025-06-30</ijw:Einddatum></jw323:DeclaratiePeriode></jw323:Header>
<jw323:Client><jw323:Bsn>111222333</jw323:Bsn>
<jw323:Prestatie><jw323:ToewijzingNummer>100000001</jw323:ToewijzingNummer>
<jw323:IngediendBedrag><ijw:Bedrag>139584</ijw:Bedrag><ijw:DebetCredit>D</ijw:DebetCredit></jw323:IngediendBedrag></jw323:Prestatie>
<jw323:Prestatie><jw323:ToewijzingNummer>100000001</jw323:ToewijzingNummer>
<jw323:IngediendBedrag><ijw:Bedrag>584</ijw:Bedrag><ijw:DebetCredit>C</ijw:DebetCredit></jw323:IngediendBedrag></jw323:Prestatie>
</jw323:Client></jw323:Bericht>"#;
        let s = scan(xml);
        assert_eq!(s.declaration_period_start.as_deref(), Some("2025-06-01"));
        assert_eq!(s.allocation_numbers, vec![100000001]);
        assert_eq!(s.claimed_cents, 139_000);
        assert_eq!(s.clients.len(), 1);
        assert_eq!(s.clients[0].bsn, "111222333");
        assert_eq!(s.clients[0].name, "");
    }

    #[test]
    fn a_relatives_name_is_not_the_clients() {
        let xml = r#"<B><Client><Bsn>1</Bsn><Naam><Geslachtsnaam><Voorvoegsel>van</Voorvoegsel><Achternaam>Dijk</Achternaam></Geslachtsnaam><Voornamen>Anna &amp; Bo</Voornamen></Naam>
<Relatie><Naam><Geslachtsnaam><Achternaam>Ouder</Achternaam></Geslachtsnaam><Voornamen>Piet</Voornamen></Naam></Relatie></Client></B>"#;
        let s = scan(xml);
        assert_eq!(s.clients[0].name, "Anna & Bo van Dijk");
    }
}
