//! Fuzzes the ListUsers filter parser (`emulator::cognito::filter::parse`, pure): it returns a
//! filter, no filter or an error, and never panics. Beside that, what its contract promises:
//! over 256 characters is `TooLong` (checked first), blank is no filter, a parsed attribute
//! is one of the searchable ones by its exact name, a parsed value is no longer than the
//! input. There is no printer of a `Filter`, so no round trip.
#![no_main]

use emulator::cognito::filter::{FilterErrorKind, MAX_FILTER_LEN, SearchAttribute, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let got = parse(input);
    let too_long = input.chars().count() > MAX_FILTER_LEN;
    match &got {
        Err(e) => {
            assert_eq!(e.kind == FilterErrorKind::TooLong, too_long, "{input:?}");
            assert!(!e.message.is_empty());
        }
        Ok(None) => assert!(!too_long && input.trim().is_empty(), "{input:?}"),
        Ok(Some(f)) => {
            assert!(!too_long, "{input:?}");
            assert_eq!(
                SearchAttribute::from_name(f.attribute.as_str()),
                Some(f.attribute)
            );
            assert!(input.contains(f.attribute.as_str()), "{input:?}");
            assert!(f.value.chars().count() < input.chars().count(), "{input:?}");
        }
    }
    // Pure: the same input, the same answer.
    assert_eq!(parse(input), got);
});
