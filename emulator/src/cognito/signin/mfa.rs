//! Multi-factor authentication after the first factor: which factor the pool and the user
//! call for (`SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`), a choice (`SELECT_MFA_TYPE`) or a
//! set-up (`MFA_SETUP` when the pool requires MFA and the user has none), and the codes sent
//! to the outbox.

use serde_json::{Value, json};

use super::session::AuthSession;
use super::{Next, SignIn, params};
use crate::cognito::api::signup::mask;
use crate::cognito::error::Result;
use crate::cognito::model::Pool;
use crate::cognito::user::{MfaSettings, UserState};
use crate::outbox::Channel;
use crate::store::UserRow;

/// A second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    Sms,
    Email,
}

impl Factor {
    pub const ALL: [Factor; 3] = [Factor::Totp, Factor::Sms, Factor::Email];

    /// The challenge name (also the name in `MFAS_CAN_CHOOSE` and `PreferredMfaSetting`).
    pub fn challenge(self) -> &'static str {
        match self {
            Factor::Totp => "SOFTWARE_TOKEN_MFA",
            Factor::Sms => "SMS_MFA",
            Factor::Email => "EMAIL_OTP",
        }
    }

    /// The member of `ChallengeResponses` that carries the code.
    pub fn answer_key(self) -> &'static str {
        match self {
            Factor::Totp => "SOFTWARE_TOKEN_MFA_CODE",
            Factor::Sms => "SMS_MFA_CODE",
            Factor::Email => "EMAIL_OTP_CODE",
        }
    }

    pub fn from_challenge(name: &str) -> Option<Factor> {
        Self::ALL.into_iter().find(|f| f.challenge() == name)
    }

    /// Configured on the pool (SetUserPoolMfaConfig).
    pub fn on_pool(self, pool: &Pool) -> bool {
        let enabled = |key: &str| pool.settings.get(key).is_some_and(|v| !v.is_null());
        match self {
            Factor::Totp => pool
                .settings
                .get("SoftwareTokenMfaConfiguration")
                .and_then(|c| c.get("Enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            Factor::Sms => enabled("SmsMfaConfiguration"),
            Factor::Email => enabled("EmailMfaConfiguration"),
        }
    }

    /// Enabled by the user (SetUserMFAPreference) and usable: a verified app, a phone number,
    /// an email address.
    pub fn on_user(self, user: &UserRow, mfa: &MfaSettings) -> bool {
        match self {
            Factor::Totp => mfa.totp_enabled && mfa.totp_secret.is_some(),
            Factor::Sms => mfa.sms_enabled && user.attribute("phone_number").is_some(),
            Factor::Email => mfa.email_enabled && user.attribute("email").is_some(),
        }
    }
}

/// `OFF`, `ON` or `OPTIONAL`.
pub fn pool_mode(pool: &Pool) -> &str {
    pool.settings
        .get("MfaConfiguration")
        .and_then(Value::as_str)
        .unwrap_or("OFF")
}

/// What MFA asks of this user now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    None,
    One(Factor),
    Choose(Vec<Factor>),
    Setup(Vec<Factor>),
}

pub fn decide(pool: &Pool, user: &UserRow, mfa: &MfaSettings) -> Decision {
    let mode = pool_mode(pool);
    if mode == "OFF" {
        return Decision::None;
    }
    let usable: Vec<Factor> = Factor::ALL
        .into_iter()
        .filter(|f| f.on_pool(pool) && f.on_user(user, mfa))
        .collect();
    if let Some(p) = mfa.preferred.as_deref().and_then(Factor::from_challenge)
        && usable.contains(&p)
    {
        return Decision::One(p);
    }
    match usable.as_slice() {
        [] if mode == "ON" => {
            // A required MFA with nothing set up: SMS to a known phone number, as Cognito
            // does, else the user sets up an authenticator app.
            if Factor::Sms.on_pool(pool) && user.attribute("phone_number").is_some() {
                return Decision::One(Factor::Sms);
            }
            if Factor::Email.on_pool(pool) && user.attribute("email").is_some() {
                return Decision::One(Factor::Email);
            }
            Decision::Setup(
                [Factor::Totp]
                    .into_iter()
                    .filter(|f| f.on_pool(pool))
                    .collect(),
            )
        }
        [] => Decision::None,
        [one] => Decision::One(*one),
        many => Decision::Choose(many.to_vec()),
    }
}

fn names(factors: &[Factor]) -> String {
    json!(factors.iter().map(|f| f.challenge()).collect::<Vec<_>>()).to_string()
}

pub fn after_first_factor(si: &SignIn<'_>, u: UserRow, auth_flow: &str) -> Result<Next> {
    let state = UserState::of(&u);
    match decide(&si.pool, &u, &state.mfa) {
        Decision::None => Ok(Next::Authenticated(u)),
        Decision::One(f) => challenge(si, &u, f, auth_flow),
        Decision::Choose(fs) => {
            let s = AuthSession::new(si.cx, &si.client, &u.sub, "SELECT_MFA_TYPE", auth_flow);
            let p = params([
                ("MFAS_CAN_CHOOSE", names(&fs)),
                ("USER_ID_FOR_SRP", u.username.clone()),
            ]);
            si.challenge(&s, "SELECT_MFA_TYPE", p)
        }
        Decision::Setup(fs) => {
            let s = AuthSession::new(si.cx, &si.client, &u.sub, "MFA_SETUP", auth_flow);
            let p = params([
                ("MFAS_CAN_SETUP", names(&fs)),
                ("USER_ID_FOR_SRP", u.username.clone()),
            ]);
            si.challenge(&s, "MFA_SETUP", p)
        }
    }
}

/// The challenge of one factor; SMS and email codes go to the outbox.
pub fn challenge(si: &SignIn<'_>, u: &UserRow, f: Factor, auth_flow: &str) -> Result<Next> {
    let mut s = AuthSession::new(si.cx, &si.client, &u.sub, f.challenge(), auth_flow);
    let mut p = params([("USER_ID_FOR_SRP", u.username.clone())]);
    let delivery = match f {
        Factor::Totp => None,
        Factor::Sms => Some(("phone_number", Channel::Sms, "SMS")),
        Factor::Email => Some(("email", Channel::Email, "EMAIL")),
    };
    if let Some((attr, channel, medium)) = delivery {
        let to = u.attribute(attr).unwrap_or_default().to_owned();
        let code = si.cx.entropy.digits(6);
        let body = format!("Your authentication code is {code}");
        si.cx
            .outbox
            .send(channel, &to, f.challenge(), &si.pool.id, &code, body);
        si.code_sent(f.challenge(), &to);
        s.code = Some(code);
        p.insert("CODE_DELIVERY_DELIVERY_MEDIUM".into(), json!(medium));
        p.insert("CODE_DELIVERY_DESTINATION".into(), json!(mask(&to)));
    }
    si.challenge(&s, f.challenge(), p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn pool(settings: Value) -> Pool {
        let Value::Object(settings) = settings else {
            return pool(json!({}));
        };
        Pool {
            id: "us-east-1_x".into(),
            name: "x".into(),
            created: 0,
            modified: 0,
            settings,
            schema: vec![],
            domain: None,
        }
    }

    fn user(attrs: &[(&str, &str)]) -> UserRow {
        UserRow {
            id: 1,
            pool_id: "us-east-1_x".into(),
            username: "u".into(),
            username_key: "u".into(),
            sub: "s".into(),
            status: "CONFIRMED".into(),
            enabled: true,
            created: 0,
            modified: 0,
            attributes: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            doc: Value::Object(Map::new()),
        }
    }

    #[test]
    fn the_pool_and_the_user_decide_the_factor() {
        let totp = MfaSettings {
            totp_secret: Some("S".into()),
            totp_enabled: true,
            ..Default::default()
        };
        let both = MfaSettings {
            sms_enabled: true,
            ..totp.clone()
        };
        let all = json!({"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": true}, "SmsMfaConfiguration": {"SmsConfiguration": {}}});
        let phone = user(&[("phone_number", "+15550100")]);
        let none = MfaSettings::default();
        let check = |settings: Value, u: &UserRow, m: &MfaSettings, expect: Decision| {
            assert_eq!(decide(&pool(settings), u, m), expect);
        };
        check(
            json!({"MfaConfiguration": "OFF"}),
            &phone,
            &totp,
            Decision::None,
        );
        check(all.clone(), &phone, &none, Decision::None);
        check(all.clone(), &phone, &totp, Decision::One(Factor::Totp));
        check(
            all.clone(),
            &phone,
            &both,
            Decision::Choose(vec![Factor::Totp, Factor::Sms]),
        );
        let preferred = MfaSettings {
            preferred: Some("SMS_MFA".into()),
            ..both
        };
        check(all.clone(), &phone, &preferred, Decision::One(Factor::Sms));
        let on =
            json!({"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}});
        check(on, &user(&[]), &none, Decision::Setup(vec![Factor::Totp]));
    }
}
