//! Interaction steps: loading, the identifier, OTP send and verify, and completion (code,
//! session). Every step and rejection is journaled with the interaction id as the flow id.

use serde_json::{Value, json};

use crate::idp::config::Identifier;
use crate::idp::error::ApiError;
use crate::idp::model::{Interaction, POOL, Step, load};
use crate::idp::oidc::authorize::{issue_code, new_grant, start_session};
use crate::idp::{App, Idp, otp};
use crate::journal::EventKind;
use crate::store::IdpUserRow;

/// A live interaction and its app.
pub fn open(idp: &Idp, id: &str) -> Result<(Interaction, App), ApiError> {
    let ix: Interaction = load(&idp.store, id, "interaction_not_found")?;
    if ix.expires_ms <= idp.now_ms() {
        return Err(ApiError::new(
            410,
            "interaction_expired",
            "this sign-in has expired; start again from the app",
        ));
    }
    if ix.step == Step::Done {
        return Err(ApiError::new(
            409,
            "interaction_done",
            "this sign-in is already complete",
        ));
    }
    let app = idp.app(&ix.request.client_id).cloned().ok_or_else(|| {
        ApiError::bad("unknown_client", "the app of this sign-in no longer exists")
    })?;
    Ok((ix, app))
}

pub fn save(idp: &Idp, ix: &Interaction) -> Result<(), ApiError> {
    Ok(idp.store.put(POOL, &ix.id, ix)?)
}

/// What the page needs to render the current step.
pub fn view(ix: &Interaction, app: &App) -> Value {
    let x = &app.config.experience;
    json!({
        "interaction": ix.id,
        "step": ix.step,
        "identifier": ix.identifier,
        "identifier_kind": x.identifier,
        "qr_enabled": x.qr_enabled(),
        "sign_up": x.sign_up,
        "otp": ix.otp.as_ref().map(|o| json!({"destination": o.destination, "length": app.config.otp.length})),
        "app": app.config.name.clone().unwrap_or(app.config.client_id.clone()),
    })
}

/// Normalises an email (lower-cased) or an E.164 phone number.
pub fn normalise(kind: Identifier, raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    match kind {
        Identifier::Email => {
            let ok = v.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
            }) && !v.contains(char::is_whitespace)
                && v.len() <= 254;
            if ok {
                Ok(v.to_lowercase())
            } else {
                Err(ApiError::bad(
                    "identifier_invalid",
                    "enter a valid email address",
                ))
            }
        }
        Identifier::Phone => {
            let digits = v.strip_prefix('+').unwrap_or("");
            if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(v.to_owned())
            } else {
                Err(ApiError::bad(
                    "identifier_invalid",
                    "enter a phone number in international format, e.g. +14155550100",
                ))
            }
        }
    }
}

pub fn find_user(idp: &Idp, app: &App, identifier: &str) -> Result<Option<IdpUserRow>, ApiError> {
    let phone = app.config.experience.identifier == Identifier::Phone;
    Ok(idp
        .store
        .idp_user_by_identifier(&app.tenant, phone, identifier)?)
}

/// The identifier step: a returning user with passkeys signs in with one; anyone else proves
/// the identifier by OTP first (unknown identifiers only when sign-up is allowed).
pub fn submit_identifier(idp: &Idp, id: &str, raw: &str) -> Result<Value, ApiError> {
    let (mut ix, app) = open(idp, id)?;
    if !matches!(ix.step, Step::Identifier | Step::Otp | Step::Passkey) {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "the identifier can no longer be changed in this sign-in",
        ));
    }
    let x = &app.config.experience;
    let identifier = normalise(x.identifier, raw)?;
    let user = find_user(idp, &app, &identifier)?;
    if user.is_none() && !x.sign_up {
        return Err(ApiError::bad(
            "user_not_found",
            "no account matches this identifier, and sign-up is not enabled for this app",
        ));
    }
    if ix.identifier.as_deref() != Some(identifier.as_str())
        && let Some(otp) = &mut ix.otp
    {
        // A code proves one identifier: the old one stops counting, but this sign-in's limits
        // (wrong codes, codes sent, the resend interval) stay, whatever identifier comes next.
        otp.used = true;
    }
    ix.identifier = Some(identifier.clone());
    ix.sub = user.as_ref().map(|u| u.sub.clone());
    ix.new_user = user.is_none();
    let has_passkey = match &user {
        Some(u) => !idp.store.idp_credentials_of(&u.sub)?.is_empty(),
        None => false,
    };
    idp.record(
        EventKind::FlowStep,
        "experience.identifier",
        Some(id),
        json!({"identifier": identifier, "known": user.is_some(), "has_passkey": has_passkey}),
    );
    if has_passkey {
        ix.step = Step::Passkey;
        save(idp, &ix)?;
        return Ok(view(&ix, &app));
    }
    send_otp_for(idp, &mut ix, &app)?;
    Ok(view(&ix, &app))
}

fn send_otp_for(idp: &Idp, ix: &mut Interaction, app: &App) -> Result<(), ApiError> {
    let destination = ix
        .identifier
        .clone()
        .ok_or_else(|| ApiError::new(409, "wrong_step", "enter your identifier first"))?;
    let x = &app.config.experience;
    let state = otp::send(
        idp,
        ix.otp.as_ref(),
        &app.config.otp,
        x.identifier,
        &destination,
        &app.config.client_id,
        &ix.id,
    )?;
    ix.otp = Some(state);
    ix.step = Step::Otp;
    save(idp, ix)
}

/// Sends (or re-sends) the code: also the "use a code instead" path of a returning user.
pub fn resend_otp(idp: &Idp, id: &str) -> Result<Value, ApiError> {
    let (mut ix, app) = open(idp, id)?;
    if !matches!(ix.step, Step::Otp | Step::Passkey) {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "a code can only be sent after the identifier",
        ));
    }
    send_otp_for(idp, &mut ix, &app)?;
    Ok(view(&ix, &app))
}

/// Verifies the code; creates the user when new (sign-up) and moves to passkey registration.
pub fn verify_otp(idp: &Idp, id: &str, code: &str) -> Result<Value, ApiError> {
    let (mut ix, app) = open(idp, id)?;
    if ix.step != Step::Otp {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "no code is expected at this step",
        ));
    }
    let Some(mut state) = ix.otp.clone() else {
        return Err(ApiError::bad("otp_not_sent", "no code was sent"));
    };
    if ix.identifier.as_deref() != Some(state.destination.as_str()) {
        return Err(ApiError::bad(
            "otp_not_sent",
            "no code was sent to this identifier",
        ));
    }
    let checked = otp::check(&mut state, &app.config.otp, code, idp.now_ms());
    ix.otp = Some(state);
    save(idp, &ix)?;
    checked?;
    let phone = app.config.experience.identifier == Identifier::Phone;
    let identifier = ix.identifier.clone().unwrap_or_default();
    let sub = match &ix.sub {
        Some(sub) => {
            idp.store.idp_mark_verified(sub, phone)?;
            sub.clone()
        }
        None => {
            let user = IdpUserRow {
                sub: idp.entropy.uuid(),
                tenant: app.tenant.clone(),
                email: (!phone).then(|| identifier.clone()),
                email_verified: !phone,
                phone: phone.then(|| identifier.clone()),
                phone_verified: phone,
                created_ms: idp.now_ms(),
            };
            idp.store.idp_insert_user(&user)?;
            idp.record(
                EventKind::FlowStep,
                "experience.user_created",
                Some(id),
                json!({"sub": user.sub, "identifier": identifier}),
            );
            user.sub
        }
    };
    ix.sub = Some(sub);
    ix.amr.push(if phone { "sms" } else { "eotp" }.to_owned());
    ix.step = Step::Register;
    save(idp, &ix)?;
    idp.record(
        EventKind::FlowStep,
        "experience.otp_verified",
        Some(id),
        json!({}),
    );
    Ok(view(&ix, &app))
}

/// Finishes the interaction: a code for the app and a browser session.
#[derive(Debug)]
pub struct Completed {
    pub redirect: String,
    pub session: String,
}

pub fn complete(idp: &Idp, mut ix: Interaction, method: &str) -> Result<Completed, ApiError> {
    let sub = ix
        .sub
        .clone()
        .ok_or_else(|| ApiError::new(409, "wrong_step", "no user is identified yet"))?;
    if !ix.amr.iter().any(|m| m == method) {
        ix.amr.push(method.to_owned());
    }
    let auth_time = idp.now_ms() / 1000;
    let grant = new_grant(
        idp,
        &ix.request,
        &sub,
        auth_time,
        ix.amr.clone(),
        ix.new_user,
        &ix.id,
    );
    let redirect = issue_code(idp, &ix.request, grant.clone())?;
    let session = start_session(idp, &grant)?;
    ix.step = Step::Done;
    save(idp, &ix)?;
    idp.record(
        EventKind::FlowStep,
        "experience.completed",
        Some(&ix.id),
        json!({"sub": sub, "amr": ix.amr, "new_user": ix.new_user}),
    );
    Ok(Completed { redirect, session })
}
