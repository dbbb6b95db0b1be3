//! The SIP header values we read ourselves: Authorization, Contact lists,
//! From/P-Asserted-Identity, a Refer-To's Replaces.
#![no_main]

use centrala_sip::headers::{parse_authorization, replaces_of, split_contacts, user_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_authorization(text);
        for c in split_contacts(text) {
            let _ = user_of(Some(c));
        }
        let _ = user_of(Some(text.to_owned()));
        let _ = replaces_of(text);
    }
});
