//! How the store keeps the XML of a sent message (`x/`): LZ4-compressed behind a marker byte.
//!
//! A JW323 of 20 prestaties is 15 kB of XML that compresses several-fold (one element per
//! line, the same tags over and over). Uncompressed, sled kept up to 16 such values in a tree
//! leaf, over its inline limit, and wrote every rewrite of such a leaf to a new blob file
//! (docs/PERFORMANCE.md). Values written before this format are plain XML, which starts
//! with `<` (or a byte-order mark), never with the marker, and still read.

use crate::error::Error;

/// First byte of a compressed value: LZ4 block, uncompressed length as u32 LE before it.
const LZ4: u8 = 0x01;

/// Largest XML a stored value may claim to hold; VECOZO's limit is 25 MB. A larger claim
/// is a damaged value, refused before anything is allocated for it.
const MAX_XML: usize = 64 * 1024 * 1024;

/// The stored form of `xml`.
pub fn encode(xml: &str) -> Vec<u8> {
    let compressed = lz4_flex::compress_prepend_size(xml.as_bytes());
    let mut value = Vec::with_capacity(compressed.len() + 1);
    value.push(LZ4);
    value.extend_from_slice(&compressed);
    value
}

/// The XML of a stored value, compressed or (written before compression) plain.
pub fn decode(value: &[u8]) -> Result<String, Error> {
    let bytes = match value.split_first() {
        Some((&LZ4, rest)) => {
            let claimed = rest
                .get(..4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| damaged("too short"))?;
            if usize::try_from(claimed).map_or(true, |n| n > MAX_XML) {
                return Err(damaged("claims more than 64 MiB"));
            }
            lz4_flex::decompress_size_prepended(rest).map_err(|e| damaged(&e.to_string()))?
        }
        _ => value.to_vec(),
    };
    String::from_utf8(bytes).map_err(|_| Error::Store("stored XML is not UTF-8".into()))
}

fn damaged(why: &str) -> Error {
    Error::Store(format!("stored XML is damaged: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<jw323:Bericht>\r\n\
                       <jw323:Header>\r\n</jw323:Header>\r\n</jw323:Bericht>\r\n";

    #[test]
    fn round_trip_and_smaller_for_repetitive_xml() {
        let xml = XML.repeat(200);
        let stored = encode(&xml);
        assert_eq!(stored[0], LZ4);
        assert!(
            stored.len() * 4 < xml.len(),
            "{} of {}",
            stored.len(),
            xml.len()
        );
        assert_eq!(decode(&stored).expect("decodes"), xml);
    }

    #[test]
    fn plain_values_of_earlier_versions_still_read() {
        assert_eq!(decode(XML.as_bytes()).expect("plain"), XML);
        let bom = format!("\u{feff}{XML}");
        assert_eq!(decode(bom.as_bytes()).expect("with BOM"), bom);
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let stored = encode(XML);
        for cut in 0..stored.len() {
            let _ = decode(&stored[..cut]);
        }
        let mut huge = vec![LZ4];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(b"xyz");
        assert!(decode(&huge).is_err());
        assert!(decode(&[LZ4]).is_err());
        let mut flipped = stored.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        let _ = decode(&flipped);
    }
}
