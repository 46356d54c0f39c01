//! Property tests: a ListUsers filter printed and parsed again is the same filter; any
//! username (an email on the default pool) is accepted once, and refused again in any case.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use emulator::cognito::filter::{self, Filter, MatchType, SearchAttribute};
use proptest::prelude::*;

fn filters() -> impl Strategy<Value = Filter> {
    let attribute = proptest::sample::select(SearchAttribute::ALL.to_vec());
    let match_type = prop_oneof![Just(MatchType::Exact), Just(MatchType::Prefix)];
    // Any characters, quotes, backslashes and spaces at either end included.
    let value = "(\\PC|[\"\\\\ ]){0,80}";
    (attribute, match_type, value).prop_map(|(attribute, match_type, value)| Filter {
        attribute,
        match_type,
        value,
    })
}

proptest! {
    #[test]
    fn a_printed_filter_parses_back_to_itself(f in filters()) {
        let text = f.to_string();
        prop_assume!(text.chars().count() <= filter::MAX_FILTER_LEN);
        prop_assert_eq!(filter::parse(&text), Ok(Some(f)));
    }
}

/// Local parts of an email: letters of any case and the punctuation emails allow.
fn local_parts() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,30}"
}

/// Creates random emails twice on a pool: the first creation is accepted; the second, with the
/// same email or (`insensitive`) another capitalisation of it, is refused.
fn accepted_once(insensitive: bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = emulator::Config::default_config();
    config.cognito.pools[0].username_case_sensitive = Some(!insensitive);
    let emu = rt.block_on(common::start_with(config));
    let config = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    let seen = std::sync::Mutex::new(std::collections::HashSet::new());
    proptest!(config, |(local in local_parts(), upper in any::<bool>())| {
        let email = format!("{local}@example.com");
        // Names already generated are skipped: the property is about a fresh name.
        prop_assume!(seen.lock().unwrap().insert(email.to_lowercase()));
        let again = if upper && insensitive { email.to_uppercase() } else { email.clone() };
        let create = |name: String| {
            let sdk = emu.sdk.clone();
            rt.block_on(async move {
                sdk.admin_create_user()
                    .user_pool_id(common::POOL)
                    .username(&name)
                    .user_attributes(common::attr("email", &name))
                    .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| common::code(&e))
            })
        };
        prop_assert_eq!(create(email.clone()), Ok(()));
        prop_assert_eq!(create(again), Err("UsernameExistsException".to_owned()));
    });
}

/// The default pool (case-sensitive, the API's default): an email is taken once.
#[test]
fn any_username_is_accepted_once() {
    accepted_once(false);
}

/// A case-insensitive pool: an email is taken once in every capitalisation (AWS: "treats any
/// variation in case as the same user").
#[test]
fn any_username_is_accepted_once_in_any_case_when_the_pool_ignores_case() {
    accepted_once(true);
}
