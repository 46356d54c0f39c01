//! The IdP's own listener: binding (before the config is applied, so ephemeral ports are known),
//! rebasing URLs onto the real ports, building the [`Idp`] on the shared store, and serving.
//!
//! With `Config::with_ephemeral_ports`, redirect URIs of IdP apps that start with the
//! configured Cognito origin, and the Cognito pools' IdP endpoint URLs that start with the
//! configured IdP origin, are rewritten to the origins actually bound, so the default config's
//! federation works unchanged in tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::keys::IdpKeys;
use super::{Idp, Settings};
use crate::cognito::Cognito;
use crate::config::Config;
use crate::webauthn::ChallengeRegistry;

#[derive(Debug)]
pub struct Bound {
    pub listener: TcpListener,
    pub addr: SocketAddr,
    /// The origin browsers use, e.g. `http://idp.localhost:9230`.
    pub url: String,
}

fn rebase(url: &mut String, from: &str, to: &str) {
    if let Some(rest) = url.strip_prefix(from) {
        *url = format!("{to}{rest}");
    }
}

/// Binds the IdP listener if the config has an `[idp]` section, and rebases URLs.
pub async fn bind(config: &mut Config, cognito_url: &str) -> anyhow::Result<Option<Bound>> {
    let scheme = config.scheme();
    let Some(section) = &mut config.idp else {
        return Ok(None);
    };
    let listener = TcpListener::bind(section.bind)
        .await
        .with_context(|| format!("binding the IdP listener to {}", section.bind))?;
    let addr = listener.local_addr()?;
    let url = crate::config::public_url(
        section.public_url.as_deref(),
        scheme,
        "idp.localhost",
        addr.port(),
    );
    if let Some((from_cognito, from_idp)) = section.rebase_from.take() {
        let from_cognito = from_cognito.trim_end_matches('/');
        let from_idp = from_idp.trim_end_matches('/');
        for app in section.tenants.iter_mut().flat_map(|t| t.apps.iter_mut()) {
            for uri in app
                .redirect_uris
                .iter_mut()
                .chain(app.post_logout_redirect_uris.iter_mut())
            {
                rebase(uri, from_cognito, cognito_url.trim_end_matches('/'));
            }
        }
        for idp in config
            .cognito
            .pools
            .iter_mut()
            .flat_map(|p| p.identity_providers.iter_mut())
        {
            for u in [
                &mut idp.authorize_url,
                &mut idp.token_url,
                &mut idp.attributes_url,
                &mut idp.jwks_uri,
            ] {
                rebase(u, from_idp, &url);
            }
        }
    }
    Ok(Some(Bound {
        listener,
        addr,
        url,
    }))
}

/// The IdP state, sharing the Cognito side's store, clock, entropy, journal and outbox.
pub fn state(config: &Config, bound: &Bound, cognito: &Cognito) -> anyhow::Result<Option<Idp>> {
    let Some(section) = &config.idp else {
        return Ok(None);
    };
    let settings = Settings::new(section, &bound.url)
        .map_err(|e| anyhow::anyhow!("invalid [idp] config: {e}"))?;
    Ok(Some(Idp {
        store: cognito.store.clone(),
        clock: cognito.faults.clock(crate::faults::Side::Idp),
        entropy: cognito.entropy.clone(),
        journal: cognito.journal.clone(),
        outbox: cognito.outbox.clone(),
        settings: Arc::new(settings),
        keys: Arc::new(IdpKeys::default()),
        challenges: Arc::new(Mutex::new(ChallengeRegistry::new())),
        qr_changes: Arc::new(tokio::sync::watch::Sender::new(0)),
        faults: cognito.faults.clone(),
    }))
}

/// How long a stop waits for in-flight requests.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A running IdP server task; dropping it aborts the task.
#[derive(Debug)]
pub struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    pub fn spawn(listening: crate::tls::Listening, app: axum::Router) -> Self {
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = crate::tls::serve(listening, app, shutdown).await {
                eprintln!("emulator: IdP server error: {e}");
            }
        });
        Self {
            shutdown: Some(tx),
            task,
        }
    }

    /// Stops accepting connections and gives in-flight requests [`STOP_GRACE`] to finish
    /// (a desktop's QR long poll would otherwise hold the stop for its whole bound).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(STOP_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
