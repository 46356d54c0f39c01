//! clientDataJSON: parsed once (borrowing), then type, challenge, origin, crossOrigin and
//! topOrigin are checked against the ceremony and the relying party (L3 7.1 steps 7-11).

use std::borrow::Cow;

use serde::Deserialize;

use crate::{Error, RelyingParty, Trace, encoding::sha256};

/// `webauthn.create` or `webauthn.get`.
pub(crate) const CREATE: &str = "webauthn.create";
pub(crate) const GET: &str = "webauthn.get";

#[derive(Deserialize)]
struct ClientData<'a> {
    #[serde(rename = "type", borrow)]
    type_: Cow<'a, str>,
    #[serde(borrow)]
    challenge: Cow<'a, str>,
    #[serde(borrow)]
    origin: Cow<'a, str>,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", borrow, default)]
    top_origin: Option<Cow<'a, str>>,
}

/// Checks `raw` (the decoded clientDataJSON) and returns its SHA-256 hash.
pub(crate) fn verify(
    rp: &RelyingParty,
    raw: &[u8],
    expected_type: &'static str,
    expected_challenge: &str,
    trace: &mut Trace,
) -> Result<[u8; 32], Error> {
    let c: ClientData<'_> =
        serde_json::from_slice(raw).map_err(|e| Error::ClientDataMalformed {
            detail: e.to_string(),
        })?;
    if c.type_ != expected_type {
        return Err(Error::ClientDataTypeMismatch {
            expected: expected_type,
            actual: c.type_.into_owned(),
        });
    }
    trace.pass("type", || {
        format!("clientDataJSON.type is {expected_type:?}")
    });
    if c.challenge != expected_challenge {
        return Err(Error::ChallengeMismatch {
            expected: expected_challenge.to_owned(),
            actual: c.challenge.into_owned(),
        });
    }
    trace.pass("challenge", || {
        format!("clientDataJSON.challenge is {expected_challenge}")
    });
    let config = rp.config();
    if !config.origins.iter().any(|o| *o == c.origin) {
        return Err(Error::OriginMismatch {
            expected: config.origins.clone(),
            actual: c.origin.into_owned(),
        });
    }
    trace.pass("origin", || {
        format!("clientDataJSON.origin {:?} is allowed", c.origin)
    });
    let cross_origin = c.cross_origin.unwrap_or(false);
    if cross_origin && !config.allow_cross_origin {
        return Err(Error::CrossOriginNotAllowed);
    }
    trace.pass("crossOrigin", || {
        format!("clientDataJSON.crossOrigin is {cross_origin}")
    });
    if let Some(top) = &c.top_origin {
        // A topOrigin is only meaningful in a cross-origin iframe, and must be one we embed in.
        if !cross_origin || !config.top_origins.iter().any(|o| *o == *top) {
            return Err(Error::TopOriginMismatch {
                expected: config.top_origins.clone(),
                actual: top.clone().into_owned(),
            });
        }
        trace.pass("topOrigin", || {
            format!("clientDataJSON.topOrigin {top:?} is allowed")
        });
    }
    Ok(sha256(raw))
}
