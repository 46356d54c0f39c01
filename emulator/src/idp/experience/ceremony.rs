//! The WebAuthn steps of the hosted experience, shared by the same-device page and the QR
//! phone page: options for a user, registration (a credential id is registered once, IdP-wide)
//! and authentication (only with a credential of the identified user).

use serde_json::{Value, json};

use crate::idp::Idp;
use crate::idp::error::ApiError;
use crate::idp::experience::flow::{self, Completed};
use crate::idp::model::Step;
use crate::journal::EventKind;
use crate::store::{IdpCredentialRow, StoreError};
use crate::webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use crate::webauthn::{
    AuthenticationRequest, AuthenticationState, CredentialRecord, Error as WebauthnError,
    RegistrationRequest, RegistrationState,
};

fn now_ms(idp: &Idp) -> u64 {
    u64::try_from(idp.now_ms()).unwrap_or(0)
}

fn rejected(e: &WebauthnError) -> ApiError {
    let name = match e {
        WebauthnError::CredentialIdAlreadyRegistered { .. } => "credential_already_registered",
        _ => "webauthn_rejected",
    };
    ApiError::bad(name, format!("passkey check {} failed: {e}", e.check()))
}

/// Creation options for `sub` (its existing passkeys excluded).
pub fn creation_options(
    idp: &Idp,
    sub: &str,
    name: &str,
) -> Result<(Value, RegistrationState), ApiError> {
    let existing = idp.store.idp_credentials_of(sub)?;
    let exclude = existing
        .iter()
        .filter_map(|c| CredentialRecord::from_json(&c.record).ok())
        .map(|r| r.id)
        .collect();
    let request = RegistrationRequest {
        user_id: sub.as_bytes().to_vec(),
        user_name: name.to_owned(),
        display_name: name.to_owned(),
        exclude_credentials: exclude,
        ..RegistrationRequest::default()
    };
    let (options, state) = idp.settings.rp.start_registration(
        &mut idp.challenges(),
        &mut idp.rng(),
        now_ms(idp),
        &request,
    );
    let options =
        serde_json::to_value(options).map_err(|e| ApiError::new(500, "internal", e.to_string()))?;
    Ok((options, state))
}

/// Request options listing `sub`'s passkeys.
pub fn request_options(idp: &Idp, sub: &str) -> Result<(Value, AuthenticationState), ApiError> {
    let allow = idp
        .store
        .idp_credentials_of(sub)?
        .iter()
        .filter_map(|c| CredentialRecord::from_json(&c.record).ok())
        .map(|r| (r.id, r.transports))
        .collect();
    let request = AuthenticationRequest {
        allow_credentials: allow,
        user_verification: None,
    };
    let (options, state) = idp.settings.rp.start_authentication(
        &mut idp.challenges(),
        &mut idp.rng(),
        now_ms(idp),
        &request,
    );
    let options =
        serde_json::to_value(options).map_err(|e| ApiError::new(500, "internal", e.to_string()))?;
    Ok((options, state))
}

/// Verifies a registration for `sub` and stores the passkey.
pub fn register(
    idp: &Idp,
    state: RegistrationState,
    sub: &str,
    body: &[u8],
    flow: &str,
) -> Result<(), ApiError> {
    let response = RegistrationResponseJson::from_json(&String::from_utf8_lossy(body))
        .map_err(|e| rejected(&e))?;
    let store = idp.store.clone();
    let known = move |id: &[u8]| {
        matches!(
            store.idp_credential(&crate::webauthn::encoding::b64(id)),
            Ok(Some(_))
        )
    };
    let result = idp.settings.rp.finish_registration(
        &mut idp.challenges(),
        state,
        &response,
        now_ms(idp),
        &known,
    );
    let record = result.map_err(|e| {
        idp.record(
            EventKind::Rejected,
            "webauthn.register",
            Some(flow),
            json!({"check": e.check(), "message": e.to_string()}),
        );
        rejected(&e)
    })?;
    let id = crate::webauthn::encoding::b64(&record.id);
    let row = IdpCredentialRow {
        id: id.clone(),
        sub: sub.to_owned(),
        record: record.to_json(),
        created_ms: idp.now_ms(),
        last_used_ms: None,
    };
    match idp.store.idp_insert_credential(&row) {
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::bad(
                "credential_already_registered",
                format!("credential {id} is already registered"),
            ));
        }
        other => other?,
    }
    idp.record(
        EventKind::FlowStep,
        "webauthn.registered",
        Some(flow),
        json!({"sub": sub, "credential_id": id, "format": record.attestation_format}),
    );
    Ok(())
}

/// Verifies an assertion made with one of `sub`'s passkeys and updates its record.
pub fn authenticate(
    idp: &Idp,
    state: AuthenticationState,
    sub: &str,
    body: &[u8],
    flow: &str,
) -> Result<(), ApiError> {
    let response = AuthenticationResponseJson::from_json(&String::from_utf8_lossy(body))
        .map_err(|e| rejected(&e))?;
    let row = idp.store.idp_credential(&response.raw_id)?.ok_or_else(|| {
        ApiError::bad("credential_unknown", "this passkey is not registered here")
    })?;
    if row.sub != sub {
        idp.record(
            EventKind::Rejected,
            "webauthn.authenticate",
            Some(flow),
            json!({"reason": "credential of another user", "credential_id": row.id}),
        );
        return Err(ApiError::new(
            403,
            "credential_of_another_user",
            "this passkey belongs to another account than the one signing in",
        ));
    }
    let mut record = CredentialRecord::from_json(&row.record)
        .map_err(|e| ApiError::new(500, "internal", e.to_string()))?;
    let result = idp.settings.rp.finish_authentication(
        &mut idp.challenges(),
        state,
        &response,
        &mut record,
        now_ms(idp),
    );
    if let Err(e) = result {
        idp.record(
            EventKind::Rejected,
            "webauthn.authenticate",
            Some(flow),
            json!({"check": e.check(), "message": e.to_string()}),
        );
        return Err(rejected(&e));
    }
    idp.store
        .idp_update_credential(&row.id, &record.to_json(), idp.now_ms())?;
    idp.record(
        EventKind::FlowStep,
        "webauthn.authenticated",
        Some(flow),
        json!({"sub": sub, "credential_id": row.id}),
    );
    Ok(())
}

/// Fresh options for the interaction's current step (registration or login).
pub fn options(idp: &Idp, id: &str) -> Result<Value, ApiError> {
    let (mut ix, _) = flow::open(idp, id)?;
    let sub = ix
        .sub
        .clone()
        .ok_or_else(|| ApiError::new(409, "wrong_step", "enter your identifier first"))?;
    let options = match ix.step {
        Step::Register => {
            let (o, s) = creation_options(idp, &sub, ix.identifier.as_deref().unwrap_or(&sub))?;
            ix.registration = Some(s);
            json!({"ceremony": "create", "publicKey": o})
        }
        Step::Passkey => {
            let (o, s) = request_options(idp, &sub)?;
            ix.authentication = Some(s);
            json!({"ceremony": "get", "publicKey": o})
        }
        _ => {
            return Err(ApiError::new(
                409,
                "wrong_step",
                "no passkey ceremony at this step",
            ));
        }
    };
    flow::save(idp, &ix)?;
    idp.record(
        EventKind::FlowStep,
        "webauthn.options",
        Some(id),
        json!({"ceremony": options["ceremony"]}),
    );
    Ok(options)
}

/// Same-device registration, then completion.
pub fn register_here(idp: &Idp, id: &str, body: &[u8]) -> Result<Completed, ApiError> {
    let (mut ix, _) = flow::open(idp, id)?;
    let (Step::Register, Some(sub)) = (ix.step, ix.sub.clone()) else {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "passkey registration is offered only after the identifier is verified",
        ));
    };
    let state = ix
        .registration
        .take()
        .ok_or_else(|| ApiError::bad("no_ceremony", "request registration options first"))?;
    flow::save(idp, &ix)?;
    register(idp, state, &sub, body, id)?;
    flow::complete(idp, ix, "webauthn")
}

/// Same-device login, then completion.
pub fn authenticate_here(idp: &Idp, id: &str, body: &[u8]) -> Result<Completed, ApiError> {
    let (mut ix, _) = flow::open(idp, id)?;
    let (Step::Passkey, Some(sub)) = (ix.step, ix.sub.clone()) else {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "passkey login needs a returning user's identifier first",
        ));
    };
    let state = ix
        .authentication
        .take()
        .ok_or_else(|| ApiError::bad("no_ceremony", "request login options first"))?;
    flow::save(idp, &ix)?;
    authenticate(idp, state, &sub, body, id)?;
    flow::complete(idp, ix, "webauthn")
}
