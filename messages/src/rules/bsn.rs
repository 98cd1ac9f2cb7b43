//! CS002: the 11-proef of a BSN (burgerservicenummer).
//!
//! The rule text (CS002, "De waarde moet voldoen aan de 11-proef") and the standard's
//! `elfproef.md` give one condition: `(9·d1 + 8·d2 + … + 2·d8 − 1·d9) mod 11 = 0`. Nothing
//! more is demanded: a weighted sum of 0 is divisible by 11, so `100000009` (9·1 − 9 = 0)
//! passes, as does `000000000`. Test BSNs (999900006–999999990) pass it like any other.

/// True when `bsn` is nine ASCII digits with 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11): the
/// 11-proef exactly as the standard states it (CS002).
pub fn bsn_valid(bsn: &str) -> bool {
    let b = bsn.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = |i: usize| i64::from(b[i] - b'0');
    let sum: i64 = (0..8).map(|i| (9 - i as i64) * d(i)).sum::<i64>() - d(8);
    sum.rem_euclid(11) == 0
}

#[cfg(test)]
mod tests {
    use super::bsn_valid;

    #[test]
    fn eleven_test() {
        // 111222333: 9+8+7+2·6+2·5+2·4+3·3+3·2 − 3 = 66 = 6·11.
        assert!(bsn_valid("111222333"));
        // elfproef.md's example 123456782: 9+16+21+24+25+24+21+16 − 2 = 154 = 14·11.
        assert!(bsn_valid("123456782"));
        // 123456789: 156 − 9 = 147 = 13·11 + 4.
        assert!(!bsn_valid("123456789"));
        assert!(!bsn_valid("12345678"));
        assert!(!bsn_valid("1234567820"));
        assert!(!bsn_valid("12345678a"));
    }

    #[test]
    fn eleven_test_edge_of_a_zero_sum() {
        // 100000009: 9·1 − 1·9 = 0, and 0 mod 11 = 0: the formula is met (the edge).
        assert!(bsn_valid("100000009"));
        // 000000000: every term 0, sum 0: met as well; the rule asks nothing else.
        assert!(bsn_valid("000000000"));
        // 100000008: 9 − 8 = 1: refused. 100000010: 9 + 2·1 − 0 = 11: passes.
        assert!(!bsn_valid("100000008"));
        assert!(bsn_valid("100000010"));
        // A negative sum: 000000001 gives −1 ≡ 10 (mod 11): refused.
        assert!(!bsn_valid("000000001"));
        // 000000011: 2·1 − 1 = 1: refused. 010000008: 8·1 − 8 = 0: passes.
        assert!(!bsn_valid("000000011"));
        assert!(bsn_valid("010000008"));
        // The first test BSN of elfproef.md, 999900006: 9·9 + 8·9 + 7·9 + 6·9 − 6 = 264 =
        // 24·11: passes.
        assert!(bsn_valid("999900006"));
    }
}
