//! The relay's HTTPS listener: a self-signed certificate made in the test, a client that
//! trusts it (reqwest, and the desk's own ApiClient through `[api] ca_cert`), plain HTTP to the
//! TLS port failing, and a non-loopback address refused without TLS or --insecure-listen.

mod relay_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use p100_desk::api::{ApiClient, ApiSettings};
use p100_desk::config::{self, CliOverrides, EnvVars, FileText, Sources};
use p100_desk::relay::{self, RelayOptions, Role, TlsFiles};
use secrecy::SecretString;

use relay_support::{UPSTREAM_KEY, WEBHOOK_TOKEN, fresh_database, start_sandbox, test_settings};

/// A certificate for 127.0.0.1 and localhost, and its key, written as PEM into `dir`.
fn self_signed(dir: &Path) -> (TlsFiles, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("certificate generated");
    let cert_pem = certified.cert.pem();
    let files = TlsFiles {
        cert: dir.join("relay.pem"),
        key: dir.join("relay.key"),
    };
    std::fs::write(&files.cert, &cert_pem).expect("cert written");
    std::fs::write(&files.key, certified.key_pair.serialize_pem()).expect("key written");
    (files, cert_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_serves_https_to_clients_that_trust_its_certificate() {
    let Some(db) = fresh_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (tls, cert_pem) = self_signed(dir.path());
    let sandbox = start_sandbox().await;
    let relay = relay::spawn_tls(
        RelayOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: db.clone(),
            upstream_url: sandbox.base_url().to_owned(),
            upstream_key: SecretString::from(UPSTREAM_KEY),
            webhook_token: Some(SecretString::from(WEBHOOK_TOKEN)),
            paths: p100_desk::api::ApiPaths::default(),
            settings: test_settings(),
            upstream_timeout: Duration::from_secs(5),
        },
        &tls,
    )
    .await
    .expect("relay starts with TLS");
    assert!(
        relay.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        relay.base_url()
    );
    let token = relay::add_operator(relay.pool(), "tess", Role::Viewer)
        .await
        .expect("operator");
    let balances = format!("{}/v1/partner/balances", relay.base_url());

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
        .build()
        .expect("client");
    let answer = trusting
        .get(&balances)
        .header("x-api-key", &token)
        .send()
        .await
        .expect("HTTPS answer");
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert!(body["fiatBalances"].is_array(), "{body}");

    // A client that does not trust the certificate gets no answer at all.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(&balances)
            .header("x-api-key", &token)
            .send()
            .await
            .is_err()
    );
    // Plain HTTP to the TLS port: the token never gets a clear-text answer.
    let plain = balances.replacen("https://", "http://", 1);
    let clear = reqwest::Client::new()
        .get(&plain)
        .header("x-api-key", &token)
        .send()
        .await;
    assert!(
        clear.as_ref().map_or(true, |answer| answer.status() != 200),
        "plain HTTP was served: {clear:?}"
    );

    // The desk's own client, trusting the relay's certificate through `[api] ca_cert`.
    std::fs::write(dir.path().join("relay-ca.pem"), &cert_pem).expect("CA written");
    let file = FileText {
        path: dir.path().join("config.toml"),
        text: format!(
            "profile = \"team\"\n[profiles.team]\nbase_url = \"{}\"\n[api]\nca_cert = \
             \"relay-ca.pem\"\n",
            relay.base_url()
        ),
        mode: None,
    };
    let env: EnvVars = [("P100_API_KEY", token.as_str())].into_iter().collect();
    let resolved = config::resolve(
        &Sources {
            file: Some(&file),
            env: &env,
            cli: &CliOverrides::default(),
            platform_data_dir: Some(dir.path()),
        },
        &|_| Err(std::io::Error::other("no key file")),
    )
    .expect("config resolves");
    let ca_path = resolved.ca_cert.clone().expect("ca_cert resolved");
    assert_eq!(ca_path, dir.path().join("relay-ca.pem"));
    let pem = std::fs::read(&ca_path).expect("CA read");
    let settings = || ApiSettings::new(relay.base_url(), SecretString::from(token.clone()));
    let desk = ApiClient::new_trusting(settings(), &pem).expect("desk client");
    let balances = desk.balances().await.expect("balances over HTTPS");
    assert!(!balances.fiat_balances.is_empty(), "{balances:?}");
    // Without the extra CA the same desk cannot reach the relay.
    let stranger = ApiClient::new(settings()).expect("desk client");
    assert!(stranger.balances().await.is_err());
    // A file with no certificate in it is refused when the client is built.
    assert!(ApiClient::new_trusting(settings(), b"not a certificate").is_err());

    relay.shutdown().await;
    sandbox.shutdown().await;
}

#[test]
fn the_ca_cert_flag_wins_over_the_config_file() {
    let file = FileText {
        path: PathBuf::from("/etc/p100/config.toml"),
        text: "[api]\nca_cert = \"team-ca.pem\"\n".to_owned(),
        mode: None,
    };
    let env = EnvVars::default();
    let resolve = |cli: &CliOverrides| {
        config::resolve(
            &Sources {
                file: Some(&file),
                env: &env,
                cli,
                platform_data_dir: Some(Path::new("/data")),
            },
            &|_| Err(std::io::Error::other("no key file")),
        )
        .expect("config resolves")
        .ca_cert
    };
    assert_eq!(
        resolve(&CliOverrides::default()),
        Some(PathBuf::from("/etc/p100/team-ca.pem"))
    );
    let flag = CliOverrides {
        ca_cert: Some(PathBuf::from("/tmp/other.pem")),
        ..CliOverrides::default()
    };
    assert_eq!(resolve(&flag), Some(PathBuf::from("/tmp/other.pem")));
}

#[test]
fn a_non_loopback_listen_without_tls_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_p100-desk"))
        .args([
            "relay",
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .env_remove("P100_API_KEY")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not loopback") && stderr.contains("--tls-cert"),
        "{stderr}"
    );
    // Half a TLS configuration is a usage error, before anything starts.
    let half = Command::new(env!("CARGO_BIN_EXE_p100-desk"))
        .args([
            "relay",
            "serve",
            "--tls-cert",
            "relay.pem",
            "--database-url",
            "x",
        ])
        .output()
        .expect("the binary runs");
    assert_eq!(half.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&half.stderr).contains("--tls-key"));
}
