//! HTTPS mode: the names the listeners' certificate covers, the rustls configs of the listeners
//! and of the emulator's own outbound calls, and serving a router over either transport.

mod authority;
mod listener;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::CertificateDer;

pub use authority::{Authority, Leaf, TlsError, cert_spki_sha256};
pub use listener::TlsListener;
/// The rustls the emulator's configs are made with, for clients that take them.
pub use tokio_rustls::rustls;

/// The names every leaf covers, before the config's own and the public URLs' hosts. No
/// `*.localhost`: clients refuse a wildcard directly under a top-level name (rustls/webpki and
/// NSS want two labels after it, Node.js refuses `*.tld`), so other hosts under `localhost` are
/// listed in `[tls] names` (`app.localhost`, or a deeper wildcard such as `*.app.localhost`).
pub const DEFAULT_NAMES: &[&str] = &["localhost", "idp.localhost", "127.0.0.1", "::1"];

/// The certificate's names: the defaults, the hosts of the public URLs, then `extra`
/// (the config's `[tls] names`), without repeats.
pub fn names(public_urls: &[&str], extra: &[String]) -> Vec<String> {
    let hosts = public_urls.iter().filter_map(|u| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
    });
    let mut out: Vec<String> = Vec::new();
    for n in DEFAULT_NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .chain(hosts)
        .chain(extra.iter().cloned())
    {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A listener's TLS config: the leaf and its chain, HTTP/1.1 by ALPN.
pub fn server_config(leaf: Leaf) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client config trusting only `ca`: what the emulator's outbound calls (Cognito to the IdP,
/// to a Lambda RIE) and the harness use in HTTPS mode.
pub fn client_config(ca: &Authority) -> Result<rustls::ClientConfig, TlsError> {
    trusting(ca.cert_der()?)
}

/// A client config trusting only the CA certificate in `pem` (e.g. the file `emulator ca`
/// prints), for a client of an emulator running elsewhere.
pub fn client_config_from_pem(pem: &str) -> Result<rustls::ClientConfig, TlsError> {
    let der = authority::pem_body(pem).ok_or_else(|| TlsError::BadCa {
        path: "(given PEM)".into(),
        reason: "not a PEM certificate".into(),
    })?;
    trusting(CertificateDer::from(der))
}

fn trusting(ca: CertificateDer<'static>) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca)?;
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What the emulator's outbound calls trust in HTTPS mode: the CA as a rustls config (its own
/// HTTP clients) and as a PEM file (`NODE_EXTRA_CA_CERTS` of the Node.js trigger workers,
/// `AWS_CA_BUNDLE` of the Python ones, whose AWS SDK calls the emulator back over HTTPS).
#[derive(Debug, Clone)]
pub struct Outbound {
    pub config: rustls::ClientConfig,
    pub ca_file: std::path::PathBuf,
}

impl Outbound {
    /// The CA's file: the data directory's, or for a CA in memory one in the temporary
    /// directory named by the CA's key (a public certificate; the same CA, the same file).
    pub fn new(ca: &Authority) -> Result<Self, TlsError> {
        let ca_file = match ca.cert_path() {
            Some(path) => path,
            None => {
                let id: String = ca
                    .spki_sha256()?
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(16)
                    .collect();
                let path = std::env::temp_dir().join(format!("cognito-twin-ca-{id}.pem"));
                publish(&path, ca.cert_pem())?;
                path
            }
        };
        Ok(Self {
            config: client_config(ca)?,
            ca_file,
        })
    }
}

/// An HTTP client for the emulator's own tools reading a running emulator (`emulator journal`,
/// `emulator doctor --url`): trusting only the CA in `ca_file` when given (an emulator in HTTPS
/// mode; `emulator ca` prints the file's path).
pub fn tool_client(ca_file: Option<&std::path::Path>) -> anyhow::Result<reqwest::Client> {
    let builder = reqwest::Client::builder();
    let builder = match ca_file {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("reading the CA certificate {}: {e}", path.display())
            })?;
            builder.use_preconfigured_tls(client_config_from_pem(&pem)?)
        }
        None => builder,
    };
    Ok(builder.build()?)
}

/// Writes `text` at `path` unless it is there already, through a file of this call (process
/// id and a counter: emulators of one run start in parallel in one process) renamed into
/// place: emulators of one run share the CA's file, and a worker reading it while another
/// emulator starts must never see it truncated.
fn publish(path: &std::path::Path, text: &str) -> Result<(), TlsError> {
    static STAGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    let io = |source| TlsError::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    };
    let n = STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let staged = path.with_extension(format!("pem.{}.{n}", std::process::id()));
    std::fs::write(&staged, text).map_err(io)?;
    std::fs::rename(&staged, path).map_err(io)
}

/// A bound listener, plain or TLS.
#[derive(Debug)]
pub enum Listening {
    Plain(TcpListener),
    Tls(TlsListener),
}

impl Listening {
    pub fn new(listener: TcpListener, tls: Option<&Arc<rustls::ServerConfig>>) -> Self {
        match tls {
            Some(config) => Self::Tls(TlsListener::new(listener, config.clone())),
            None => Self::Plain(listener),
        }
    }
}

/// Serves `app` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listening: Listening,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match listening {
        Listening::Plain(l) => axum::serve(l, app).with_graceful_shutdown(shutdown).await,
        Listening::Tls(l) => axum::serve(l, app).with_graceful_shutdown(shutdown).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Emulators of one run start in parallel in one process and publish one CA file: every
    /// one succeeds and the file is whole.
    #[test]
    fn parallel_publishers_of_one_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        let text = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n".repeat(50);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| publish(&path, &text))).collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        });
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "staged files left behind");
    }

    #[test]
    fn names_cover_the_defaults_then_the_hosts_then_extras_once() {
        let got = names(
            &["https://localhost:9229", "https://idp.example.test:9230"],
            &["app.test".into(), "localhost".into()],
        );
        assert_eq!(
            got,
            [
                "localhost",
                "idp.localhost",
                "127.0.0.1",
                "::1",
                "idp.example.test",
                "app.test"
            ]
        );
    }
}
