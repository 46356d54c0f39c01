//! Property: for random authenticator knobs, users, origins and login counts, every
//! registration and assertion the virtual authenticator produces is accepted by webauthn-rs,
//! which reports the flags and counters the knobs imply.

// Integration tests: helpers outside #[test] fns may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{RP_ID, Rp};
use harness::authenticator::{
    Attachment, AttestationFormat, AuthenticatorConfig, CounterMode, VirtualAuthenticator,
};
use proptest::prelude::*;

fn counter_mode() -> impl Strategy<Value = CounterMode> {
    prop_oneof![
        Just(CounterMode::PerCredential),
        Just(CounterMode::Global),
        Just(CounterMode::AlwaysZero),
    ]
}

fn format() -> impl Strategy<Value = AttestationFormat> {
    prop_oneof![
        Just(AttestationFormat::None),
        Just(AttestationFormat::PackedSelf)
    ]
}

fn attachment() -> impl Strategy<Value = Attachment> {
    prop_oneof![Just(Attachment::Platform), Just(Attachment::CrossPlatform)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_ceremonies_verify_with_webauthn_rs(
        name in "[a-z]{1,12}",
        counter in counter_mode(),
        attestation in format(),
        attachment in attachment(),
        aaguid in any::<[u8; 16]>(),
        backup in (any::<bool>(), any::<bool>()),
        id_len in 16usize..=1023,
        subdomain in any::<bool>(),
        logins in 1usize..=3,
        seed in any::<u64>(),
    ) {
        let config = AuthenticatorConfig {
            aaguid,
            attachment,
            attestation,
            counter,
            backup_eligible: backup.0,
            backup_state: backup.1,
            credential_id_len: id_len,
            ..AuthenticatorConfig::platform_passkey()
        };
        let mut device = VirtualAuthenticator::with_seed(config, seed).unwrap();
        let rp = Rp::new();
        let origin = match subdomain {
            true => format!("https://login.{RP_ID}"),
            false => format!("https://{RP_ID}"),
        };
        let mut passkey = rp.try_register_passkey(&mut device, &name, &origin).unwrap();
        prop_assert_eq!(passkey.cred_id().len(), id_len);
        for login in 0..logins {
            let result = rp.login_at(&mut device, &passkey, &origin).unwrap();
            prop_assert!(result.user_verified());
            prop_assert_eq!(result.backup_eligible(), backup.0);
            prop_assert_eq!(result.backup_state(), backup.0 && backup.1);
            let expect = match counter {
                CounterMode::AlwaysZero => 0,
                _ => u32::try_from(login).unwrap() + 2,
            };
            prop_assert_eq!(result.counter(), expect);
            passkey.update_credential(&result);
        }
    }
}
