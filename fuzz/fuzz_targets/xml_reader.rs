//! The XML reader on arbitrary bytes: `read` (and, on a message it accepts, the in-message
//! rules and writing it back), and the generic well-formedness check. Must never panic.
#![no_main]

use ketenpoort_messages::{ReadLimits, check_well_formed, read, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits::default();
    let _ = check_well_formed(data, limits);
    if let Ok(message) = read(data, limits) {
        let _ = rules::check_capped(&message, ketenpoort_messages::MAX_VIOLATIONS);
        // What the reader accepts, the writer writes and the reader reads back the same.
        let xml = message
            .to_xml()
            .expect("an accepted message is schema-valid");
        let again = read(xml.as_bytes(), limits).expect("written XML reads back");
        assert_eq!(again, message);
    }
});
