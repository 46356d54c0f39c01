//! Builds valid responses from parts and signs them (aws-lc keys, rcgen certificates), so the
//! negative catalogue can change exactly one thing and expect exactly one check to fail.
//! Test-only: an independent, minimal authenticator is the harness's job.
#![allow(dead_code)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use ciborium::Value;
use emulator_webauthn::encoding::{b64, sha256};
use rcgen::{BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair};

pub const RP_ID: &str = "idp.localhost";
pub const ORIGIN: &str = "http://idp.localhost:9230";
pub const AAGUID: [u8; 16] = *b"forge-aaguid-016";

/// A P-256 credential key.
pub struct Key(EcdsaKeyPair);

impl Key {
    pub fn new() -> Key {
        Key(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("keygen"))
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0
            .sign(&SystemRandom::new(), message)
            .expect("sign")
            .as_ref()
            .to_vec()
    }

    /// COSE_Key with the given `alg` label (normally -7).
    pub fn cose(&self, alg: i64) -> Vec<u8> {
        let point = self.0.public_key().as_ref();
        let map = Value::Map(vec![
            (1.into(), 2.into()),
            (3.into(), alg.into()),
            ((-1).into(), 1.into()),
            ((-2).into(), Value::Bytes(point[1..33].to_vec())),
            ((-3).into(), Value::Bytes(point[33..].to_vec())),
        ]);
        cbor(&map)
    }
}

pub fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("cbor");
    out
}

pub fn client_data(type_: &str, challenge: &str, origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{type_}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#
    )
    .into_bytes()
}

/// authenticatorData: rpIdHash, flags, counter, optional attested credential data and tail.
pub fn auth_data(
    rp_id: &str,
    flags: u8,
    counter: u32,
    attested: Option<(&[u8], &[u8])>,
) -> Vec<u8> {
    let mut out = sha256(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    if let Some((credential_id, cose)) = attested {
        out.extend_from_slice(&AAGUID);
        out.extend_from_slice(
            &u16::try_from(credential_id.len())
                .expect("len")
                .to_be_bytes(),
        );
        out.extend_from_slice(credential_id);
        out.extend_from_slice(cose);
    }
    out
}

pub fn attestation_object(fmt: &str, att_stmt: Vec<(Value, Value)>, auth_data: &[u8]) -> Vec<u8> {
    cbor(&Value::Map(vec![
        ("fmt".into(), fmt.into()),
        ("attStmt".into(), Value::Map(att_stmt)),
        ("authData".into(), Value::Bytes(auth_data.to_vec())),
    ]))
}

/// An attestation CA and leaf certificates it signs.
pub struct Ca {
    key: KeyPair,
    params: CertificateParams,
    pub der: Vec<u8>,
}

/// How to shape a packed attestation leaf.
#[derive(Clone)]
pub struct Leaf {
    pub is_ca: bool,
    pub ou: &'static str,
    pub aaguid_ext: Option<([u8; 16], bool)>,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            is_ca: false,
            ou: "Authenticator Attestation",
            aaguid_ext: Some((AAGUID, false)),
        }
    }
}

impl Ca {
    pub fn new() -> Ca {
        let key = KeyPair::generate().expect("ca key");
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "Forge Attestation Root");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let der = params.self_signed(&key).expect("root").der().to_vec();
        Ca { key, params, der }
    }

    /// A leaf certificate and its key (as an aws-lc signer).
    pub fn leaf(&self, leaf: &Leaf) -> (Vec<u8>, Key) {
        let key = KeyPair::generate().expect("leaf key");
        let mut params = CertificateParams::default();
        for (t, v) in [
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "Forge"),
            (DnType::OrganizationalUnitName, leaf.ou),
            (DnType::CommonName, "Forge Batch"),
        ] {
            params.distinguished_name.push(t, v);
        }
        params.is_ca = if leaf.is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        if let Some((aaguid, critical)) = leaf.aaguid_ext {
            let mut content = vec![0x04, 0x10];
            content.extend_from_slice(&aaguid);
            let mut ext =
                CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4], content);
            ext.set_criticality(critical);
            params.custom_extensions.push(ext);
        }
        let issuer = Issuer::from_params(&self.params, &self.key);
        let der = params
            .signed_by(&key, &issuer)
            .expect("leaf")
            .der()
            .to_vec();
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key.serialize_der())
                .expect("pkcs8");
        (der, Key(signer))
    }
}

pub fn challenge_b64(seed: u8) -> String {
    b64(&[seed; 32])
}
