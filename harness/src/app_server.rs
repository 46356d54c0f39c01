//! Serves an app under test: a directory of static files (a single-page app's build) on a
//! loopback port, over HTTPS under the run's CA when given, plus files put in memory (the app's
//! config naming the emulator's ports and its app client, known once the server is up). Unknown paths without an extension get
//! `index.html`, as a single-page app's host does.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use emulator::tls::{Authority, Listening};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running app server; dropping it stops it.
#[derive(Debug)]
pub struct AppServer {
    /// The app's origin, e.g. `https://localhost:43117`.
    pub url: String,
    site: Arc<Site>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Site {
    root: PathBuf,
    /// Files served from memory, by path without the leading slash. A `std::sync::Mutex`:
    /// never held across an `.await`.
    generated: Mutex<BTreeMap<String, String>>,
}

impl AppServer {
    /// Serves `root` on `127.0.0.1`, over HTTPS with a certificate from `ca` for `localhost`
    /// when given.
    pub async fn start(root: &Path, ca: Option<&Authority>) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let tls = match ca {
            Some(ca) => {
                let now = emulator::clock::Clock::now_secs(&emulator::clock::SystemClock);
                let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
                Some(emulator::tls::server_config(ca.issue(&names, now)?)?)
            }
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let site = Arc::new(Site {
            root: root
                .canonicalize()
                .with_context(|| format!("the app's directory {}", root.display()))?,
            generated: Mutex::default(),
        });
        let app = axum::Router::new().fallback(file).with_state(site.clone());
        let listening = Listening::new(listener, tls.as_ref());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = emulator::tls::serve(listening, app, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Self {
            url: format!("{scheme}://localhost:{port}"),
            site,
            shutdown: Some(tx),
            task,
        })
    }

    /// Serves `body` at `path` (without the leading slash) from now on, before the files.
    pub fn put(&self, path: &str, body: String) {
        let mut files = self
            .site
            .generated
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        files.insert(path.to_owned(), body);
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn file(State(site): State<Arc<Site>>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let generated = site
        .generated
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(path)
        .cloned();
    if let Some(body) = generated {
        return (StatusCode::OK, [(header::CONTENT_TYPE, kind(path))], body).into_response();
    }
    let relative = Path::new(path);
    // Only plain names below the root: no `..`, no absolute paths.
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let wanted = if path.is_empty() || relative.extension().is_none() {
        site.root.join("index.html")
    } else {
        site.root.join(relative)
    };
    match tokio::fs::read(&wanted).await {
        Ok(body) => {
            let name = wanted.to_string_lossy().into_owned();
            (StatusCode::OK, [(header::CONTENT_TYPE, kind(&name))], body).into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn kind(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript",
        Some("json") => "application/json",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
