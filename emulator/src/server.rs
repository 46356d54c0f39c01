//! Starting and stopping the emulator: state, listeners, graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::{Clock, Entropy, SystemClock};
use crate::cognito::{Cognito, keys::KeyRing};
use crate::config::Config;
use crate::journal::{EventKind, Journal, Service};
use crate::outbox::Outbox;
use crate::store::Store;
use crate::tls::{Authority, Listening};

/// Where state lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// In memory: gone when the process ends (`--ephemeral`, tests).
    Ephemeral,
    /// `DIR/emulator.sqlite`, created if needed.
    Dir(PathBuf),
}

/// Everything `start` needs besides the config; tests inject their clock here.
#[derive(Debug, Clone)]
pub struct Options {
    pub storage: Storage,
    pub clock: Arc<dyn Clock>,
    /// In HTTPS mode, the CA to issue the listeners' certificate from (the harness shares one
    /// across the emulators of a run); otherwise the data directory's, or a new one in memory.
    pub tls_authority: Option<Authority>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            storage: Storage::Ephemeral,
            clock: Arc::new(SystemClock),
            tls_authority: None,
        }
    }
}

/// A running emulator. Dropping it without `stop` aborts the server task.
#[derive(Debug)]
pub struct Running {
    pub cognito_addr: SocketAddr,
    /// The Cognito origin clients use, e.g. `http://localhost:9229`.
    pub cognito_url: String,
    pub cognito: Cognito,
    /// The passwordless IdP's listener (absent without an `[idp]` section).
    pub idp_addr: Option<SocketAddr>,
    /// The IdP origin browsers use, e.g. `http://idp.localhost:9230`.
    pub idp_url: Option<String>,
    pub idp: Option<crate::idp::Idp>,
    /// The CA behind the listeners' certificate, in HTTPS mode.
    pub tls: Option<Authority>,
    idp_server: Option<crate::idp::listener::Server>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stop accepting connections, finish in-flight requests, and return.
    pub async fn stop(mut self) {
        self.cognito.journal.close();
        if let Some(idp) = self.idp_server.take() {
            idp.stop().await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.cognito.services.triggers.stop_workers().await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        self.cognito.services.triggers.shutdown();
    }
}

/// The random source: the OS's, or the config's seed. A durable store counts its starts and
/// each start draws from its own stream of the seed, so no restart replays an earlier start's
/// ids or secrets (a replayed `sub` would make every new user a duplicate).
fn entropy(seed: Option<u64>, storage: &Storage, store: &Store) -> anyhow::Result<Entropy> {
    let Some(seed) = seed else {
        return Ok(Entropy::from_os());
    };
    let stream = match storage {
        Storage::Ephemeral => 0,
        Storage::Dir(_) => store
            .count_start()
            .context("counting starts in the state database")?,
    };
    Ok(Entropy::seeded_stream(seed, stream))
}

/// HTTPS mode's pieces: the CA, the listeners' config, the outbound calls' config.
struct TlsSetup {
    authority: Authority,
    server: Arc<tokio_rustls::rustls::ServerConfig>,
    outbound: crate::tls::Outbound,
}

/// In HTTPS mode: the CA (given, the data directory's, or a new one), and a leaf for the
/// default names, the public URLs' hosts and the config's names. Validity is real time (the
/// clients checking it live in real time), so the system clock, not the injected one.
fn tls_setup(
    config: &Config,
    options: &Options,
    urls: [Option<&String>; 2],
) -> anyhow::Result<Option<TlsSetup>> {
    if !config.tls.enabled {
        return Ok(None);
    }
    let now = SystemClock.now_secs();
    let authority = match (&options.tls_authority, &options.storage) {
        (Some(ca), _) => ca.clone(),
        (None, Storage::Dir(dir)) => Authority::load_or_create(&dir.join("tls"), now)?,
        (None, Storage::Ephemeral) => Authority::generate(now)?,
    };
    let urls: Vec<&str> = urls.into_iter().flatten().map(String::as_str).collect();
    let leaf = authority.issue(&crate::tls::names(&urls, &config.tls.names), now)?;
    Ok(Some(TlsSetup {
        server: crate::tls::server_config(leaf)?,
        outbound: crate::tls::Outbound::new(&authority)?,
        authority,
    }))
}

/// Start with the given config on its configured addresses.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with(config, Options::default()).await
}

/// Why [`start_with`] refused a config (a trigger it cannot run, a setting Cognito refuses),
/// as opposed to failing to start (a port, the data directory): callers can tell them apart
/// with `downcast_ref`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigRefused(pub String);

pub async fn start_with(mut config: Config, options: Options) -> anyhow::Result<Running> {
    let store = match &options.storage {
        Storage::Ephemeral => Store::in_memory(),
        Storage::Dir(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating data directory {}", dir.display()))?;
            Store::open(dir)
        }
    }
    .context("opening the state database")?;
    crate::cognito::triggers::check_config(&config)
        .map_err(|e| ConfigRefused(format!("invalid trigger config: {e}")))?;
    let entropy = entropy(config.seed, &options.storage, &store)?;
    if config.tls.enabled {
        config.use_https();
    }
    let listener = TcpListener::bind(config.cognito.bind)
        .await
        .with_context(|| format!("binding the Cognito listener to {}", config.cognito.bind))?;
    let addr = listener.local_addr()?;
    let url = crate::config::public_url(
        config.cognito.public_url.as_deref(),
        config.scheme(),
        "localhost",
        addr.port(),
    );
    let idp_bound = crate::idp::listener::bind(&mut config, &url).await?;
    let tls = tls_setup(
        &config,
        &options,
        [Some(&url), idp_bound.as_ref().map(|b| &b.url)],
    )?;
    let mut journal = Journal::new(options.clock.clone(), config.journal_capacity)
        .with_max_bytes(config.journal_max_bytes);
    if let (true, Storage::Dir(dir)) = (config.journal_persist, &options.storage) {
        let path = dir.join("journal.jsonl");
        journal = journal
            .persist_to(&path)
            .with_context(|| format!("opening the journal file {}", path.display()))?;
    }
    let faults = crate::faults::Faults::new(options.clock.clone());
    let cognito = Cognito {
        store: Arc::new(store),
        clock: faults.clock(crate::faults::Side::Cognito),
        entropy: Arc::new(entropy),
        journal: journal.clone(),
        outbox: Outbox::new(options.clock.clone()).with_faults(faults.clone()),
        keys: Arc::new(KeyRing::default()),
        region: config.region.clone(),
        base_url: url.trim_end_matches('/').to_owned(),
        services: Arc::new(crate::cognito::Services::new(
            config.lambda_functions.clone(),
            config.lambda_permissions.clone(),
            config
                .trigger_timeout_ms
                .map(std::time::Duration::from_millis),
            tls.as_ref().map(|t| &t.outbound),
        )),
        issuers: Arc::new(crate::cognito::Issuers {
            default: config.cognito.issuer,
            pools: config
                .cognito
                .pools
                .iter()
                .filter_map(|p| Some((p.id.clone(), p.issuer?)))
                .collect(),
        }),

        faults,
    };
    crate::seed::apply(&cognito, &config)
        .map_err(|e| ConfigRefused(format!("applying the config: {e}")))?;
    let idp = match &idp_bound {
        Some(bound) => crate::idp::listener::state(&config, bound, &cognito)?,
        None => None,
    };
    journal.record(
        Service::Control,
        EventKind::Admin,
        "started",
        None,
        serde_json::json!({"cognito": url}),
    );

    let control = crate::control::Control {
        cognito: cognito.clone(),
        idp: idp.clone(),
        config: Arc::new(config),
    };
    let app = crate::cognito::http::router(cognito.clone())
        .merge(crate::control::router(control.clone()))
        .merge(crate::console::router(control.clone()));
    let (idp_addr, idp_url, idp_server) = match (idp_bound, &idp) {
        (Some(bound), Some(state)) => {
            let app =
                crate::idp::http::router(state.clone()).merge(crate::control::router(control));
            let listening = Listening::new(bound.listener, tls.as_ref().map(|t| &t.server));
            let server = crate::idp::listener::Server::spawn(listening, app);
            (Some(bound.addr), Some(bound.url), Some(server))
        }
        _ => (None, None, None),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let listening = Listening::new(listener, tls.as_ref().map(|t| &t.server));
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(e) = crate::tls::serve(listening, app, shutdown).await {
            eprintln!("emulator: server error: {e}");
        }
    });
    Ok(Running {
        cognito_addr: addr,
        cognito_url: url,
        cognito,
        idp_addr,
        idp_url,
        idp,
        idp_server,
        tls: tls.map(|t| t.authority),
        shutdown: Some(tx),
        task,
    })
}
