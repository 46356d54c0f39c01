//! The local certificate authority of HTTPS mode: created once (kept in the data directory, or
//! in memory for an ephemeral run), and the leaf certificate it issues for the listeners.
//!
//! Keys come from the OS's randomness, not from the injected `Entropy`, on purpose: a user
//! trusts this CA on their machine, and a key derivable from a seed (the config's `seed` is in
//! every test file) would let anyone mint certificates that machine trusts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA's subject: also how a leaf names its issuer, so it must not change between versions
/// (a persisted CA is re-read with it).
const CA_NAME: &str = "cognito-twin local CA";
const DAY: i64 = 86_400;
/// Chromium refuses leaf certificates valid for more than 398 days.
const LEAF_DAYS: i64 = 397;
const CA_DAYS: i64 = 10 * 365;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("the CA in {path} is unreadable: {reason} (delete the directory to make a new CA)")]
    BadCa { path: String, reason: String },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{0} is not a DNS name or IP address a certificate can name")]
    BadName(String),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] tokio_rustls::rustls::Error),
}

/// A certificate authority: its certificate and key as PEM, and where they are kept.
#[derive(Clone)]
pub struct Authority {
    cert_pem: String,
    key_pem: String,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A leaf certificate with its chain (leaf, then the CA) and key, for a rustls server.
#[derive(Debug)]
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

fn ca_params(now_secs: i64) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "cognito-twin emulator");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = at(now_secs - DAY);
    params.not_after = at(now_secs + CA_DAYS * DAY);
    params
}

fn at(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

impl Authority {
    /// A new CA held in memory (an ephemeral run, tests).
    pub fn generate(now_secs: i64) -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let cert = ca_params(now_secs).self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            dir: None,
        })
    }

    /// The CA kept in `dir` (`ca.pem`, `ca-key.pem`), created there on first use.
    pub fn load_or_create(dir: &Path, now_secs: i64) -> Result<Self, TlsError> {
        let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
        if cert_path.exists() && key_path.exists() {
            let cert_pem = read(&cert_path)?;
            let key_pem = read(&key_path)?;
            KeyPair::from_pem(&key_pem).map_err(|e| TlsError::BadCa {
                path: key_path.display().to_string(),
                reason: e.to_string(),
            })?;
            return Ok(Self {
                cert_pem,
                key_pem,
                dir: Some(dir.to_owned()),
            });
        }
        let mut ca = Self::generate(now_secs)?;
        std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
            action: "create",
            path: dir.display().to_string(),
            source,
        })?;
        write(&key_path, &ca.key_pem, 0o600)?;
        write(&cert_path, &ca.cert_pem, 0o644)?;
        ca.dir = Some(dir.to_owned());
        Ok(ca)
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Where the CA's certificate is kept, if on disk.
    pub fn cert_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("ca.pem"))
    }

    pub fn cert_der(&self) -> Result<CertificateDer<'static>, TlsError> {
        pem_body(&self.cert_pem)
            .map(CertificateDer::from)
            .ok_or_else(|| TlsError::BadCa {
                path: self
                    .cert_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                reason: "not a PEM certificate".into(),
            })
    }

    /// Base64 of the SHA-256 of the CA's SubjectPublicKeyInfo: what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes to trust certificates under this CA.
    pub fn spki_sha256(&self) -> Result<String, TlsError> {
        use base64::Engine;
        let key = self.key()?;
        let digest = Sha256::digest(key.subject_public_key_info());
        Ok(base64::engine::general_purpose::STANDARD.encode(digest))
    }

    fn key(&self) -> Result<KeyPair, TlsError> {
        KeyPair::from_pem(&self.key_pem).map_err(|e| TlsError::BadCa {
            path: self
                .dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            reason: e.to_string(),
        })
    }

    /// A leaf certificate for `names` (DNS names, wildcards, IP addresses) with a new key,
    /// valid from an hour ago for [`LEAF_DAYS`], for TLS servers only.
    pub fn issue(&self, names: &[String], now_secs: i64) -> Result<Leaf, TlsError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().map_or("localhost", |n| n));
        params.subject_alt_names = names.iter().map(|n| san(n)).collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = at(now_secs - 3600);
        params.not_after = at(now_secs + LEAF_DAYS * DAY);
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::new(ca_params(now_secs), self.key()?);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok(Leaf {
            chain: vec![cert.der().clone(), self.cert_der()?],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

fn san(name: &str) -> Result<SanType, TlsError> {
    if let Ok(ip) = name.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bad = || TlsError::BadName(name.to_owned());
    let dns = name.to_owned().try_into().map_err(|_| bad())?;
    Ok(SanType::DnsName(dns))
}

/// The DER inside a PEM block.
pub(super) fn pem_body(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })
}

fn write(path: &Path, text: &str, mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| TlsError::Io {
            action: "write",
            path: path.display().to_string(),
            source,
        })
}

/// Base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo (as [`Authority::spki_sha256`],
/// for a CA known only by its certificate: `harness run --ca FILE`).
pub fn cert_spki_sha256(cert_pem: &str) -> Option<String> {
    use base64::Engine;
    let der = pem_body(cert_pem)?;
    let spki = spki_of(&der)?;
    Some(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki)))
}

/// The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 4.1): the seventh element of
/// the TBSCertificate when it starts with the `[0]` version, the sixth otherwise.
fn spki_of(cert: &[u8]) -> Option<&[u8]> {
    let (_, cert_body, _) = der_element(cert)?;
    let (_, tbs, _) = der_element(cert_body)?;
    let mut rest = tbs;
    let (tag, _, _) = der_element(rest)?;
    let skip = if tag == 0xa0 { 6 } else { 5 };
    for _ in 0..skip {
        rest = der_element(rest)?.2;
    }
    let (tag, body, after) = der_element(rest)?;
    (tag == 0x30)
        .then(|| &rest[..rest.len() - after.len()])
        .filter(|_| !body.is_empty())
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spki_read_from_the_certificate_is_the_keys() {
        let ca = Authority::generate(1_767_225_600).unwrap();
        assert_eq!(
            cert_spki_sha256(ca.cert_pem()).as_deref(),
            Some(ca.spki_sha256().unwrap().as_str())
        );
        assert_eq!(
            cert_spki_sha256("-----BEGIN CERTIFICATE-----\nAAAA\n"),
            None
        );
    }
}
