use super::*;

#[test]
fn retour_codes_carry_the_path_of_the_part_they_judge() {
    let xml = "<Bericht xmlns=\"urn:x\"><Header><RetourCodes><RetourCode>0200</RetourCode>\
        </RetourCodes></Header><Client><AangevraagdeProducten>\
        <AangevraagdProduct><RetourCodes><RetourCode>0200</RetourCode></RetourCodes></AangevraagdProduct>\
        <AangevraagdProduct><RetourCodes><RetourCode>8017</RetourCode><RetourCode>9056</RetourCode></RetourCodes></AangevraagdProduct>\
        </AangevraagdeProducten></Client></Bericht>";
    let codes: Vec<(String, String)> = retour_codes(xml)
        .into_iter()
        .map(|c| (c.path, c.code))
        .collect();
    let at = |p: &str, c: &str| (p.to_owned(), c.to_owned());
    let product = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct";
    assert_eq!(
        codes,
        vec![
            at("/Bericht/Header", "0200"),
            at(&format!("{product}[1]"), "0200"),
            at(&format!("{product}[2]"), "8017"),
            at(&format!("{product}[2]"), "9056"),
        ]
    );
}

#[test]
fn unreadable_xml_gives_the_codes_read_before_the_error_and_does_not_panic() {
    let xml = "<Bericht><Header><RetourCodes><RetourCode>0001</RetourCode></RetourCodes></Header><Client></Bericht>";
    let codes = retour_codes(xml);
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].code, "0001");
    assert!(retour_codes("\u{0}<<>").is_empty());
}
