//! The rule catalog: every rule id of the iJw/iWmo 3.2 standard for these messages, with
//! where ketenpoort checks it, the tests that show it, or why it does not.
//!
//! It lists the restrictions, constraints and conditions (RS/CS/CD, from the condities-
//! constraints tables of both laws), every technical rule (TR: the XSLT-level, cross-message
//! and external-source sets of both laws) and every business rule (OP, bedrijfsregels).
//! `messages/tests/it/rules_catalog.rs` keeps it honest: every rule id in the source has an
//! entry, every test named here exists, every rule of the standard is here, and
//! `docs/RULES.md` is [`markdown`] of this catalog.
//!
//! This file is long because it is a table, one entry per rule.

/// Where a rule is checked (the standard's controleniveaus, plus business rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Level 1: the schema (XSD); VECOZO refuses the message (BRS13), no retour.
    Xsd,
    /// Level 2: one message on its own (VECOZO's XSLT check, BRS28, retourcode 0001).
    InMessage,
    /// Level 3: a message against the messages exchanged before it (berichtoverstijgend).
    CrossMessage,
    /// Level 4: a message against an external source (clock, CBS list, product list).
    ExternalSource,
    /// How the parties work: deadlines, agreements, duties outside any one message.
    Process,
}

impl Level {
    /// Every level, in the order of the rules table.
    pub const ALL: [Level; 5] = [
        Level::Xsd,
        Level::InMessage,
        Level::CrossMessage,
        Level::ExternalSource,
        Level::Process,
    ];

    /// The heading of the level's table in `docs/RULES.md`.
    pub fn title(self) -> &'static str {
        match self {
            Level::Xsd => "Level 1: schema (XSD)",
            Level::InMessage => "Level 2: in-message (XSLT check, retourcode 0001)",
            Level::CrossMessage => "Level 3: cross-message (berichtoverstijgend)",
            Level::ExternalSource => "Level 4: external source",
            Level::Process => "Process and business rules",
        }
    }
}

/// Whether ketenpoort checks a rule, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Checked; the entry names where and the tests that show it.
    Implemented,
    /// Checkable only with data that is not in the messages (contracts, lists, the clock).
    NeedsExternalData(&'static str),
    /// Not the provider's (and so not the gateway's) to check: the other party's duty, or
    /// nothing a message could show.
    NotTheProvidersToCheck(&'static str),
    /// To be built.
    Planned(&'static str),
}

impl Status {
    /// A short label for the rules table.
    pub fn label(self) -> &'static str {
        match self {
            Status::Implemented => "implemented",
            Status::NeedsExternalData(_) => "needs external data",
            Status::NotTheProvidersToCheck(_) => "not the provider's to check",
            Status::Planned(_) => "planned",
        }
    }

    /// The reason given for a status other than [`Status::Implemented`].
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Status::Implemented => None,
            Status::NeedsExternalData(r)
            | Status::NotTheProvidersToCheck(r)
            | Status::Planned(r) => Some(r),
        }
    }
}

/// One rule of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleEntry {
    /// The rule id: RSnnn, CSnnn, CDnnn, TRnnn or OPnnn(xn).
    pub id: &'static str,
    /// Where it is checked.
    pub level: Level,
    /// Whether it is checked.
    pub status: Status,
    /// The source file(s) that check it, and the messages it applies to.
    pub location: &'static str,
    /// Test functions that show it (by name; the catalog test checks that they exist).
    pub tests: &'static [&'static str],
}

const fn e(
    id: &'static str,
    level: Level,
    status: Status,
    location: &'static str,
    tests: &'static [&'static str],
) -> RuleEntry {
    RuleEntry {
        id,
        level,
        status,
        location,
        tests,
    }
}

use Level::{CrossMessage, ExternalSource, InMessage, Process, Xsd};
use Status::{Implemented, NeedsExternalData, NotTheProvidersToCheck, Planned};

/// Every rule, grouped by kind: schema, in-message, cross-message, external, business rules.
pub fn catalog() -> Vec<RuleEntry> {
    let mut all = Vec::with_capacity(256);
    all.extend_from_slice(SCHEMA);
    all.extend_from_slice(IN_MESSAGE);
    all.extend_from_slice(CROSS_MESSAGE);
    all.extend_from_slice(EXTERNAL);
    all.extend_from_slice(BUSINESS);
    for (id, location, rules) in ON_CROSS {
        all.push(resting_on(id, location, rules, CROSS_MESSAGE));
    }
    all
}

// === schema (RS, and the CS rules the XSD states) ===

const FACETS: &str = "messages/src/facets.rs, messages/src/types.rs (every message)";
/// Tests that exercise every facet: the ids, and the verdicts against xmllint.
const FACET_TESTS: &[&str] = &[
    "every_rs_rule_is_reported_with_its_id",
    "mutated_messages_get_xmllints_verdict",
];
const CODE_LENGTH: &str = "messages/src/codes.rs: a code longer than the list allows is not \
                           on the list (reported as XSD-enumeration)";

const SCHEMA: &[RuleEntry] = &[
    e("RS001", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS002", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS004", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS005", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS006", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS008", Xsd, Implemented, FACETS, FACET_TESTS),
    e(
        "RS009",
        Xsd,
        Implemented,
        CODE_LENGTH,
        &["mutated_messages_get_xmllints_verdict"],
    ),
    e(
        "RS010",
        Xsd,
        Implemented,
        CODE_LENGTH,
        &["mutated_messages_get_xmllints_verdict"],
    ),
    e("RS011", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS012", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS013", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS014", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS015", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS016", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS017", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS018", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS019", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS020", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS021", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS023", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS024", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS025", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS026", Xsd, Implemented, FACETS, FACET_TESTS),
    e(
        "RS028",
        Xsd,
        Implemented,
        FACETS,
        &[
            "every_rs_rule_is_reported_with_its_id",
            "violations_name_rule_path_and_never_quote_personal_data",
            "mutated_messages_get_xmllints_verdict",
        ],
    ),
    e("RS031", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS032", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS033", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS034", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS035", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS036", Xsd, Implemented, FACETS, FACET_TESTS),
    e(
        "RS037",
        Xsd,
        Implemented,
        FACETS,
        &[
            "every_rs_rule_is_reported_with_its_id",
            "violations_name_rule_path_and_never_quote_personal_data",
            "mutated_messages_get_xmllints_verdict",
        ],
    ),
    e("RS040", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS045", Xsd, Implemented, FACETS, FACET_TESTS),
    e("RS046", Xsd, Implemented, FACETS, FACET_TESTS),
    e(
        "RS047",
        Xsd,
        Implemented,
        "messages/src/model/header.rs (every message)",
        &[
            "every_rs_rule_is_reported_with_its_id",
            "a_wrong_bericht_code_is_invalid_with_rs047",
        ],
    ),
    e("RS048", Xsd, Implemented, FACETS, FACET_TESTS),
    e(
        "CS015",
        Xsd,
        Implemented,
        "messages/src/model/header.rs (every message; a fixed value in the XSD)",
        &["cs015_cs025_release_3_2"],
    ),
    e(
        "CS025",
        Xsd,
        Implemented,
        "messages/src/model/header.rs (every message; a fixed value in the XSD)",
        &["cs015_cs025_release_3_2"],
    ),
    e(
        "CS319",
        Xsd,
        Implemented,
        "messages/src/types.rs: DeclaratieNummer (323; a pattern in the XSD)",
        &["cs319_declaratie_nummer_letters_and_digits"],
    ),
];

// === in-message (controleniveau 2) ===

const ALLOCATION: &str = "messages/src/rules/allocation.rs (301)";
const CONTACT: &str = "messages/src/rules/allocation.rs: every Contact of a 301";
const LINES: &str = "messages/src/rules/common.rs: product lines of 301, 315, 317";
const REQUEST: &str = "messages/src/rules/allocation_request.rs (315)";
const CHANGE: &str = "messages/src/rules/allocation_request.rs (317)";
const ANSWER: &str = "messages/src/rules/allocation_request.rs (319)";
const CARE: &str = "messages/src/rules/care.rs (305, 307)";
const CLAIM: &str = "messages/src/rules/declaration.rs (323)";
const CLAIM_LINES: &str = "messages/src/rules/declaration.rs: Prestatie of 323 and 325";
const CLAIM_ANSWER: &str = "messages/src/rules/answer325.rs (325)";
const BIRTH: &str = "messages/src/rules/common.rs: Geboortedatum of 301 (client, relation), \
                     305, 307, 315";

const IN_MESSAGE: &[RuleEntry] = &[
    e(
        "CD005",
        InMessage,
        Implemented,
        CONTACT,
        &["cd005_land_code_with_postcode"],
    ),
    e(
        "CD007",
        InMessage,
        Implemented,
        ALLOCATION,
        &["cd007_taal_only_with_an_interpreter"],
    ),
    e(
        "CD009",
        InMessage,
        Implemented,
        CONTACT,
        &["cd009_periode_only_for_temporary_addresses"],
    ),
    e(
        "CD025",
        InMessage,
        Implemented,
        CONTACT,
        &["cd025_huis_in_the_netherlands"],
    ),
    e(
        "CD034",
        InMessage,
        Implemented,
        CONTACT,
        &["cd034_postcode_for_brp_and_residence_addresses"],
    ),
    e(
        "CD041",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd041_omvang_with_a_product_code",
            "cd041_omvang_with_a_product_code_in_requests",
        ],
    ),
    e("CD043", InMessage, Implemented, REQUEST, &["request_rules"]),
    e(
        "CD060",
        InMessage,
        Implemented,
        CLAIM_LINES,
        &[
            "cd060_tr315_tr316_credit_lines",
            "cd060_previous_reference_on_credit_lines_in_a_claim_answer",
        ],
    ),
    e("CD066", InMessage, Implemented, REQUEST, &["request_rules"]),
    e("CD067", InMessage, Implemented, REQUEST, &["request_rules"]),
    e("CD068", InMessage, Implemented, REQUEST, &["request_rules"]),
    e(
        "CD075",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd075_einddatum_with_a_budget",
            "cd075_end_date_with_a_budget_in_requests",
        ],
    ),
    e(
        "CD076",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd076_einddatum_with_per_week",
            "cd076_end_date_with_per_week_in_requests",
        ],
    ),
    e(
        "CD077",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd077_cd078_omvang_or_budget",
            "cd077_cd078_omvang_or_budget_in_requests",
        ],
    ),
    e(
        "CD078",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd077_cd078_omvang_or_budget",
            "cd077_cd078_omvang_or_budget_in_requests",
        ],
    ),
    e(
        "CD079",
        InMessage,
        Implemented,
        LINES,
        &[
            "cd079_product_without_a_budget",
            "cd079_product_without_a_budget_in_requests",
        ],
    ),
    e(
        "CD080",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs: ToegewezenProduct (301)",
        &["cd080_no_omvang_without_a_product_code"],
    ),
    e("CD085", InMessage, Implemented, ANSWER, &["answer_rules"]),
    e("CD086", InMessage, Implemented, ANSWER, &["answer_rules"]),
    e(
        "CD087",
        InMessage,
        Implemented,
        CLAIM,
        &["cd087_and_cs339_euro_lines"],
    ),
    e(
        "CD095",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs: AangevraagdProduct (315)",
        &["cd095_no_omvang_without_a_product_code_in_a_request"],
    ),
    e(
        "CD096",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs: NieuwProduct (317)",
        &["cd096_no_omvang_without_a_product_code_in_a_new_product"],
    ),
    e(
        "CS002",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs, bsn.rs: Bsn of 301, 305, 307, 315, 317, 323, 325",
        &[
            "cs002_bsn_eleven_test",
            "cs002_bsn_in_an_allocation",
            "cs002_bsn_in_a_claim_answer",
            "request_rules",
            "care_start_rules",
            "eleven_test",
            "eleven_test_edge_of_a_zero_sum",
        ],
    ),
    e(
        "CS003",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs, allocation.rs: product lines of 301, 315, 317 and the \
         Periode of a 301 Contact",
        &[
            "cs003_end_on_or_after_start",
            "cs003_end_on_or_after_start_in_requests",
        ],
    ),
    e(
        "CS050",
        InMessage,
        Implemented,
        "messages/src/rules/allocation.rs: Naam of client and relation (301)",
        &["cs050_naam_gebruik_with_and_without_partner"],
    ),
    e(
        "CS058",
        InMessage,
        Implemented,
        CARE,
        &["care_start_rules", "care_stop_rules"],
    ),
    e(
        "CS089",
        InMessage,
        Implemented,
        CONTACT,
        &["cs089_dutch_postcode_format"],
    ),
    e(
        "CS100",
        InMessage,
        Implemented,
        "messages/src/rules/declaration.rs: DeclaratiePeriode and ProductPeriode (323)",
        &[
            "cs340_and_cs100_declaration_period",
            "cs100_product_period_from_2021",
        ],
    ),
    e(
        "CS139",
        InMessage,
        Implemented,
        BIRTH,
        &[
            "cs139_datum_gebruik_matches_datum",
            "cs139_birth_date_in_a_request",
            "care_start_rules",
            "care_stop_duplicates_and_birth_dates",
        ],
    ),
    e(
        "CS318",
        InMessage,
        Implemented,
        ALLOCATION,
        &["cs318_the_client_is_a_natural_person"],
    ),
    e(
        "CS325",
        InMessage,
        Implemented,
        "messages/src/rules/declaration.rs, answer325.rs: totals and line amounts of 323 and 325",
        &[
            "tr358_total_is_debit_minus_credit_and_cs325_zero_is_debit",
            "cs325_zero_is_debit_in_a_claim_answer",
        ],
    ),
    e(
        "CS335",
        InMessage,
        Implemented,
        ALLOCATION,
        &["cs335_deleted_only_when_ingangsdatum_is_einddatum"],
    ),
    e(
        "CS336",
        InMessage,
        Implemented,
        ALLOCATION,
        &["cs336_reden_wijziging_01_is_not_used"],
    ),
    e(
        "CS337",
        InMessage,
        Implemented,
        CLAIM,
        &["cs337_tr137_tr335_product_period"],
    ),
    e(
        "CS338",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs: ToegewezenProduct (301), NieuwProduct and \
         TeWijzigenProduct (317)",
        &[
            "cs338_frequency_of_per_period_units",
            "cs338_frequency_of_per_period_units_in_a_change_request",
        ],
    ),
    e(
        "CS339",
        InMessage,
        Implemented,
        CLAIM,
        &["cd087_and_cs339_euro_lines"],
    ),
    e(
        "CS340",
        InMessage,
        Implemented,
        CLAIM,
        &["cs340_and_cs100_declaration_period"],
    ),
    e(
        "CS343",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs: AangevraagdProduct (315)",
        &["cs343_frequency_of_per_period_units_in_a_request"],
    ),
    e(
        "TR002",
        InMessage,
        Implemented,
        BIRTH,
        &[
            "request_rules",
            "tr002_birth_date_of_client_and_relation",
            "care_start_rules",
        ],
    ),
    e(
        "TR006",
        InMessage,
        Implemented,
        CONTACT,
        &["tr006_contact_needs_a_phone_or_house_and_postcode"],
    ),
    e("TR018", InMessage, Implemented, CARE, &["care_stop_rules"]),
    e(
        "TR061",
        InMessage,
        Implemented,
        ALLOCATION,
        &["tr061_the_client_has_a_brp_correspondence_or_residence_address"],
    ),
    e(
        "TR101",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs and each message's module: the logical keys of every \
         class of 301, 305, 307, 315, 317, 323, 325",
        &[
            "tr101_no_duplicate_lines_in_an_allocation",
            "tr101_no_duplicate_lines_in_requests",
            "tr101_no_duplicate_lines_in_a_claim",
            "tr101_no_duplicate_lines_in_a_claim_answer",
            "care_start_rules",
            "care_stop_duplicates_and_birth_dates",
        ],
    ),
    e(
        "TR134",
        InMessage,
        Implemented,
        "messages/src/rules/common.rs, care.rs, declaration.rs, answer325.rs: birth dates \
         (301, 305, 307, 315), Begindatum (305), Einddatum (307), DeclaratieDagtekening (323), \
         the claim's Dagtekening (325)",
        &[
            "tr134_birth_date_not_after_dagtekening",
            "tr134_declaratie_dagtekening_not_after_dagtekening",
            "tr134_claim_date_not_after_the_answer",
            "request_rules",
            "care_stop_rules",
        ],
    ),
    e(
        "TR137",
        InMessage,
        Implemented,
        CLAIM_LINES,
        &[
            "cs337_tr137_tr335_product_period",
            "tr137_product_period_in_a_claim_answer",
        ],
    ),
    e(
        "TR302",
        InMessage,
        Implemented,
        ALLOCATION,
        &[
            "tr302_no_overlapping_allocations_of_one_product",
            "tr302_iwmo_categories_11_to_14_may_overlap",
        ],
    ),
    e(
        "TR315",
        InMessage,
        Implemented,
        CLAIM,
        &["cd060_tr315_tr316_credit_lines"],
    ),
    e(
        "TR316",
        InMessage,
        Implemented,
        CLAIM,
        &["cd060_tr315_tr316_credit_lines"],
    ),
    e(
        "TR335",
        InMessage,
        Implemented,
        CLAIM,
        &["cs337_tr137_tr335_product_period"],
    ),
    e(
        "TR342",
        InMessage,
        Implemented,
        CLAIM_ANSWER,
        &["tr342_only_rejected_prestaties_are_listed"],
    ),
    e(
        "TR352",
        InMessage,
        Implemented,
        CHANGE,
        &["tr352_tr353_tr380_change_request_rules"],
    ),
    e(
        "TR353",
        InMessage,
        Implemented,
        CHANGE,
        &["tr352_tr353_tr380_change_request_rules"],
    ),
    e(
        "TR358",
        InMessage,
        Implemented,
        CLAIM,
        &["tr358_total_is_debit_minus_credit_and_cs325_zero_is_debit"],
    ),
    e(
        "TR377",
        InMessage,
        Implemented,
        "messages/src/rules/allocation_request.rs (319, iJw)",
        &["answer_rules"],
    ),
    e(
        "TR380",
        InMessage,
        Implemented,
        CHANGE,
        &["tr352_tr353_tr380_change_request_rules"],
    ),
    e(
        "TR383",
        InMessage,
        Implemented,
        REQUEST,
        &["request_rules", "tr101_no_duplicate_lines_in_requests"],
    ),
    e(
        "TR386",
        InMessage,
        Implemented,
        REQUEST,
        &[
            "request_rules",
            "tr386_overlap_at_category_level_and_without_product",
            "tr386_tr410_iwmo_categories_11_to_14_may_overlap",
        ],
    ),
    e(
        "TR409",
        InMessage,
        Implemented,
        "messages/src/rules/allocation_request.rs (319, iJw)",
        &["answer_rules"],
    ),
    e(
        "TR410",
        InMessage,
        Implemented,
        CHANGE,
        &[
            "tr386_tr410_iwmo_categories_11_to_14_may_overlap",
            "tr101_no_duplicate_lines_in_requests",
        ],
    ),
    e(
        "TR416",
        InMessage,
        Implemented,
        CLAIM,
        &[
            "tr416_one_debit_line_per_allocation_product_and_period",
            "tr416_scope_is_the_claim_not_the_client",
        ],
    ),
];

// ===== BEGIN cross-message rules (berichtoverstijgend) =====
// Owned by the cross-message rules in messages/src/rules/cross/ (the History trait): when a
// rule lands there, change its entry here (status, location, tests). One entry per line.

const X_CLAIM: &str =
    "messages/src/rules/cross/declaration.rs (323 against allocations and earlier claims)";
const X_ANSWER: &str = "messages/src/rules/cross/declaration.rs (325 against its 323)";
const X_BSN: &str = "messages/src/rules/cross/declaration.rs (323, 325), request.rs (317)";
const X_UNIT: &str = "messages/src/rules/cross/declaration.rs (323); against an allocation \
                      with Omvang (without: the unit of the contract, not in the messages)";
const X_CARE: &str = "messages/src/rules/cross/care.rs (305, 307)";
const X_REQUEST: &str = "messages/src/rules/cross/request.rs (315, 317)";
const X_CHANGE: &str = "messages/src/rules/cross/request.rs (317)";
const X_ANSWER319: &str = "messages/src/rules/cross/request.rs (319, as the provider receives it)";
const X_ALLOCATION: &str =
    "messages/src/rules/cross/allocation.rs (301, as the provider receives it)";
const X_ID: &str = "messages/src/rules/cross/mod.rs (every heen message)";

const CROSS_MESSAGE: &[RuleEntry] = &[
    e(
        "TR019",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr019_start_and_stop_refer_to_an_allocation_of_the_client"],
    ),
    e(
        "TR056",
        CrossMessage,
        Implemented,
        X_ID,
        &["tr056_identificatie_unique_per_sender_and_type"],
    ),
    e(
        "TR063",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr063_a_deletion_needs_an_earlier_delivery"],
    ),
    e(
        "TR071",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr071_no_deleting_a_start_that_was_stopped"],
    ),
    e(
        "TR074",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr074_a_new_start_or_stop_key_is_not_in_force_already"],
    ),
    e(
        "TR304",
        CrossMessage,
        Implemented,
        X_BSN,
        &[
            "tr304_allocation_of_another_client",
            "tr350_tr351_tr304_kept_and_changed_products_are_current_allocations_of_the_client",
            "tr366_tr367_tr304_the_325_lines_are_the_claimed_ones",
        ],
    ),
    e(
        "TR307",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr307_tr308_period_within_the_allocation"],
    ),
    e(
        "TR308",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &[
            "tr307_tr308_period_within_the_allocation",
            "domain_scenario_a_claim_with_valid_and_broken_lines",
        ],
    ),
    e(
        "TR314",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &[
            "tr314_reference_number_unique",
            "domain_scenario_a_claim_with_valid_and_broken_lines",
        ],
    ),
    e(
        "TR318",
        CrossMessage,
        NeedsExternalData(
            "whether care was delivered in every period is not in the messages; checked: the \
             DeclaratiePeriode is not before the latest one claimed (IV090)",
        ),
        X_CLAIM,
        &["tr318_period_not_before_the_latest_iv090"],
    ),
    e(
        "TR319",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr319_product_period_not_after_the_declaration_period"],
    ),
    e(
        "TR321",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &[
            "tr321_volume_per_period_iv077_iv078",
            "tr321_iwmo_household_help_may_claim_six_weeks",
            "domain_scenario_a_claim_with_valid_and_broken_lines",
        ],
    ),
    e(
        "TR322",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr322_total_over_the_allocation_iv077"],
    ),
    e(
        "TR323",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr323_credit_equals_an_approved_debit_iv091"],
    ),
    e(
        "TR326",
        CrossMessage,
        Implemented,
        X_CARE,
        &[
            "tr326_no_new_start_before_the_current_one_is_stopped",
            "iv008_delete_and_replace_a_start_in_one_message",
        ],
    ),
    e(
        "TR332",
        CrossMessage,
        NotTheProvidersToCheck(
            "uniqueness over all allocations of a municipality; a provider sees only its own. \
             Checked: a number it knows keeps its client and product",
        ),
        X_ALLOCATION,
        &["tr332_a_toewijzing_nummer_keeps_its_client_and_product"],
    ),
    e(
        "TR333",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr333_declaration_number_unique"],
    ),
    e(
        "TR337",
        CrossMessage,
        Implemented,
        X_ANSWER,
        &["tr376_tr337_tr371_the_325_answers_a_sent_claim"],
    ),
    e(
        "TR338",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr338_line_without_allocation"],
    ),
    e(
        "TR339",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr339_tr340_product_of_the_allocation"],
    ),
    e(
        "TR340",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr339_tr340_product_of_the_allocation"],
    ),
    e(
        "TR341",
        CrossMessage,
        Implemented,
        X_UNIT,
        &[
            "tr341_unit_of_the_allocation",
            "tr321_volume_per_period_iv077_iv078",
        ],
    ),
    e(
        "TR347",
        CrossMessage,
        Implemented,
        X_REQUEST,
        &["tr347_reference_unique_for_the_provider"],
    ),
    e(
        "TR349",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr349_the_vow_holds_every_current_allocation"],
    ),
    e(
        "TR350",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr350_tr351_tr304_kept_and_changed_products_are_current_allocations_of_the_client"],
    ),
    e(
        "TR351",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr350_tr351_tr304_kept_and_changed_products_are_current_allocations_of_the_client"],
    ),
    e(
        "TR355",
        CrossMessage,
        Implemented,
        X_ANSWER319,
        &["tr355_an_answer_refers_to_a_request"],
    ),
    e(
        "TR357",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr357_a_change_not_in_the_future_starts_at_the_allocation"],
    ),
    e(
        "TR359",
        CrossMessage,
        Implemented,
        X_ANSWER319,
        &["tr359_no_answer_after_an_allocation"],
    ),
    e(
        "TR360",
        CrossMessage,
        Implemented,
        X_ANSWER319,
        &["tr360_tr365_at_most_one_in_onderzoek_then_a_decision"],
    ),
    e(
        "TR361",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr361_no_overlapping_periods_of_one_product"],
    ),
    e(
        "TR365",
        CrossMessage,
        Implemented,
        X_ANSWER319,
        &["tr360_tr365_at_most_one_in_onderzoek_then_a_decision"],
    ),
    e(
        "TR366",
        CrossMessage,
        Implemented,
        X_ANSWER,
        &["tr366_tr367_tr304_the_325_lines_are_the_claimed_ones"],
    ),
    e(
        "TR367",
        CrossMessage,
        Implemented,
        X_ANSWER,
        &["tr366_tr367_tr304_the_325_lines_are_the_claimed_ones"],
    ),
    e(
        "TR369",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr369_budget_over_the_allocation"],
    ),
    e(
        "TR371",
        CrossMessage,
        Implemented,
        X_ANSWER,
        &["tr376_tr337_tr371_the_325_answers_a_sent_claim"],
    ),
    e(
        "TR373",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr373_a_new_budget_or_total_covers_the_whole_allocation"],
    ),
    e(
        "TR374",
        CrossMessage,
        Implemented,
        X_REQUEST,
        &["tr374_one_open_request_per_client"],
    ),
    e(
        "TR375",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr375_tr411_tr412_omvang_follows_the_allocated_product"],
    ),
    e(
        "TR376",
        CrossMessage,
        Implemented,
        X_ANSWER,
        &["tr376_tr337_tr371_the_325_answers_a_sent_claim"],
    ),
    e(
        "TR379",
        CrossMessage,
        NotTheProvidersToCheck(
            "whether a 301 honours a request is the municipality's decision. Checked: a filled \
             ReferentieAanbieder is that of an earlier 315/317 for the client",
        ),
        X_ALLOCATION,
        &["tr379_a_filled_reference_answers_a_request_of_the_client"],
    ),
    e(
        "TR382",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr382_a_stop_repeats_the_key_of_a_start_in_force"],
    ),
    e(
        "TR384",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &[
            "tr384_no_claim_on_a_removed_allocation",
            "domain_scenario_a_claim_with_valid_and_broken_lines",
        ],
    ),
    e(
        "TR385",
        CrossMessage,
        Implemented,
        X_ALLOCATION,
        &["tr385_no_removing_an_allocation_with_approved_lines"],
    ),
    e(
        "TR387",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr387_tr388_period_bounds_follow_iv089"],
    ),
    e(
        "TR388",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr387_tr388_period_bounds_follow_iv089"],
    ),
    e(
        "TR389",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr389_one_debit_per_allocation_product_and_period"],
    ),
    e(
        "TR390",
        CrossMessage,
        Implemented,
        X_CLAIM,
        &["tr390_credit_only_once"],
    ),
    e(
        "TR411",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr375_tr411_tr412_omvang_follows_the_allocated_product"],
    ),
    e(
        "TR412",
        CrossMessage,
        Implemented,
        X_CHANGE,
        &["tr375_tr411_tr412_omvang_follows_the_allocated_product"],
    ),
    e(
        "TR413",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr413_tr414_tr415_stops_after_a_stop"],
    ),
    e(
        "TR414",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr413_tr414_tr415_stops_after_a_stop"],
    ),
    e(
        "TR415",
        CrossMessage,
        Implemented,
        X_CARE,
        &["tr413_tr414_tr415_stops_after_a_stop"],
    ),
    e(
        "TR418",
        CrossMessage,
        Implemented,
        AMOUNTS,
        &[
            "iv081_worked_example_87_24_an_hour_for_240_minutes",
            "tr346_with_the_contract_tariff_per_unit",
        ],
    ),
];

// ===== END cross-message rules =====

// === external source (controleniveau 4) ===

/// Where the claim's amounts are checked against the contract tariff (TR346, TR418).
const AMOUNTS: &str = "messages/src/rules/amounts.rs (323): exactly against the contract \
                       tariff of the tariff table or of the request; without one, TR346 as far \
                       as the message shows (IV081)";

const EXTERNAL: &[RuleEntry] = &[
    e(
        "TR135",
        ExternalSource,
        Implemented,
        "messages/src/rules/clock.rs: the receiver's system date, applied by the simulated \
         municipality to every message it receives; the gateway writes the Dagtekening of what \
         it sends from its own clock",
        &["tr135_dagtekening_not_after_the_system_date"],
    ),
    e(
        "TR346",
        ExternalSource,
        Implemented,
        AMOUNTS,
        &[
            "iv081_worked_example_87_24_an_hour_for_240_minutes",
            "iv081_rounds_the_minute_tariff_half_away_from_zero",
            "tr346_with_the_contract_tariff_per_unit",
            "tr346_without_a_table_is_exact_for_every_unit_but_minutes",
            "tr346_without_a_table_on_minutes_allows_what_some_hourly_tariff_gives",
        ],
    ),
    e(
        "TR378",
        ExternalSource,
        NeedsExternalData("the CBS list of municipality codes valid on the message date"),
        "-",
        &[],
    ),
    e(
        "TR381",
        ExternalSource,
        NeedsExternalData("the product code list (productcodelijst) of the law"),
        "-",
        &[],
    ),
];

// === business rules (bedrijfsregels, OP) ===

const MUNICIPALITY: Status =
    NotTheProvidersToCheck("the municipality's duty; nothing in the message shows a breach");
const AGREEMENT: Status = NotTheProvidersToCheck("an agreement or judgement outside the messages");
const CONTRACT: Status = NeedsExternalData("the contract between municipality and provider");
const GUIDANCE: Status =
    NotTheProvidersToCheck("guidance on how to work; nothing in a message to reject");
const GATEWAY: Status = Planned("the gateway's message handling (ketenpoort serve, not built)");
/// Where the gateway watches the answers a municipality owes (OP090, OP090x4, OP274/OP346).
const WATCHED: &str = "gateway/src/deadlines.rs (terms), gateway/src/deadline_check.rs and \
                       store::expectations (DeadlineMissed events); the provider's own 302/320 \
                       are queued with the 301/319 (gateway/src/retour.rs) or, answered by hand \
                       (SubmitRetour), watched as a duty (gateway/src/store/duties.rs)";
const WATCHED_TESTS: &[&str] = &[
    "a_missing_301_is_reported_once_after_its_due_date_and_not_again_after_a_restart",
    "a_message_nobody_answered_goes_to_deadline_missed_once_per_expected_answer",
    "a_manual_301_gets_no_302_until_the_tenant_sends_one_and_then_exactly_one",
];
/// Where the gateway keeps the provider's own 305/307 terms (OP271, OP272).
const CARE_TERMS: &str = "gateway/src/store/duties.rs (terms, what the gateway cannot know) and \
                          its writer part in store/sled_store/duties.rs: judged when the \
                          305/307 is submitted (late: accepted, reported once as DeadlineMissed); \
                          a 307 awaited after a 305 until its allocation's Einddatum + 5 \
                          working days";
const CARE_TERMS_TESTS: &[&str] = &[
    "a_305_or_307_after_its_term_is_accepted_and_reported_once",
    "an_ended_allocation_is_owed_a_307_within_five_working_days_reported_once",
];
const XSD_STRUCTURE: &str = "messages/src/xml (the schema's cardinalities, every message)";

const BUSINESS: &[RuleEntry] = &[
    e("OP001", Process, MUNICIPALITY, "-", &[]),
    e("OP002", Process, MUNICIPALITY, "-", &[]),
    e("OP002x1", Process, MUNICIPALITY, "-", &[]),
    e("OP002x2", Process, MUNICIPALITY, "-", &[]),
    e("OP003", Process, AGREEMENT, "-", &[]),
    e(
        "OP011",
        InMessage,
        Implemented,
        "TR134 on the Begindatum of a 305: messages/src/rules/care.rs",
        &["care_start_rules"],
    ),
    e("OP033x1", Process, MUNICIPALITY, "-", &[]),
    e(
        "OP033x2",
        InMessage,
        Implemented,
        "CS058: messages/src/rules/care.rs (305, 307)",
        &["care_start_rules", "care_stop_rules"],
    ),
    e("OP039", Process, GUIDANCE, "-", &[]),
    e(
        "OP043",
        ExternalSource,
        NeedsExternalData("PGB decisions are not in the messages"),
        "-",
        &[],
    ),
    e(
        "OP047",
        Process,
        Implemented,
        "messages::read and rules::check, applied by ketenpoort validate \
         (gateway/src/cli/validate.rs)",
        &[
            "a_wrong_bericht_code_is_invalid_with_rs047",
            "a_schema_valid_message_that_breaks_an_in_message_rule_is_invalid",
        ],
    ),
    e("OP065", Process, GATEWAY, "-", &[]),
    e(
        "OP071",
        InMessage,
        Implemented,
        "TR101 on Relatie/Nummer within a 301: messages/src/rules/allocation.rs; across 301s \
         the municipality's administration",
        &["tr101_no_duplicate_lines_in_an_allocation"],
    ),
    e(
        "OP076",
        Xsd,
        Implemented,
        XSD_STRUCTURE,
        &["mutated_messages_get_xmllints_verdict"],
    ),
    e(
        "OP079",
        Xsd,
        Implemented,
        "Bsn is required (XSD) and passes the 11-proef (CS002)",
        &[
            "mutated_messages_get_xmllints_verdict",
            "cs002_bsn_eleven_test",
        ],
    ),
    e("OP080", Process, GATEWAY, "-", &[]),
    e("OP086", Process, MUNICIPALITY, "-", &[]),
    e("OP087", Process, MUNICIPALITY, "-", &[]),
    e("OP090", Process, Implemented, WATCHED, WATCHED_TESTS),
    e("OP090x2", Process, GATEWAY, "-", &[]),
    e("OP090x4", Process, Implemented, WATCHED, WATCHED_TESTS),
    e(
        "OP091",
        InMessage,
        Implemented,
        "Soort is required (XSD); TR006 and TR061: messages/src/rules/allocation.rs",
        &[
            "tr006_contact_needs_a_phone_or_house_and_postcode",
            "tr061_the_client_has_a_brp_correspondence_or_residence_address",
        ],
    ),
    e("OP095", Process, GUIDANCE, "-", &[]),
    e(
        "OP130",
        InMessage,
        Implemented,
        "Naam is required (XSD); TR006 on the relation's Contact: \
         messages/src/rules/allocation.rs",
        &["tr006_contact_needs_a_phone_or_house_and_postcode"],
    ),
    e(
        "OP179",
        Process,
        Implemented,
        "messages/src/message.rs (ReadLimits, VECOZO_MAX_PAYLOAD_BYTES); gateway validate (BRS06)",
        &[
            "oversized_input_is_refused_without_parsing",
            "a_file_over_the_size_limit_is_refused_with_brs06",
        ],
    ),
    e("OP186", Process, AGREEMENT, "-", &[]),
    e("OP191", Process, GUIDANCE, "-", &[]),
    e(
        "OP192",
        Process,
        Implemented,
        "messages/src/xml/write.rs (UTF-8 without BOM, CR/LF, one element per line)",
        &["every_written_message_has_the_op192_form"],
    ),
    e(
        "OP252",
        InMessage,
        Implemented,
        "CS139: messages/src/rules/common.rs",
        &["cs139_datum_gebruik_matches_datum"],
    ),
    e(
        "OP254",
        Xsd,
        Implemented,
        "Afzender/Ontvanger are AGB codes or CBS codes: messages/src/model/header.rs",
        &["every_rs_rule_is_reported_with_its_id"],
    ),
    e("OP257", Process, MUNICIPALITY, "-", &[]),
    e("OP258", Process, MUNICIPALITY, "-", &[]),
    e(
        "OP259",
        InMessage,
        Implemented,
        "TR302 within a 301: messages/src/rules/allocation.rs",
        &["tr302_no_overlapping_allocations_of_one_product"],
    ),
    e("OP261", ExternalSource, CONTRACT, "-", &[]),
    e("OP262", ExternalSource, CONTRACT, "-", &[]),
    e("OP263", ExternalSource, CONTRACT, "-", &[]),
    e("OP264", ExternalSource, CONTRACT, "-", &[]),
    e("OP270", Process, AGREEMENT, "-", &[]),
    e("OP271", Process, Implemented, CARE_TERMS, CARE_TERMS_TESTS),
    e("OP272", Process, Implemented, CARE_TERMS, CARE_TERMS_TESTS),
    e("OP274", Process, Implemented, WATCHED, WATCHED_TESTS),
    e(
        "OP280",
        InMessage,
        Implemented,
        "one DeclaratiePeriode (XSD) of one month (CS340): messages/src/rules/declaration.rs",
        &["cs340_and_cs100_declaration_period"],
    ),
    e(
        "OP281",
        Xsd,
        Implemented,
        XSD_STRUCTURE,
        &["the_writer_refuses_an_invalid_model"],
    ),
    e(
        "OP284",
        Process,
        NeedsExternalData("whether care was delivered in every period"),
        "-",
        &[],
    ),
    e("OP286", Process, GATEWAY, "-", &[]),
    e("OP295", Process, GUIDANCE, "-", &[]),
    e("OP296", ExternalSource, CONTRACT, "-", &[]),
    e(
        "OP297",
        Process,
        NeedsExternalData("whether the provider knows the referrer's code"),
        "-",
        &[],
    ),
    e("OP298", Process, AGREEMENT, "-", &[]),
    e("OP299", Process, AGREEMENT, "-", &[]),
    e("OP303", Process, MUNICIPALITY, "-", &[]),
    e(
        "OP304",
        InMessage,
        Implemented,
        "TR342: messages/src/rules/answer325.rs",
        &["tr342_only_rejected_prestaties_are_listed"],
    ),
    e("OP305", ExternalSource, CONTRACT, "-", &[]),
    e("OP306", Process, GUIDANCE, "-", &[]),
    e(
        "OP307",
        Process,
        NeedsExternalData("the referral or open decision the client brings"),
        "-",
        &[],
    ),
    e(
        "OP343",
        InMessage,
        Implemented,
        "TR380: messages/src/rules/allocation_request.rs (317)",
        &["tr352_tr353_tr380_change_request_rules"],
    ),
    e("OP346", Process, Implemented, WATCHED, WATCHED_TESTS),
    e(
        "OP347",
        InMessage,
        Implemented,
        "TR386 and TR410 within a request: messages/src/rules/allocation_request.rs; TR361 \
         across requests is cross-message",
        &[
            "tr386_overlap_at_category_level_and_without_product",
            "tr386_tr410_iwmo_categories_11_to_14_may_overlap",
        ],
    ),
    e("OP348", Process, MUNICIPALITY, "-", &[]),
    e(
        "OP354",
        InMessage,
        Implemented,
        "TR335: messages/src/rules/declaration.rs",
        &["cs337_tr137_tr335_product_period"],
    ),
    e(
        "OP359",
        InMessage,
        Implemented,
        "TR377 and TR409 (iJw 319): messages/src/rules/allocation_request.rs; the two-week \
         term is the municipality's",
        &["answer_rules"],
    ),
    e("OP364", Process, GUIDANCE, "-", &[]),
    e(
        "OP367",
        InMessage,
        Implemented,
        "CS337: messages/src/rules/declaration.rs",
        &["cs337_tr137_tr335_product_period"],
    ),
    e("OP379", Process, GUIDANCE, "-", &[]),
    e("OP380", Process, MUNICIPALITY, "-", &[]),
];

/// Business rules that rest on cross-message rules, with the rules they rest on: their status
/// follows those entries (see [`resting_on`]).
const ON_CROSS: &[(&str, &str, &[&str])] = &[
    (
        "OP033",
        "TR071, TR074: messages/src/rules/cross/",
        &["TR071", "TR074"],
    ),
    (
        "OP072",
        "TR019, TR382: messages/src/rules/cross/",
        &["TR019", "TR382"],
    ),
    ("OP155", "TR382: messages/src/rules/cross/", &["TR382"]),
    ("OP267", "TR341: messages/src/rules/cross/", &["TR341"]),
    ("OP275", "TR332: messages/src/rules/cross/", &["TR332"]),
    (
        "OP276",
        "TR307, TR308: messages/src/rules/cross/",
        &["TR307", "TR308"],
    ),
    (
        "OP279",
        "TR307, TR308: messages/src/rules/cross/",
        &["TR307", "TR308"],
    ),
    (
        "OP283",
        "TR314, TR323: messages/src/rules/cross/",
        &["TR314", "TR323"],
    ),
    ("OP288", "TR382: messages/src/rules/cross/", &["TR382"]),
    ("OP289", "TR326: messages/src/rules/cross/", &["TR326"]),
    (
        "OP302",
        "TR338, TR339, TR340, TR369: messages/src/rules/cross/",
        &["TR338", "TR339", "TR340", "TR369"],
    ),
    (
        "OP308",
        "TR349, TR350, TR351: messages/src/rules/cross/",
        &["TR349", "TR350", "TR351"],
    ),
    (
        "OP344",
        "TR355, TR359, TR360, TR365, TR379: messages/src/rules/cross/",
        &["TR355", "TR359", "TR360", "TR365", "TR379"],
    ),
    (
        "OP345",
        "TR357, TR373: messages/src/rules/cross/",
        &["TR357", "TR373"],
    ),
    ("OP349", "TR333: messages/src/rules/cross/", &["TR333"]),
    ("OP350", "TR374: messages/src/rules/cross/", &["TR374"]),
    (
        "OP355",
        "TR337, TR376: messages/src/rules/cross/",
        &["TR337", "TR376"],
    ),
    ("OP360", "TR390: messages/src/rules/cross/", &["TR390"]),
    ("OP361", "TR347: messages/src/rules/cross/", &["TR347"]),
    ("OP362", "TR385: messages/src/rules/cross/", &["TR385"]),
    ("OP363", "TR019: messages/src/rules/cross/", &["TR019"]),
    (
        "OP365",
        "TR321, TR322: messages/src/rules/cross/",
        &["TR321", "TR322"],
    ),
    (
        "OP366",
        "TR321, TR322: messages/src/rules/cross/",
        &["TR321", "TR322"],
    ),
    (
        "OP368",
        "TR387, TR388: messages/src/rules/cross/",
        &["TR387", "TR388"],
    ),
    (
        "OP377",
        "TR414, TR415: messages/src/rules/cross/",
        &["TR414", "TR415"],
    ),
    ("OP378", "TR413: messages/src/rules/cross/", &["TR413"]),
];

/// The entry of a business rule that rests on cross-message rules: implemented when they are
/// (rules a provider cannot check, or only in part, do not count against it), planned while
/// one of them is planned, else the status of the first. Its tests are those of the first
/// implemented rule.
fn resting_on(
    id: &'static str,
    location: &'static str,
    rules: &[&str],
    cross: &[RuleEntry],
) -> RuleEntry {
    let entries: Vec<&RuleEntry> = rules
        .iter()
        .filter_map(|r| cross.iter().find(|e| e.id == *r))
        .collect();
    let implemented = entries.iter().find(|e| e.status == Implemented);
    let planned = entries
        .iter()
        .find(|e| matches!(e.status, Planned(_)))
        .map(|e| e.status);
    let status = match (planned, implemented) {
        (Some(p), _) => p,
        (None, Some(_)) => Implemented,
        (None, None) => entries
            .first()
            .map_or(Planned("cross-message rules"), |e| e.status),
    };
    e(
        id,
        CrossMessage,
        status,
        location,
        if status == Implemented {
            implemented.map_or(&[], |e| e.tests)
        } else {
            &[]
        },
    )
}

// === decisions and where each rule is checked ===

/// Decisions the rule text leaves to the implementer, with their reason: shown next to the
/// rule in `docs/RULES.md`.
const NOTES: &[(&str, &str)] = &[
    (
        "CS002",
        "the 11-proef exactly as the rule and elfproef.md state it: (9·d1 + 8·d2 + … + 2·d8 − \
         d9) mod 11 = 0, nothing more; 100000009 (9 − 9 = 0) passes",
    ),
    (
        "TR416",
        "scope: the whole claim, not one client. The rule's logical key is ProductPeriode, \
         ProductCategorie, ProductCode and ToewijzingNummer, without the Bsn; a \
         ToewijzingNummer is unique within a municipality and law (TR332) and a claim is for \
         one municipality and law, so the key names one allocation whichever client a line \
         stands under (the same key as TR389 across claims)",
    ),
    (
        "TR346",
        "with a tariff table (or a contract tariff in the request) exactly, IV081 included; \
         without one, exactly for every unit but minuut, and a minuut line's amount must be \
         one that some hourly tariff whose minute tariff rounds to its ProductTarief gives",
    ),
    (
        "TR418",
        "only with a tariff table, or a contract tariff in the request",
    ),
];

/// The note next to rule `id` in `docs/RULES.md`, if it has one.
pub fn note(id: &str) -> Option<&'static str> {
    NOTES.iter().find(|(n, _)| *n == id).map(|(_, text)| *text)
}

/// Message numbers a provider receives (the municipality sends them).
const RECEIVED: [&str; 3] = ["301", "319", "325"];
/// Every message number of the standard.
const NUMBERS: [&str; 14] = [
    "301", "302", "305", "306", "307", "308", "315", "316", "317", "318", "319", "320", "323",
    "325",
];

/// Whether a rule applies only to what the provider receives (301, 319, 325), by the messages
/// its location names; a business rule resting on cross-message rules, by those rules.
fn received_only(r: &RuleEntry, all: &[RuleEntry]) -> bool {
    if r.location.contains("as the provider receives it") || r.location.contains("against its 323")
    {
        return true;
    }
    if let Some((_, _, rules)) = ON_CROSS.iter().find(|(id, _, _)| *id == r.id) {
        return rules.iter().all(|id| {
            all.iter()
                .find(|e| e.id == *id)
                .is_some_and(|e| received_only(e, all))
        });
    }
    let named: Vec<&str> = NUMBERS
        .iter()
        .copied()
        .filter(|n| r.location.contains(n))
        .collect();
    !named.is_empty() && named.iter().all(|n| RECEIVED.contains(n))
}

/// Where a rule is checked, for the summary of `docs/RULES.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// By the gateway at submit, before anything is stored (a dry run shows it).
    pub at_submit: bool,
    /// By the gateway on a 301 or 319 it collects; the automatic 302/320 carry the
    /// retourcodes.
    pub on_receipt: bool,
    /// Rules of a received 325 (against its 323): in the library, for a provider's own use;
    /// nothing answers a 325.
    pub on_a_325: bool,
    /// By the simulated municipality (ketenpoort-sim: its ketencontrole and bot).
    pub by_simulator: bool,
    /// Only with a tariff table (or a contract tariff in the request), or fully only then.
    pub needs_tariff_table: bool,
    /// Not the provider's to check at all (in full; some are checked in the part a provider
    /// can see).
    pub provider_cannot: bool,
}

/// Where `r` (an entry of `all`) is checked.
pub fn checked(r: &RuleEntry, all: &[RuleEntry]) -> Checked {
    let implemented = r.status == Implemented;
    let received = received_only(r, all);
    let checkable =
        implemented && matches!(r.level, Xsd | InMessage | CrossMessage | ExternalSource);
    // Rules that are not the provider's, checked in the part the provider sees (TR332, TR379).
    let in_part = matches!(r.status, NotTheProvidersToCheck(_)) && !r.tests.is_empty();
    let table = matches!(r.id, "TR346" | "TR418");
    // About a 325: its location says so, or every rule it rests on is.
    let about_325 = match ON_CROSS.iter().find(|(id, _, _)| *id == r.id) {
        Some((_, _, rules)) => rules.iter().all(|id| {
            all.iter()
                .find(|e| e.id == *id)
                .is_some_and(|e| e.location.contains("325"))
        }),
        None => r.location.contains("325"),
    };
    Checked {
        // TR135: the gateway dates what it sends with its own clock.
        at_submit: checkable && !received && r.id != "TR135",
        on_receipt: (checkable || in_part) && received && r.level != ExternalSource && !about_325,
        on_a_325: checkable && received && about_325,
        by_simulator: checkable && !received,
        needs_tariff_table: table,
        provider_cannot: matches!(r.status, NotTheProvidersToCheck(_)),
    }
}

fn id_list(all: &[RuleEntry], pick: impl Fn(&Checked) -> bool) -> String {
    let ids: Vec<&str> = all
        .iter()
        .filter(|r| pick(&checked(r, all)))
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        "none".into()
    } else {
        format!("{} ({})", ids.join(", "), ids.len())
    }
}

/// The "where each rule is checked" section of `docs/RULES.md`.
fn where_checked(all: &[RuleEntry]) -> String {
    let mut out = String::from("\n## Where each rule is checked\n\n");
    out.push_str(&format!(
        "- **At submit** (the gateway refuses the request before storing anything; \
         `validate_only` and `submit --dry-run` show the same): {}.\n",
        id_list(all, |c| c.at_submit)
    ));
    out.push_str(&format!(
        "- **On receipt** of a 301 or 319 (the automatic 302/320 carry the retourcodes of the \
         rules broken: 0001 in the header for in-message rules, the rule's own code on the \
         class it judges for cross-message rules): {}.\n",
        id_list(all, |c| c.on_receipt)
    ));
    out.push_str(&format!(
        "- **On a received 325** (in `rules::check` and `rules::cross` for a provider's own \
         use; nothing is sent back on a 325): {}.\n",
        id_list(all, |c| c.on_a_325)
    ));
    out.push_str(&format!(
        "- **By the simulated municipality** (ketenpoort-sim's ketencontrole and bot, on every \
         305, 307, 315, 317 and 323; TR346 and TR418 with the scenario's tariff table): {}.\n",
        id_list(all, |c| c.by_simulator)
    ));
    out.push_str(&format!(
        "- **Only with a tariff table** (or a contract tariff in the request; TR346 is checked \
         without one only as far as the message shows): {}.\n",
        id_list(all, |c| c.needs_tariff_table)
    ));
    out.push_str(&format!(
        "- **Not the provider's to check at all** (the municipality's duty or data; where a \
         part is visible to the provider, that part is checked, see the reason): {}.\n",
        id_list(all, |c| c.provider_cannot)
    ));
    out
}

// === docs/RULES.md ===

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `docs/RULES.md`: a summary and one table per [`Level`] (id, status, where, tests, reason).
pub fn markdown() -> String {
    let all = catalog();
    let implemented = all.iter().filter(|r| r.status == Implemented).count();
    let in_message: Vec<&RuleEntry> = all.iter().filter(|r| is_in_message_id(r)).collect();
    let in_message_done = in_message
        .iter()
        .filter(|r| r.status == Implemented)
        .count();
    let mut out = String::new();
    out.push_str("# Rules of the iJw/iWmo 3.2 standard in ketenpoort\n\n");
    out.push_str(
        "Generated from `messages/src/rules/catalog.rs`; do not edit by hand. To regenerate:\n\
         `UPDATE_RULES_MD=1 cargo test -p ketenpoort-messages --test it rules_catalog::`.\n\n",
    );
    out.push_str(&format!(
        "{} rules: the RS/CS/CD rules of the condities-constraints tables, every technical rule \
         (TR) and every business rule (OP) of both laws. {} are implemented. In-message rules \
         (CD, CS and the XSLT-level TRs): {} of {} implemented ({:.1}%).\n\n",
        all.len(),
        implemented,
        in_message_done,
        in_message.len(),
        percentage(in_message_done, in_message.len()),
    ));
    out.push_str(
        "Where a rule applies to several messages, \"where\" names the messages. No CD, CS or \
         TR rule names a retour message (302, 306, 308, 316, 318, 320).\n",
    );
    out.push_str(&where_checked(&all));
    for level in Level::ALL {
        out.push_str(&format!("\n## {}\n\n", level.title()));
        out.push_str("| id | status | where | tests | reason |\n|---|---|---|---|---|\n");
        for r in all.iter().filter(|r| r.level == level) {
            let tests: Vec<String> = r.tests.iter().map(|t| format!("`{t}`")).collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                r.id,
                r.status.label(),
                cell(r.location),
                tests.join(", "),
                cell(r.status.reason().or(note(r.id)).unwrap_or("")),
            ));
        }
    }
    out
}

/// An in-message id for the coverage figure: a CD or CS rule, or an XSLT-level TR.
pub fn is_in_message_id(r: &RuleEntry) -> bool {
    r.id.starts_with("CD")
        || r.id.starts_with("CS")
        || (r.id.starts_with("TR") && r.level == InMessage)
}

fn percentage(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}
