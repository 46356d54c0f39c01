//! The registration ceremony: options and state (`start_registration`), then the L3 7.1
//! verification (`finish_registration` / `verify_registration`) producing a [`CredentialRecord`].

use ciborium::Value;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::attestation::{self, Input};
use crate::auth_data::{self, BE, BS, UP, UV};
use crate::encoding::{b64, hex, unb64};
use crate::json::{
    AuthenticatorSelection, CreationOptionsJson, CredentialDescriptor, PubKeyCredParam,
    RegistrationResponseJson, RpEntity, UserEntity,
};
use crate::{
    AttestationPolicy, ChallengeRegistry, CredentialPublicKey, CredentialRecord, Error,
    RelyingParty, Trace, UserVerification, cbor, client_data,
};

/// Credential ids longer than this are rejected (L3 7.1 step 22).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// Who registers and how; the relying party's config supplies the rest.
#[derive(Debug, Clone, Default)]
pub struct RegistrationRequest {
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub display_name: String,
    /// Credentials the user already has (sent as `excludeCredentials`).
    pub exclude_credentials: Vec<Vec<u8>>,
    /// `attestation` conveyance; `None` derives it from the trust policy.
    pub attestation: Option<String>,
    /// `residentKey`: "required" for passkeys (the default when `None`).
    pub resident_key: Option<String>,
    /// Overrides the config's user verification requirement.
    pub user_verification: Option<UserVerification>,
}

/// What the server keeps between `start_registration` and `finish_registration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationState {
    /// base64url challenge, as clientDataJSON carries it.
    pub challenge: String,
    /// base64url user handle.
    pub user_id: String,
    pub user_verification: UserVerification,
    /// COSE algorithm ids offered in `pubKeyCredParams`.
    pub algorithms: Vec<i64>,
    /// Extension identifiers requested (authenticator outputs for others are rejected).
    pub extensions: Vec<String>,
    pub expires_at_ms: u64,
}

impl RegistrationState {
    /// The state implied by options captured elsewhere (the CLI): no expiry.
    pub fn from_options(options: &CreationOptionsJson) -> Self {
        let uv = options
            .authenticator_selection
            .as_ref()
            .and_then(|s| s.user_verification.as_deref());
        RegistrationState {
            challenge: options.challenge.trim_end_matches('=').to_owned(),
            user_id: options.user.id.clone(),
            user_verification: UserVerification::parse(uv),
            algorithms: options.pub_key_cred_params.iter().map(|p| p.alg).collect(),
            extensions: options
                .extensions
                .iter()
                .flat_map(|m| m.keys().cloned())
                .collect(),
            expires_at_ms: u64::MAX,
        }
    }
}

impl RelyingParty {
    /// Issues a challenge and returns the options for `navigator.credentials.create()` (JSON
    /// form) and the state to keep server-side.
    pub fn start_registration(
        &self,
        challenges: &mut ChallengeRegistry,
        rng: &mut dyn RngCore,
        now_ms: u64,
        request: &RegistrationRequest,
    ) -> (CreationOptionsJson, RegistrationState) {
        let config = self.config();
        let mut raw = [0u8; 32];
        rng.fill_bytes(&mut raw);
        let challenge = b64(&raw);
        let expires_at_ms = now_ms.saturating_add(config.challenge_ttl_ms);
        challenges.issue(&challenge, expires_at_ms, now_ms);
        let uv = request
            .user_verification
            .unwrap_or(config.user_verification);
        let attestation = request.attestation.clone().unwrap_or_else(|| {
            match config.attestation {
                AttestationPolicy::RequireTrustedRoot => "direct",
                _ => "none",
            }
            .to_owned()
        });
        let resident_key = request
            .resident_key
            .clone()
            .unwrap_or_else(|| "required".to_owned());
        let options = CreationOptionsJson {
            rp: RpEntity {
                id: Some(config.rp_id.clone()),
                name: config.rp_name.clone(),
            },
            user: UserEntity {
                id: b64(&request.user_id),
                name: request.user_name.clone(),
                display_name: request.display_name.clone(),
            },
            challenge: challenge.clone(),
            pub_key_cred_params: config
                .algorithms
                .iter()
                .map(|a| PubKeyCredParam {
                    type_: "public-key".to_owned(),
                    alg: a.cose_id(),
                })
                .collect(),
            timeout: Some(config.challenge_ttl_ms),
            exclude_credentials: request
                .exclude_credentials
                .iter()
                .map(|id| CredentialDescriptor {
                    type_: "public-key".to_owned(),
                    id: b64(id),
                    transports: Vec::new(),
                })
                .collect(),
            authenticator_selection: Some(AuthenticatorSelection {
                authenticator_attachment: None,
                require_resident_key: resident_key == "required",
                resident_key: Some(resident_key),
                user_verification: Some(uv.as_str().to_owned()),
            }),
            hints: Vec::new(),
            attestation: Some(attestation),
            extensions: None,
        };
        let state = RegistrationState::from_options(&options);
        (
            options,
            RegistrationState {
                expires_at_ms,
                ..state
            },
        )
    }

    /// Consumes the state's challenge, then verifies the response (see [`Self::verify_registration`]).
    pub fn finish_registration(
        &self,
        challenges: &mut ChallengeRegistry,
        state: RegistrationState,
        response: &RegistrationResponseJson,
        now_ms: u64,
        is_registered: &dyn Fn(&[u8]) -> bool,
    ) -> Result<CredentialRecord, Error> {
        challenges.consume(&state.challenge, now_ms)?;
        self.verify_registration(
            &state,
            response,
            now_ms,
            is_registered,
            &mut Trace::disabled(),
        )
    }

    /// The whole L3 7.1 checklist, recording each passed check in `trace`. `is_registered`
    /// answers whether a credential id already belongs to some user.
    pub fn verify_registration(
        &self,
        state: &RegistrationState,
        response: &RegistrationResponseJson,
        now_ms: u64,
        is_registered: &dyn Fn(&[u8]) -> bool,
        trace: &mut Trace,
    ) -> Result<CredentialRecord, Error> {
        check_expiry(&state.challenge, state.expires_at_ms, now_ms)?;
        let raw_id = check_credential_ids(&response.type_, &response.id, &response.raw_id, trace)?;
        let client_data_json = unb64("clientDataJSON", &response.response.client_data_json)?;
        let client_data_hash = client_data::verify(
            self,
            &client_data_json,
            client_data::CREATE,
            &state.challenge,
            trace,
        )?;
        let attestation_object = unb64("attestationObject", &response.response.attestation_object)?;
        let (fmt, att_stmt, auth_data_raw) = split_attestation_object(&attestation_object)?;
        let auth = auth_data::parse(&auth_data_raw)?;
        self.check_flags(&auth, state.user_verification, trace)?;
        let Some(attested) = &auth.attested else {
            return Err(Error::AttestedCredentialDataMissing);
        };
        if attested.credential_id.len() > MAX_CREDENTIAL_ID_LEN {
            return Err(Error::CredentialIdTooLong {
                max: MAX_CREDENTIAL_ID_LEN,
                actual: attested.credential_id.len(),
            });
        }
        if attested.credential_id != raw_id.as_slice() {
            return Err(Error::CredentialIdMismatch {
                response: b64(&raw_id),
                auth_data: b64(attested.credential_id),
            });
        }
        trace.pass("credentialId", || {
            format!("{} bytes, equals rawId", raw_id.len())
        });
        let key = parse_key(attested.public_key_cose, &state.algorithms)?;
        trace.pass("alg", || {
            format!(
                "{} is in pubKeyCredParams {:?}",
                key.alg().name(),
                state.algorithms
            )
        });
        check_extensions(&auth.extensions, &state.extensions)?;
        let input = Input {
            att_stmt: &att_stmt,
            auth_data_raw: &auth_data_raw,
            auth_data: &auth,
            credential_id: attested.credential_id,
            aaguid: &attested.aaguid,
            client_data_hash: &client_data_hash,
            key: &key,
        };
        let attestation = attestation::verify(self, &fmt, &input, now_ms, trace)?;
        if is_registered(&raw_id) {
            return Err(Error::CredentialIdAlreadyRegistered { id: b64(&raw_id) });
        }
        trace.pass("not registered", || "credential id is new".to_owned());
        Ok(CredentialRecord {
            id: raw_id,
            user_handle: unb64("user.id", &state.user_id)?,
            public_key: key,
            sign_count: auth.sign_count,
            backup_eligible: auth.has(BE),
            backup_state: auth.has(BS),
            uv_initialized: auth.has(UV),
            transports: response.response.transports.clone(),
            aaguid: attested.aaguid,
            attestation_format: attestation.format.to_owned(),
            attestation_type: attestation.type_,
            attestation_root: attestation.trusted_root,
        })
    }

    /// rpIdHash, UP, UV (when required) and BE/BS consistency, shared by both ceremonies.
    pub(crate) fn check_flags(
        &self,
        auth: &auth_data::AuthenticatorData<'_>,
        uv: UserVerification,
        trace: &mut Trace,
    ) -> Result<(), Error> {
        if auth.rp_id_hash != self.rp_id_hash() {
            return Err(Error::RpIdHashMismatch {
                rp_id: self.config().rp_id.clone(),
                expected: hex(self.rp_id_hash()),
                actual: hex(auth.rp_id_hash),
            });
        }
        trace.pass("rpIdHash", || format!("SHA-256({:?})", self.config().rp_id));
        if !auth.has(UP) {
            return Err(Error::UserNotPresent);
        }
        trace.pass("UP", || "user present".to_owned());
        if uv == UserVerification::Required && !auth.has(UV) {
            return Err(Error::UserNotVerified);
        }
        trace.pass("UV", || {
            format!("UV={} ({} by the options)", auth.has(UV), uv.as_str())
        });
        if auth.has(BS) && !auth.has(BE) {
            return Err(Error::BackupStateWithoutEligibility);
        }
        trace.pass("BE/BS", || {
            format!("BE={} BS={}", auth.has(BE), auth.has(BS))
        });
        Ok(())
    }
}

pub(crate) fn check_expiry(challenge: &str, expires_at_ms: u64, now_ms: u64) -> Result<(), Error> {
    if now_ms > expires_at_ms {
        return Err(Error::ChallengeExpired {
            challenge: challenge.to_owned(),
            expires_at_ms,
            now_ms,
        });
    }
    Ok(())
}

/// `type` is "public-key" and `id` equals `rawId`; returns the decoded id.
pub(crate) fn check_credential_ids(
    type_: &str,
    id: &str,
    raw_id: &str,
    trace: &mut Trace,
) -> Result<Vec<u8>, Error> {
    if type_ != "public-key" {
        return Err(Error::CredentialTypeMismatch {
            actual: type_.to_owned(),
        });
    }
    let raw = unb64("rawId", raw_id)?;
    if unb64("id", id)? != raw {
        return Err(Error::IdRawIdMismatch {
            id: id.to_owned(),
            raw_id: raw_id.to_owned(),
        });
    }
    trace.pass("credential", || format!("type public-key, id {id}"));
    Ok(raw)
}

/// `{fmt, attStmt, authData}` from the attestation object (one CBOR map, nothing after it).
/// `fmt`, `attStmt` (a CBOR map's entries) and `authData`.
type AttestationParts = (String, Vec<(Value, Value)>, Vec<u8>);

fn split_attestation_object(bytes: &[u8]) -> Result<AttestationParts, Error> {
    let bad = |detail: &str| Error::AttestationObjectMalformed {
        detail: detail.to_owned(),
    };
    let Value::Map(map) = cbor::read_exact(bytes, "attestationObject")? else {
        return Err(bad("expected a CBOR map"));
    };
    let mut fmt = None;
    let mut stmt = None;
    let mut auth = None;
    for (k, v) in map {
        match (k, v) {
            (Value::Text(k), Value::Text(v)) if k == "fmt" => fmt = Some(v),
            (Value::Text(k), Value::Map(v)) if k == "attStmt" => stmt = Some(v),
            (Value::Text(k), Value::Bytes(v)) if k == "authData" => auth = Some(v),
            (Value::Text(k), _) if matches!(k.as_str(), "fmt" | "attStmt" | "authData") => {
                return Err(bad(&format!("{k} has the wrong CBOR type")));
            }
            _ => {}
        }
    }
    Ok((
        fmt.ok_or_else(|| bad("fmt is missing"))?,
        stmt.ok_or_else(|| bad("attStmt is missing"))?,
        auth.ok_or_else(|| bad("authData is missing"))?,
    ))
}

fn parse_key(cose: &[u8], requested: &[i64]) -> Result<CredentialPublicKey, Error> {
    let not_requested = |actual| Error::AlgorithmNotRequested {
        expected: requested.to_vec(),
        actual,
    };
    match CredentialPublicKey::from_cose(cose) {
        Ok(key) if requested.contains(&key.alg().cose_id()) => Ok(key),
        Ok(key) => Err(not_requested(key.alg().cose_id())),
        Err(Error::UnsupportedAlgorithm { alg }) if !requested.contains(&alg) => {
            Err(not_requested(alg))
        }
        Err(e) => Err(e),
    }
}

pub(crate) fn check_extensions(present: &[String], requested: &[String]) -> Result<(), Error> {
    match present.iter().find(|id| !requested.contains(id)) {
        Some(id) => Err(Error::ExtensionNotRequested { id: id.clone() }),
        None => Ok(()),
    }
}
