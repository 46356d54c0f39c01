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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            storage: Storage::Ephemeral,
            clock: Arc::new(SystemClock),
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
        self.cognito.services.triggers.shutdown();
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

/// Start with the given config on its configured addresses.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with(config, Options::default()).await
}

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
        .map_err(|e| anyhow::anyhow!("invalid trigger config: {e}"))?;
    let entropy = entropy(config.seed, &options.storage, &store)?;
    let listener = TcpListener::bind(config.cognito.bind)
        .await
        .with_context(|| format!("binding the Cognito listener to {}", config.cognito.bind))?;
    let addr = listener.local_addr()?;
    let url = config
        .cognito
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", addr.port()));
    let idp_bound = crate::idp::listener::bind(&mut config, &url).await?;
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
            config
                .trigger_timeout_ms
                .map(std::time::Duration::from_millis),
        )),
        faults,
    };
    crate::seed::apply(&cognito, &config)
        .map_err(|e| anyhow::anyhow!("applying the config: {e}"))?;
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
            let server = crate::idp::listener::Server::spawn(bound.listener, app);
            (Some(bound.addr), Some(bound.url), Some(server))
        }
        _ => (None, None, None),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
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
        shutdown: Some(tx),
        task,
    })
}
