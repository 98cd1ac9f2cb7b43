//! The console's words: Dutch by default (the staff's language, with the standard's terms as
//! the standard writes them: ToewijzingNummer, DeclaratieNummer, retourcode, AGB-code), English
//! as a choice. Every text a page shows is a field of [`Texts`], so a missing translation is
//! a compile error.

use crate::store::MessageState;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Nederlands (the default).
    #[default]
    Nl,
    /// English.
    En,
}

impl Lang {
    /// The language of a form or query value (`nl`, `en`); Dutch for anything else.
    pub fn parse(value: &str) -> Lang {
        if value.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Nl
        }
    }

    /// Its texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        }
    }
}

/// Every text of the console in one language.
#[derive(Debug)]
pub struct Texts {
    /// The `lang` attribute (`nl`, `en`).
    pub lang: &'static str,
    /// The other language's code and its name in itself, for the switch.
    pub other_lang: &'static str,
    /// The other language's name.
    pub other_lang_name: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Label of the main navigation.
    pub nav_label: &'static str,
    /// Page names.
    pub overview: &'static str,
    /// Page name.
    pub messages: &'static str,
    /// Page name.
    pub failures: &'static str,
    /// Page name.
    pub terms: &'static str,
    /// Page name.
    pub allocations: &'static str,
    /// Page name.
    pub downloads: &'static str,
    /// Page name.
    pub access_log: &'static str,
    /// Page name.
    pub sign_in: &'static str,
    /// Button.
    pub sign_out: &'static str,
    /// Sign-in: the token field.
    pub token: &'static str,
    /// Sign-in: the user's name field.
    pub user: &'static str,
    /// Sign-in: hint under the user field.
    pub user_hint: &'static str,
    /// Sign-in: with the client certificate.
    pub sign_in_certificate: &'static str,
    /// Sign-in refused.
    pub sign_in_failed: &'static str,
    /// Sign-in intro.
    pub sign_in_intro: &'static str,
    /// Signed in as.
    pub signed_in_as: &'static str,
    /// Session ended.
    pub session_ended: &'static str,
    /// Signed out.
    pub signed_out: &'static str,
    /// A form without a valid CSRF token.
    pub form_expired: &'static str,
    /// Not found.
    pub not_found: &'static str,
    /// Something went wrong.
    pub error: &'static str,
    /// The index is still being built.
    pub index_building: &'static str,
    /// Column and field names.
    pub message: &'static str,
    /// Column.
    pub kind: &'static str,
    /// Column.
    pub state: &'static str,
    /// Column.
    pub agb: &'static str,
    /// Column.
    pub municipality: &'static str,
    /// Column.
    pub accepted_at: &'static str,
    /// Fact: when `ketenpoort prune` purged the XML (retention).
    pub xml_purged: &'static str,
    /// Column.
    pub identificatie: &'static str,
    /// Column.
    pub declaration_number: &'static str,
    /// Column.
    pub allocation_number: &'static str,
    /// Column.
    pub bsn: &'static str,
    /// Column.
    pub client: &'static str,
    /// Column.
    pub name: &'static str,
    /// Column.
    pub birth_date: &'static str,
    /// Column.
    pub request_id: &'static str,
    /// Column.
    pub period: &'static str,
    /// Field.
    pub from: &'static str,
    /// Field.
    pub to: &'static str,
    /// Any value.
    pub any: &'static str,
    /// Button.
    pub search: &'static str,
    /// Search by BSN.
    pub search_bsn: &'static str,
    /// BSN search hint.
    pub search_bsn_hint: &'static str,
    /// No results.
    pub nothing_found: &'static str,
    /// Next page.
    pub older: &'static str,
    /// Count.
    pub count: &'static str,
    /// Column.
    pub code: &'static str,
    /// Column.
    pub text: &'static str,
    /// Column.
    pub source: &'static str,
    /// Column.
    pub due: &'static str,
    /// Column.
    pub working_days_left: &'static str,
    /// Column.
    pub rule: &'static str,
    /// Column.
    pub owed_by: &'static str,
    /// Owed by the municipality.
    pub by_municipality: &'static str,
    /// Owed by the provider.
    pub by_provider: &'static str,
    /// Column.
    pub expected: &'static str,
    /// Column.
    pub reported_at: &'static str,
    /// Overview: counts.
    pub counts_by_state: &'static str,
    /// Overview: due soon.
    pub due_soon: &'static str,
    /// Overview: refusals.
    pub refusals_30_days: &'static str,
    /// Chart title.
    pub chart_per_week: &'static str,
    /// Chart title.
    pub chart_claimed_granted: &'static str,
    /// Chart title.
    pub chart_refusals: &'static str,
    /// Series name.
    pub claimed: &'static str,
    /// Series name.
    pub granted: &'static str,
    /// Data table summary.
    pub chart_data: &'static str,
    /// Column.
    pub week: &'static str,
    /// Column.
    pub month: &'static str,
    /// Messages page: the client section.
    pub clients: &'static str,
    /// Reveal button.
    pub reveal: &'static str,
    /// What revealing does.
    pub reveal_hint: &'static str,
    /// Revealed: logged.
    pub revealed_logged: &'static str,
    /// Section.
    pub conversation: &'static str,
    /// Conversation too long.
    pub conversation_more: &'static str,
    /// Section.
    pub meldingen: &'static str,
    /// Resend button.
    pub resend: &'static str,
    /// Resent notice prefix.
    pub resent: &'static str,
    /// Timeline: sent.
    pub step_sent: &'static str,
    /// Timeline: status.
    pub step_status: &'static str,
    /// Timeline: retour.
    pub step_retour: &'static str,
    /// Timeline: allocation.
    pub step_allocation: &'static str,
    /// Timeline: answer.
    pub step_answer: &'static str,
    /// Timeline: 325.
    pub step_declaration_answer: &'static str,
    /// Timeline: deadline missed.
    pub step_deadline_missed: &'static str,
    /// Timeline: quarantined.
    pub step_quarantined: &'static str,
    /// Retour verdict.
    pub accepted: &'static str,
    /// Retour verdict.
    pub rejected: &'static str,
    /// Line verdict without a 325.
    pub no_verdict: &'static str,
    /// Column.
    pub line: &'static str,
    /// Column.
    pub reference_number: &'static str,
    /// Column.
    pub product: &'static str,
    /// Column.
    pub amount: &'static str,
    /// Column.
    pub verdict: &'static str,
    /// Column.
    pub retourcodes: &'static str,
    /// Totals of a 325.
    pub claimed_granted_of: &'static str,
    /// Failures page: refused.
    pub refused_by_vecozo: &'static str,
    /// Failures page: queued.
    pub still_queued: &'static str,
    /// Column.
    pub attempts: &'static str,
    /// Column.
    pub why: &'static str,
    /// Queued: not yet pushed.
    pub why_not_pushed: &'static str,
    /// Queued: retrying.
    pub why_retrying: &'static str,
    /// Queued: VECOZO off.
    pub why_off: &'static str,
    /// Terms page: open.
    pub open_terms: &'static str,
    /// Terms page: missed.
    pub missed_terms: &'static str,
    /// Terms: overdue.
    pub overdue: &'static str,
    /// Terms: no due date yet.
    pub no_due_yet: &'static str,
    /// Allocations: columns.
    pub allocated: &'static str,
    /// Column.
    pub claimed_volume: &'static str,
    /// Column.
    pub start: &'static str,
    /// Column.
    pub end: &'static str,
    /// Column.
    pub received_at: &'static str,
    /// Column.
    pub request: &'static str,
    /// Downloads intro.
    pub downloads_intro: &'static str,
    /// Format choice.
    pub format: &'static str,
    /// Format.
    pub format_jsonl: &'static str,
    /// Format.
    pub format_csv_messages: &'static str,
    /// Format.
    pub format_csv_lines: &'static str,
    /// Button.
    pub download: &'static str,
    /// Access log intro.
    pub access_log_intro: &'static str,
    /// Export link.
    pub export_csv: &'static str,
    /// Column.
    pub when: &'static str,
    /// Column.
    pub who: &'static str,
    /// Column.
    pub credential: &'static str,
    /// Language switch label.
    pub language: &'static str,
    /// UTC note.
    pub times_utc: &'static str,
    /// Message states.
    pub state_queued: &'static str,
    /// State.
    pub state_delivered: &'static str,
    /// State.
    pub state_rejected: &'static str,
    /// State.
    pub state_answered: &'static str,
    /// State.
    pub state_missed: &'static str,
}

impl Texts {
    /// The name of a message state.
    pub fn state(&self, s: MessageState) -> &'static str {
        match s {
            MessageState::Queued => self.state_queued,
            MessageState::Delivered => self.state_delivered,
            MessageState::RejectedByVecozo => self.state_rejected,
            MessageState::Answered => self.state_answered,
            MessageState::DeadlineMissed => self.state_missed,
        }
    }
}

/// Nederlands.
pub static NL: Texts = Texts {
    lang: "nl",
    other_lang: "en",
    other_lang_name: "English",
    skip: "Naar de inhoud",
    nav_label: "Hoofdmenu",
    overview: "Overzicht",
    messages: "Berichten",
    failures: "Uitval",
    terms: "Termijnen",
    allocations: "Toewijzingen",
    downloads: "Downloads",
    access_log: "Inzagelog",
    sign_in: "Aanmelden",
    sign_out: "Afmelden",
    token: "API-token",
    user: "Uw naam",
    user_hint: "Komt in het inzagelog bij elke inzage in persoonsgegevens (NEN 7513).",
    sign_in_certificate: "Aanmelden met uw certificaat",
    sign_in_failed: "Aanmelden mislukt: onbekend token of certificaat, of geen naam ingevuld.",
    sign_in_intro: "Meld u aan met het API-token (of het clientcertificaat) van uw organisatie.",
    signed_in_as: "Aangemeld als",
    session_ended: "Uw sessie is verlopen. Meld u opnieuw aan.",
    signed_out: "U bent afgemeld.",
    form_expired: "Dit formulier is verlopen of ongeldig. Laad de pagina opnieuw.",
    not_found: "Niet gevonden.",
    error: "Er ging iets mis.",
    index_building: "Het overzicht wordt nog opgebouwd; de cijfers zijn nog niet volledig.",
    message: "Bericht",
    kind: "Soort",
    state: "Status",
    agb: "AGB-code",
    municipality: "Gemeente",
    accepted_at: "Aangenomen",
    xml_purged: "XML verwijderd (bewaartermijn verstreken)",
    identificatie: "Identificatie",
    declaration_number: "DeclaratieNummer",
    allocation_number: "ToewijzingNummer",
    bsn: "BSN",
    client: "Cliënt",
    name: "Naam",
    birth_date: "Geboortedatum",
    request_id: "request_id",
    period: "Periode",
    from: "Van",
    to: "Tot en met",
    any: "Alle",
    search: "Zoeken",
    search_bsn: "Zoeken op BSN",
    search_bsn_hint: "Het BSN gaat niet in de adresregel en niet in de logboeken.",
    nothing_found: "Geen berichten gevonden.",
    older: "Oudere berichten",
    count: "Aantal",
    code: "Code",
    text: "Omschrijving",
    source: "Bron",
    due: "Uiterste datum",
    working_days_left: "Werkdagen over",
    rule: "Regel",
    owed_by: "Door",
    by_municipality: "gemeente",
    by_provider: "zorgaanbieder",
    expected: "Verwacht",
    reported_at: "Gemeld",
    counts_by_state: "Berichten per status",
    due_soon: "Termijnen die binnen twee werkdagen verlopen",
    refusals_30_days: "Afkeuringen en retourcodes van de laatste 30 dagen",
    chart_per_week: "Berichten per week, per soort",
    chart_claimed_granted: "Gedeclareerd en toegekend per maand (323/325)",
    chart_refusals: "Afkeuringen per retourcode (laatste 30 dagen)",
    claimed: "Gedeclareerd",
    granted: "Toegekend",
    chart_data: "Cijfers bij de grafiek",
    week: "Week",
    month: "Maand",
    clients: "Cliëntgegevens",
    reveal: "Toon persoonsgegevens",
    reveal_hint: "Elke inzage wordt vastgelegd in het inzagelog (wie, wanneer, welk bericht, welke cliënt).",
    revealed_logged: "Deze inzage is vastgelegd in het inzagelog.",
    conversation: "Gesprek",
    conversation_more: "Het gesprek is langer; alleen de eerste berichten staan hier.",
    meldingen: "Meldingen van VECOZO",
    resend: "Opnieuw versturen",
    resent: "Opnieuw in de wachtrij gezet: bericht",
    step_sent: "Verstuurd",
    step_status: "Status",
    step_retour: "Retourbericht",
    step_allocation: "Toewijzing",
    step_answer: "Antwoordbericht",
    step_declaration_answer: "Declaratie-antwoord",
    step_deadline_missed: "Termijn verstreken",
    step_quarantined: "In quarantaine",
    accepted: "goedgekeurd",
    rejected: "afgekeurd",
    no_verdict: "nog geen 325",
    line: "Regel",
    reference_number: "ReferentieNummer",
    product: "Product",
    amount: "Bedrag",
    verdict: "Oordeel",
    retourcodes: "Retourcodes",
    claimed_granted_of: "toegekend van gedeclareerd",
    refused_by_vecozo: "Afgekeurd door VECOZO",
    still_queued: "Nog in de wachtrij",
    attempts: "Pogingen",
    why: "Waarom",
    why_not_pushed: "nog niet aangeboden",
    why_retrying: "aangeboden, VECOZO was niet bereikbaar; volgende poging volgt",
    why_off: "de VECOZO-koppeling staat uit ([vecozo] mode)",
    open_terms: "Lopende termijnen",
    missed_terms: "Verstreken termijnen",
    overdue: "verstreken",
    no_due_yet: "nog geen einddatum",
    allocated: "Toegewezen omvang",
    claimed_volume: "Gedeclareerd tot nu",
    start: "Ingangsdatum",
    end: "Einddatum",
    received_at: "Ontvangen",
    request: "Verzoek",
    downloads_intro: "De berichten van een periode met de antwoorden van de keten, in de formaten van `ketenpoort report` (zonder BSN's of namen).",
    format: "Formaat",
    format_jsonl: "messages.jsonl (een bericht per regel, met antwoorden)",
    format_csv_messages: "messages.csv (een rij per bericht)",
    format_csv_lines: "declaration-lines.csv (een rij per declaratieregel, met het oordeel uit de 325)",
    download: "Downloaden",
    access_log_intro: "Wie welke persoonsgegevens heeft ingezien. Het log kan niet worden gewijzigd.",
    export_csv: "Exporteren (CSV)",
    when: "Wanneer",
    who: "Wie",
    credential: "Aangemeld met",
    language: "Taal",
    times_utc: "Tijden in UTC.",
    state_queued: "in wachtrij",
    state_delivered: "afgeleverd",
    state_rejected: "afgekeurd door VECOZO",
    state_answered: "beantwoord",
    state_missed: "termijn verstreken",
};

/// English.
pub static EN: Texts = Texts {
    lang: "en",
    other_lang: "nl",
    other_lang_name: "Nederlands",
    skip: "Skip to content",
    nav_label: "Main menu",
    overview: "Overview",
    messages: "Messages",
    failures: "Failures",
    terms: "Deadlines",
    allocations: "Allocations",
    downloads: "Downloads",
    access_log: "Access log",
    sign_in: "Sign in",
    sign_out: "Sign out",
    token: "API token",
    user: "Your name",
    user_hint: "Recorded in the access log with every view of personal data (NEN 7513).",
    sign_in_certificate: "Sign in with your certificate",
    sign_in_failed: "Sign-in failed: unknown token or certificate, or no name given.",
    sign_in_intro: "Sign in with your organisation's API token (or client certificate).",
    signed_in_as: "Signed in as",
    session_ended: "Your session expired. Please sign in again.",
    signed_out: "You are signed out.",
    form_expired: "This form expired or is not valid. Reload the page.",
    not_found: "Not found.",
    error: "Something went wrong.",
    index_building: "The overview is still being built; the figures are not complete yet.",
    message: "Message",
    kind: "Kind",
    state: "State",
    agb: "AGB code",
    municipality: "Municipality",
    accepted_at: "Accepted",
    xml_purged: "XML purged (retention period over)",
    identificatie: "Identificatie",
    declaration_number: "DeclaratieNummer",
    allocation_number: "ToewijzingNummer",
    bsn: "BSN",
    client: "Client",
    name: "Name",
    birth_date: "Date of birth",
    request_id: "request_id",
    period: "Period",
    from: "From",
    to: "To (included)",
    any: "Any",
    search: "Search",
    search_bsn: "Search by BSN",
    search_bsn_hint: "The BSN stays out of the address bar and out of the logs.",
    nothing_found: "No messages found.",
    older: "Older messages",
    count: "Count",
    code: "Code",
    text: "Description",
    source: "Source",
    due: "Due",
    working_days_left: "Working days left",
    rule: "Rule",
    owed_by: "By",
    by_municipality: "municipality",
    by_provider: "provider",
    expected: "Expected",
    reported_at: "Reported",
    counts_by_state: "Messages by state",
    due_soon: "Deadlines within two working days",
    refusals_30_days: "Refusals and retourcodes of the last 30 days",
    chart_per_week: "Messages per week, by kind",
    chart_claimed_granted: "Claimed and granted per month (323/325)",
    chart_refusals: "Refusals by retourcode (last 30 days)",
    claimed: "Claimed",
    granted: "Granted",
    chart_data: "Figures of the chart",
    week: "Week",
    month: "Month",
    clients: "Client data",
    reveal: "Show personal data",
    reveal_hint: "Every view is recorded in the access log (who, when, which message, which client).",
    revealed_logged: "This view is recorded in the access log.",
    conversation: "Conversation",
    conversation_more: "The conversation is longer; only its first messages are shown.",
    meldingen: "VECOZO's meldingen",
    resend: "Send again",
    resent: "Queued again: message",
    step_sent: "Sent",
    step_status: "Status",
    step_retour: "Retour",
    step_allocation: "Allocation",
    step_answer: "Answer",
    step_declaration_answer: "Claim answer",
    step_deadline_missed: "Deadline missed",
    step_quarantined: "Quarantined",
    accepted: "accepted",
    rejected: "rejected",
    no_verdict: "no 325 yet",
    line: "Line",
    reference_number: "ReferentieNummer",
    product: "Product",
    amount: "Amount",
    verdict: "Verdict",
    retourcodes: "Retourcodes",
    claimed_granted_of: "granted of claimed",
    refused_by_vecozo: "Refused by VECOZO",
    still_queued: "Still queued",
    attempts: "Attempts",
    why: "Why",
    why_not_pushed: "not pushed yet",
    why_retrying: "pushed, VECOZO could not be reached; the next attempt follows",
    why_off: "the VECOZO connection is off ([vecozo] mode)",
    open_terms: "Open deadlines",
    missed_terms: "Missed deadlines",
    overdue: "overdue",
    no_due_yet: "no end date yet",
    allocated: "Allocated",
    claimed_volume: "Claimed so far",
    start: "Start",
    end: "End",
    received_at: "Received",
    request: "Request",
    downloads_intro: "The messages of a period with the chain's answers, in the formats of `ketenpoort report` (without BSNs or names).",
    format: "Format",
    format_jsonl: "messages.jsonl (one message per line, with answers)",
    format_csv_messages: "messages.csv (one row per message)",
    format_csv_lines: "declaration-lines.csv (one row per claim line, with the 325's verdict)",
    download: "Download",
    access_log_intro: "Who viewed which personal data. The log cannot be changed.",
    export_csv: "Export (CSV)",
    when: "When",
    who: "Who",
    credential: "Signed in with",
    language: "Language",
    times_utc: "Times in UTC.",
    state_queued: "queued",
    state_delivered: "delivered",
    state_rejected: "refused by VECOZO",
    state_answered: "answered",
    state_missed: "deadline missed",
};
