//! One-time codes of the hosted experience: generation, the outbox message, and the pure
//! check (expiry, single use, failed-attempt lockout, resend rate limit) per the app's config.

use serde_json::json;

use super::config::{Identifier, OtpConfig};
use super::error::ApiError;
use super::model::OtpState;
use super::{Idp, sha256_b64};
use crate::journal::EventKind;
use crate::outbox::Channel;

/// Whether a new code may be sent now (pure).
pub fn may_send(previous: Option<&OtpState>, cfg: &OtpConfig, now_ms: i64) -> Result<(), ApiError> {
    let Some(p) = previous else { return Ok(()) };
    if p.failures >= cfg.max_attempts {
        return Err(locked());
    }
    if p.sends >= cfg.max_sends {
        return Err(ApiError::new(
            429,
            "otp_send_limit",
            format!(
                "no more than {} codes may be sent for one sign-in; start again",
                cfg.max_sends
            ),
        ));
    }
    let wait_ms = p.last_sent_ms + cfg.resend_interval_secs * 1000 - now_ms;
    if wait_ms > 0 {
        return Err(ApiError::new(
            429,
            "otp_rate_limited",
            format!(
                "wait {} seconds before requesting another code",
                (wait_ms + 999) / 1000
            ),
        ));
    }
    Ok(())
}

fn locked() -> ApiError {
    ApiError::new(
        429,
        "otp_locked",
        "too many wrong codes: this sign-in is locked; start again",
    )
}

/// Checks `code` against the state (pure). Counts a failure; the caller persists the state.
pub fn check(otp: &mut OtpState, cfg: &OtpConfig, code: &str, now_ms: i64) -> Result<(), ApiError> {
    if otp.failures >= cfg.max_attempts {
        return Err(locked());
    }
    if otp.used {
        return Err(ApiError::bad("otp_used", "this code was already used"));
    }
    if now_ms > otp.expires_ms {
        return Err(ApiError::bad(
            "otp_expired",
            "this code has expired; request a new one",
        ));
    }
    if sha256_b64(code.trim().as_bytes()) != otp.code_hash {
        otp.failures += 1;
        if otp.failures >= cfg.max_attempts {
            return Err(locked());
        }
        let left = cfg.max_attempts - otp.failures;
        return Err(ApiError::bad(
            "otp_invalid",
            format!("wrong code; {left} attempts left"),
        ));
    }
    otp.used = true;
    Ok(())
}

/// Generates a code, puts the message in the outbox and returns the new state.
pub fn send(
    idp: &Idp,
    previous: Option<&OtpState>,
    cfg: &OtpConfig,
    identifier: Identifier,
    destination: &str,
    client_id: &str,
    flow: &str,
) -> Result<OtpState, ApiError> {
    let now = idp.now_ms();
    may_send(previous, cfg, now)?;
    let code = idp.entropy.digits(cfg.length);
    let minutes = (cfg.ttl_secs + 59) / 60;
    let (channel, body) = match identifier {
        Identifier::Email => (
            Channel::Email,
            format!("Your verification code is {code}. It expires in {minutes} minutes."),
        ),
        Identifier::Phone => (
            Channel::Sms,
            format!("{code} is your verification code. It expires in {minutes} minutes."),
        ),
    };
    let delivery = idp
        .outbox
        .send(channel, destination, "otp", client_id, &code, body);
    let mut detail = json!({"channel": channel, "destination": destination});
    if let Some(fault) = delivery.fault() {
        detail["fault"] = fault.into();
    }
    idp.record(EventKind::MessageSent, "otp.sent", Some(flow), detail);
    Ok(OtpState {
        code_hash: sha256_b64(code.as_bytes()),
        destination: destination.to_owned(),
        expires_ms: now + cfg.ttl_secs * 1000,
        failures: previous.map_or(0, |p| p.failures),
        sends: previous.map_or(0, |p| p.sends) + 1,
        last_sent_ms: now,
        used: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(code: &str) -> OtpState {
        OtpState {
            code_hash: sha256_b64(code.as_bytes()),
            destination: "a@x.test".into(),
            expires_ms: 1_000,
            failures: 0,
            sends: 1,
            last_sent_ms: 0,
            used: false,
        }
    }

    #[test]
    fn wrong_codes_lock_after_max_attempts() {
        let cfg = OtpConfig::default();
        let mut s = state("123456");
        for left in (1..cfg.max_attempts).rev() {
            let e = check(&mut s, &cfg, "000000", 10).unwrap_err();
            assert_eq!(
                (e.name, e.message.contains(&left.to_string())),
                ("otp_invalid", true)
            );
        }
        assert_eq!(
            check(&mut s, &cfg, "000000", 10).unwrap_err().name,
            "otp_locked"
        );
        assert_eq!(
            check(&mut s, &cfg, "123456", 10).unwrap_err().name,
            "otp_locked"
        );
        assert_eq!(
            may_send(Some(&s), &cfg, 1_000_000).unwrap_err().name,
            "otp_locked"
        );
    }

    #[test]
    fn expiry_single_use_and_resend_interval() {
        let cfg = OtpConfig::default();
        let mut s = state("123456");
        assert_eq!(
            check(&mut s.clone(), &cfg, "123456", 1_001)
                .unwrap_err()
                .name,
            "otp_expired"
        );
        check(&mut s, &cfg, " 123456 ", 10).unwrap();
        assert_eq!(
            check(&mut s, &cfg, "123456", 10).unwrap_err().name,
            "otp_used"
        );
        assert_eq!(
            may_send(Some(&s), &cfg, 29_999).unwrap_err().name,
            "otp_rate_limited"
        );
        may_send(Some(&s), &cfg, 30_000).unwrap();
    }
}
