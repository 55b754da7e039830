//! The relay's HTTPS identity: a PEM certificate chain and private key read once at start and
//! turned into a rustls server configuration on ring (the provider reqwest already brings in).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::RelayError;

/// Where the relay's certificate and key live (`--tls-cert`, `--tls-key`).
#[derive(Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl fmt::Debug for TlsFiles {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Paths only: the key file's content is never read into anything printable.
        formatter
            .debug_struct("TlsFiles")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

impl TlsFiles {
    /// Reads both files and builds the server configuration (HTTP/2 and HTTP/1.1 offered).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, RelayError> {
        let cert_pem = read(&self.cert, "certificate")?;
        let key_pem = read(&self.key, "private key")?;
        server_config(&cert_pem, &key_pem).map_err(|why| {
            RelayError::Setup(format!(
                "TLS with {} and {}: {why}",
                self.cert.display(),
                self.key.display()
            ))
        })
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, RelayError> {
    std::fs::read(path)
        .map_err(|error| RelayError::Setup(format!("TLS {what} {}: {error}", path.display())))
}

/// The configuration for one certificate chain and its key, both PEM.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("the certificate file is not PEM: {error}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no CERTIFICATE block".into());
    }
    // The error names the PEM problem, never the key's bytes.
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|error| format!("the key file holds no usable private key: {error}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the certificate and key do not go together: {error}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_not_pem_are_refused_with_the_reason() {
        let error = server_config(b"not a certificate", b"nor a key").expect_err("refused");
        assert!(error.contains("CERTIFICATE"), "{error}");
        let missing = TlsFiles {
            cert: PathBuf::from("/nonexistent/relay.pem"),
            key: PathBuf::from("/nonexistent/relay.key"),
        };
        let error = missing.server_config().expect_err("missing files");
        assert!(
            error.to_string().contains("/nonexistent/relay.pem"),
            "{error}"
        );
    }
}
