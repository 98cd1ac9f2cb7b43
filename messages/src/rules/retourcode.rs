//! Rule → retourcode (WJ001) as the standard's rule files give it.
//!
//! In-message rules (controleniveau 2, the XSLT check) answer with 0001 for the whole
//! message; cross-message rules have their own code (TRnnn → 9nnn, with exceptions); XSD-level
//! restrictions (RSnnn) have none: VECOZO refuses the message (BRS13) before any retour.

/// The retourcode a municipality or the chain uses for a broken `rule`, if there is one.
pub fn retourcode(rule: &str) -> Option<&'static str> {
    if rule.starts_with("CS") || rule.starts_with("CD") {
        return Some("0001");
    }
    let code = match rule {
        // Controleniveau 2: bericht inhoud (xslt).
        "TR002" | "TR006" | "TR018" | "TR061" | "TR101" | "TR134" | "TR137" | "TR302" | "TR315"
        | "TR316" | "TR335" | "TR342" | "TR352" | "TR353" | "TR358" | "TR377" | "TR380"
        | "TR383" | "TR386" | "TR409" | "TR410" | "TR416" => "0001",
        // Cross-message rules with a code of their own.
        "TR304" => "8187",
        "TR314" => "8021",
        "TR318" => "8214",
        "TR323" => "8017",
        "TR382" => "9069",
        "TR418" => "0611",
        "TR135" => "8848",
        "TR378" => "S300",
        "TR381" => "S329",
        "TR019" => "9019",
        "TR056" => "9056",
        "TR063" => "9063",
        "TR071" => "9071",
        "TR074" => "9074",
        "TR307" => "9307",
        "TR308" => "9308",
        "TR319" => "9319",
        "TR321" => "9321",
        "TR322" => "9322",
        "TR326" => "9326",
        "TR332" => "9332",
        "TR333" => "9333",
        "TR338" => "9338",
        "TR339" => "9339",
        "TR340" => "9340",
        "TR341" => "9341",
        "TR346" => "9346",
        "TR347" => "9347",
        "TR349" => "9349",
        "TR350" => "9350",
        "TR351" => "9351",
        "TR355" => "9355",
        "TR357" => "9357",
        "TR359" => "9359",
        "TR360" => "9360",
        "TR361" => "9361",
        "TR365" => "9365",
        "TR366" => "9366",
        "TR367" => "9367",
        "TR369" => "9369",
        "TR373" => "9373",
        "TR374" => "9374",
        "TR375" => "9375",
        "TR379" => "9379",
        "TR384" => "9384",
        "TR385" => "9385",
        "TR387" => "9387",
        "TR388" => "9388",
        "TR389" => "9389",
        "TR390" => "9390",
        "TR411" => "9411",
        "TR412" => "9412",
        "TR413" => "9413",
        "TR414" => "9414",
        "TR415" => "9415",
        _ => return None,
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::retourcode;
    use crate::codes::RetourCode;

    #[test]
    fn codes_follow_the_rule_files_and_exist_in_the_codelist() {
        assert_eq!(retourcode("TR358"), Some("0001"));
        assert_eq!(retourcode("CS002"), Some("0001"));
        assert_eq!(retourcode("TR314"), Some("8021"));
        assert_eq!(retourcode("TR338"), Some("9338"));
        assert_eq!(retourcode("RS028"), None);
        assert_eq!(retourcode("XSD-required"), None);
        for n in 0..1000 {
            let rule = format!("TR{n:03}");
            if let Some(code) = retourcode(&rule) {
                assert!(
                    RetourCode::from_code(code).is_some(),
                    "{rule} → {code} is not in LDT_RetourCode"
                );
            }
        }
    }
}
