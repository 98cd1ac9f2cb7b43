//! CS002: the 11-proef of a BSN (burgerservicenummer).

/// True when `bsn` is nine digits with 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11) and not 0.
pub fn bsn_valid(bsn: &str) -> bool {
    let b = bsn.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = |i: usize| i64::from(b[i] - b'0');
    let sum: i64 = (0..8).map(|i| (9 - i as i64) * d(i)).sum::<i64>() - d(8);
    sum % 11 == 0 && sum != 0
}

#[cfg(test)]
mod tests {
    use super::bsn_valid;

    #[test]
    fn eleven_test() {
        // 111222333: 9+8+7+2·6+2·5+2·4+3·3+3·2 − 3 = 66 = 6·11.
        assert!(bsn_valid("111222333"));
        // 123456782: 9+16+21+24+25+24+21+16 − 2 = 154 = 14·11.
        assert!(bsn_valid("123456782"));
        assert!(!bsn_valid("123456789"));
        assert!(!bsn_valid("000000000"));
        assert!(!bsn_valid("12345678"));
    }
}
