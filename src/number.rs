//! Whole numbers from text, all through one parser, u64's: `str::parse`
//! for u32, i32 and u64 links one copy of the parser per type, about 600
//! bytes of the small build for the same answers (issue 21). Pure.
//!
//! The invariant: each function answers as `str::parse` for its type does
//! (a leading `+` is taken, no space, no other sign), None for its `Err`.

/// `text.parse::<u64>().ok()` in `radix`: `u64::from_str_radix`.
pub fn u64_radix(text: &str, radix: u32) -> Option<u64> {
    u64::from_str_radix(text, radix).ok()
}

/// `text.parse::<u32>().ok()`, in `radix`.
pub fn u32_radix(text: &str, radix: u32) -> Option<u32> {
    u32::try_from(u64_radix(text, radix)?).ok()
}

/// `text.parse::<u32>().ok()`.
pub fn u32(text: &str) -> Option<u32> {
    u32_radix(text, 10)
}

/// `text.parse::<i32>().ok()`: a `-` and the digits of at most 2^31, or
/// what `u32` takes, up to `i32::MAX`.
pub fn i32(text: &str) -> Option<i32> {
    match text.strip_prefix('-') {
        // u64's parser would take the `+` of `-+1`, which i32's refuses.
        Some(digits) if digits.starts_with('+') => None,
        Some(digits) => 0i32.checked_sub_unsigned(u32(digits)?),
        None => i32::try_from(u32(text)?).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answers_of_str_parse() {
        let texts = [
            "",
            "0",
            "7",
            "+7",
            "-7",
            "+",
            "-",
            "-0",
            "+0",
            "--1",
            "-+1",
            "+-1",
            "++1",
            " 1",
            "1 ",
            "1a",
            "007",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "4294967295",
            "4294967296",
            "-4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "١",
            "0x10",
            "1_000",
        ];
        for text in texts {
            assert_eq!(i32(text), text.parse::<i32>().ok(), "{text:?}");
            assert_eq!(u32(text), text.parse::<u32>().ok(), "{text:?}");
            assert_eq!(u64_radix(text, 10), text.parse::<u64>().ok(), "{text:?}");
            for radix in [8, 16] {
                let expected = u32::from_str_radix(text, radix).ok();
                assert_eq!(u32_radix(text, radix), expected, "{text:?} in {radix}");
            }
        }
    }

    proptest::proptest! {
        /// Signs, digits and overflow anywhere: the same answers as std's.
        #[test]
        fn any_text_parses_as_std_parses_it(text in "[-+0-9a ]{0,22}", n: i64) {
            for text in [text, n.to_string()] {
                proptest::prop_assert_eq!(i32(&text), text.parse::<i32>().ok(), "{:?}", text);
                proptest::prop_assert_eq!(u32(&text), text.parse::<u32>().ok(), "{:?}", text);
            }
        }
    }
}
