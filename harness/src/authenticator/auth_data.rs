//! Authenticator data bytes (L3 6.1): rpIdHash, the UP/UV/BE/BS/AT/ED flags, the signature
//! counter and attested credential data with its COSE_Key (RFC 9052 / 9053, EC2 P-256).

use ciborium::Value;
use sha2::{Digest, Sha256};

use super::keys::CredentialKey;

/// The flags byte of authenticator data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub user_present: bool,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

impl Flags {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const BE: u8 = 0x08;
    pub const BS: u8 = 0x10;
    pub const AT: u8 = 0x40;

    fn byte(self) -> u8 {
        let mut b = 0;
        for (set, bit) in [
            (self.user_present, Self::UP),
            (self.user_verified, Self::UV),
            (self.backup_eligible, Self::BE),
            (self.backup_state, Self::BS),
        ] {
            if set {
                b |= bit;
            }
        }
        b
    }
}

/// Attested credential data: AAGUID, credential id and the credential public key.
#[derive(Debug)]
pub struct AttestedCredential<'a> {
    pub aaguid: [u8; 16],
    pub credential_id: &'a [u8],
    pub key: &'a CredentialKey,
}

pub fn rp_id_hash(rp_id: &str) -> [u8; 32] {
    Sha256::digest(rp_id.as_bytes()).into()
}

/// Encodes authenticator data. Extensions (ED) are never emitted: this authenticator
/// processes no authenticator extensions.
pub fn encode(
    rp_id: &str,
    flags: Flags,
    counter: u32,
    attested: Option<&AttestedCredential<'_>>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(37 + 18 + 77 + 64);
    out.extend_from_slice(&rp_id_hash(rp_id));
    let at = if attested.is_some() { Flags::AT } else { 0 };
    out.push(flags.byte() | at);
    out.extend_from_slice(&counter.to_be_bytes());
    if let Some(att) = attested {
        out.extend_from_slice(&att.aaguid);
        // Credential ids are at most 1023 bytes (checked where they are made), so fit in u16.
        let len = u16::try_from(att.credential_id.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(att.credential_id);
        out.extend_from_slice(&cose_key(att.key));
    }
    out
}

/// COSE_Key of an ES256 credential in CTAP2 canonical order: kty 2 (EC2), alg -7, crv 1
/// (P-256), x, y.
pub fn cose_key(key: &CredentialKey) -> Vec<u8> {
    let (x, y) = key.public_xy();
    let map = Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer(2.into())),
        (Value::Integer(3.into()), Value::Integer((-7).into())),
        (Value::Integer((-1).into()), Value::Integer(1.into())),
        (Value::Integer((-2).into()), Value::Bytes(x.to_vec())),
        (Value::Integer((-3).into()), Value::Bytes(y.to_vec())),
    ]);
    super::attestation::cbor_bytes(&map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(flags: Flags, attested: bool, expect: u8) {
        let key = CredentialKey::from_scalar(&[7; 32]).unwrap();
        let att = AttestedCredential {
            aaguid: [0; 16],
            credential_id: &[1, 2],
            key: &key,
        };
        let data = encode("example.org", flags, 9, attested.then_some(&att));
        assert_eq!(data[32], expect, "{flags:?} attested={attested}");
        assert_eq!(&data[33..37], &[0, 0, 0, 9]);
        assert_eq!(data.len(), if attested { 37 + 16 + 2 + 2 + 77 } else { 37 });
    }

    #[test]
    fn flags_byte() {
        let up = Flags {
            user_present: true,
            ..Flags::default()
        };
        check(up, false, 0x01);
        check(up, true, 0x41);
        let all = Flags {
            user_present: true,
            user_verified: true,
            backup_eligible: true,
            backup_state: true,
        };
        check(all, true, 0x5d);
        check(Flags::default(), false, 0x00);
    }
}
