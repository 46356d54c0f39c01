//! Authenticator data (L3 6.1): rpIdHash, flags, signCount, attested credential data and
//! extensions, parsed strictly (every byte accounted for) and borrowing the input.

use ciborium::Value;

use crate::{Error, cbor};

pub(crate) const UP: u8 = 0x01;
pub(crate) const UV: u8 = 0x04;
pub(crate) const BE: u8 = 0x08;
pub(crate) const BS: u8 = 0x10;
pub(crate) const AT: u8 = 0x40;
pub(crate) const ED: u8 = 0x80;

/// The fixed 37-byte head plus what the AT and ED flags announce.
#[derive(Debug)]
pub(crate) struct AuthenticatorData<'a> {
    pub rp_id_hash: &'a [u8],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential<'a>>,
    /// Extension identifiers present in the extensions map (ED flag).
    pub extensions: Vec<String>,
}

/// Attested credential data: AAGUID, credential id and the COSE public key bytes.
#[derive(Debug)]
pub(crate) struct AttestedCredential<'a> {
    pub aaguid: [u8; 16],
    pub credential_id: &'a [u8],
    pub public_key_cose: &'a [u8],
}

impl AuthenticatorData<'_> {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::AuthenticatorDataMalformed {
        detail: detail.into(),
    }
}

/// Parses authenticator data; fails on truncation and on trailing bytes.
pub(crate) fn parse(data: &[u8]) -> Result<AuthenticatorData<'_>, Error> {
    if data.len() < 37 {
        return Err(malformed(format!(
            "expected at least 37 bytes, got {}",
            data.len()
        )));
    }
    let (rp_id_hash, rest) = data.split_at(32);
    let flags = rest[0];
    let sign_count = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
    let mut rest = &rest[5..];
    let attested = if flags & AT != 0 {
        Some(attested(&mut rest)?)
    } else {
        None
    };
    let extensions = if flags & ED != 0 {
        extension_ids(&mut rest)?
    } else {
        Vec::new()
    };
    if !rest.is_empty() {
        return Err(Error::TrailingBytes {
            structure: "authenticatorData",
            count: rest.len(),
        });
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
        extensions,
    })
}

fn take<'a>(rest: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], Error> {
    if rest.len() < n {
        return Err(malformed(format!(
            "{what}: expected {n} bytes, {} left",
            rest.len()
        )));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn attested<'a>(rest: &mut &'a [u8]) -> Result<AttestedCredential<'a>, Error> {
    let mut aaguid = [0u8; 16];
    aaguid.copy_from_slice(take(rest, 16, "aaguid")?);
    let len = take(rest, 2, "credentialIdLength")?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let credential_id = take(rest, len, "credentialId")?;
    let before = *rest;
    cbor::skip_item(rest).map_err(|e| Error::CoseKeyMalformed { detail: e })?;
    let public_key_cose = &before[..before.len() - rest.len()];
    Ok(AttestedCredential {
        aaguid,
        credential_id,
        public_key_cose,
    })
}

fn extension_ids(rest: &mut &[u8]) -> Result<Vec<String>, Error> {
    let value = cbor::read_item(rest).map_err(|e| malformed(format!("extensions: {e}")))?;
    let Value::Map(entries) = value else {
        return Err(malformed("extensions: expected a CBOR map"));
    };
    entries
        .into_iter()
        .map(|(k, _)| match k {
            Value::Text(id) => Ok(id),
            other => Err(malformed(format!("extensions: non-text key {other:?}"))),
        })
        .collect()
}
