//! `sigkill`: an emulator in a child process (this bench's own binary, see `child`) killed
//! with SIGKILL while federated sign-ins and linkings run against it, then restarted on the
//! same data directory. What was acknowledged before the kill must be there after it: a user
//! who got tokens signs in again with the passkey and lands on the same user; a native user
//! whose link was acknowledged (the second sign-in landed on it) still holds the identity.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::authenticator::{AuthenticatorConfig, VirtualAuthenticator};
use harness::driver::Target;
use harness::driver::http::HttpDriver;
use harness::scenario::Step;
use serde_json::json;

use super::federated::{DEVICE, first_steps, linking_steps, returning_steps, scenario};
use super::{CHILD_DIR, CHILD_PORTS, post};
use crate::common::POOL;

/// A user whose sign-in was acknowledged: the device holding the passkey, and who the tokens
/// named. `native` is true for a linked native user.
struct Acked {
    email: String,
    device: VirtualAuthenticator,
    username: String,
    native: bool,
}

type Acks = Arc<Mutex<Vec<Acked>>>;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

fn spawn(dir: &std::path::Path, ports: (u16, u16)) -> (Child, Target) {
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .env(CHILD_DIR, dir)
        .env(CHILD_PORTS, format!("{},{}", ports.0, ports.1))
        .stdout(Stdio::piped())
        .spawn()
        .expect("child");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("urls");
    let (cognito, idp) = line.trim().split_once(' ').expect("two urls");
    let target = Target {
        cognito_url: cognito.to_owned(),
        idp_url: idp.to_owned(),
        clock: None,
        trust: None,
        app_url: None,
    };
    (child, target)
}

fn driver(target: &Target, email: &str, device: VirtualAuthenticator) -> HttpDriver {
    let mut d = HttpDriver::new(target.clone(), &scenario(email)).expect("driver");
    d.insert_device(DEVICE, device);
    d
}

async fn steps(d: &mut HttpDriver, steps: &[Step]) -> Result<String, String> {
    for s in steps {
        d.step(s)
            .await
            .map_err(|e| format!("{}: {e:#}", s.title()))?;
    }
    let claims = d.app.claims.as_ref().ok_or("no tokens")?;
    Ok(claims["cognito:username"].as_str().unwrap_or("").to_owned())
}

/// One worker: new users (every third a native user to link) until the emulator dies.
async fn worker(target: Target, acks: Acks, w: u64, round: u64) {
    let http = reqwest::Client::new();
    for i in 0.. {
        let email = format!("k{round}-{w}-{i}@example.com");
        let seed = (round << 40) | (w << 20) | i;
        let device = VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), seed)
            .expect("device");
        let native = i % 3 == 0;
        if native {
            let body = json!({"UserPoolId": POOL, "Username": email, "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]});
            let created = tokio::time::timeout(
                Duration::from_secs(5),
                post(
                    &http,
                    &target.cognito_url,
                    "AdminCreateUser",
                    &body.to_string(),
                ),
            )
            .await;
            if !matches!(created, Ok((200, _))) {
                return;
            }
        }
        let mut d = driver(&target, &email, device);
        let flow = if native {
            linking_steps()
        } else {
            first_steps(Step::ExpectTokens {})
        };
        let Ok(Ok(username)) =
            tokio::time::timeout(Duration::from_secs(5), steps(&mut d, &flow)).await
        else {
            return;
        };
        let device = d.take_device(DEVICE).expect("device");
        acks.lock().expect("acks").push(Acked {
            email,
            device,
            username,
            native,
        });
    }
}

/// Checks acknowledged users after a restart; returns the ones lost, with why.
async fn verify(target: &Target, acked: &mut [Acked]) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut lost = Vec::new();
    for a in acked.iter_mut() {
        let device = std::mem::replace(
            &mut a.device,
            VirtualAuthenticator::with_seed(AuthenticatorConfig::platform_passkey(), 0)
                .expect("device"),
        );
        let mut d = driver(target, &a.email, device);
        match steps(&mut d, &returning_steps()).await {
            Ok(u) if u == a.username => {}
            Ok(u) => lost.push(format!("{}: signed in as {u}, not {}", a.email, a.username)),
            Err(e) => lost.push(format!("{}: {e}", a.email)),
        }
        a.device = d.take_device(DEVICE).expect("device");
        if a.native {
            let body = json!({"UserPoolId": POOL, "Username": a.username}).to_string();
            let (_, user) = post(&http, &target.cognito_url, "AdminGetUser", &body).await;
            if !user.contains("Mosaic") {
                lost.push(format!("{}: the link is gone", a.email));
            }
        }
    }
    lost
}

pub async fn sigkill(rounds: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let ports = (free_port(), free_port());
    let mut all: Vec<Acked> = Vec::new();
    let mut lost = Vec::new();
    for round in 0..rounds as u64 {
        let (mut child, target) = spawn(dir.path(), ports);
        let acks: Acks = Arc::default();
        let workers: Vec<_> = (0..8)
            .map(|w| tokio::spawn(worker(target.clone(), acks.clone(), w, round)))
            .collect();
        tokio::time::sleep(Duration::from_millis(300 + 100 * round)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
        for w in workers {
            let _ = w.await;
        }
        let mut fresh = std::mem::take(&mut *acks.lock().expect("acks"));
        // Restarted: what this round acknowledged must have survived the kill.
        let (mut child, target) = spawn(dir.path(), ports);
        lost.extend(verify(&target, &mut fresh).await);
        child.kill().expect("kill");
        child.wait().expect("wait");
        println!(
            "sigkill: round {} acknowledged {} sign-ins ({} linked)",
            round + 1,
            fresh.len(),
            fresh.iter().filter(|a| a.native).count()
        );
        all.extend(fresh);
    }
    let (mut child, target) = spawn(dir.path(), ports);
    lost.extend(verify(&target, &mut all).await);
    child.kill().expect("kill");
    child.wait().expect("wait");
    let links = all.iter().filter(|a| a.native).count();
    println!(
        "sigkill: {rounds} SIGKILL rounds; acknowledged {} users with passkeys ({links} of them linked native users); lost after restarts: {}",
        all.len(),
        lost.len()
    );
    for l in lost.iter().take(10) {
        println!("  lost: {l}");
    }
}
