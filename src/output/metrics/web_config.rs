//! --web-config FILE: TLS and basic authentication for --metrics-addr, in the file
//! format of the Prometheus exporter-toolkit, the one node_exporter and ebpf_exporter
//! read (`--web.config.file`):
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # relative paths start at the file's directory
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # or VerifyClientCertIfGiven
//!   client_ca_file: ca.crt
//!   min_version: TLS13              # TLS12 (the default) or TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...          # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! An unknown key, a file that cannot be read, a certificate that does not match its
//! key or a hash that is not bcrypt is an error at the start (one line), as it is for
//! the exporter-toolkit. TLS is rustls (its ring provider); hashes are checked with the
//! bcrypt crate.

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use anyhow::Context;
use anyhow::Result;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::PrivateKeyDer;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls::ServerConfig;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebConfigFile {
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: PathBuf,
    key_file: PathBuf,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
}

/// What --web-config asks of the server: TLS, and the users of basic authentication
/// with their bcrypt hashes (none: no authentication).
#[derive(Debug, Default)]
pub struct WebConfig {
    pub tls: Option<Arc<ServerConfig>>,
    pub users: BTreeMap<String, String>,
}

impl WebConfig {
    /// Reads `path` (an error names the file and what is wrong, in one line).
    pub fn load(path: &Path) -> Result<WebConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --web-config {}", path.display()))?;
        let file: WebConfigFile = serde_norway::from_str(&text).map_err(|err| {
            anyhow::anyhow!(
                "--web-config {}: {}",
                path.display(),
                err.to_string().replace('\n', " ")
            )
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let tls = file
            .tls_server_config
            .map(|tls| tls_config(&tls, dir))
            .transpose()
            .with_context(|| format!("--web-config {}", path.display()))?;
        for (user, hash) in &file.basic_auth_users {
            if hash.parse::<bcrypt::HashParts>().is_err() {
                bail!(
                    "--web-config {}: the password of {user} is not a bcrypt hash \
                     (make one with `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)",
                    path.display()
                );
            }
        }
        Ok(WebConfig {
            tls: tls.map(Arc::new),
            users: file.basic_auth_users,
        })
    }
}

fn tls_config(tls: &TlsFile, dir: &Path) -> Result<ServerConfig> {
    let at = |file: &Path| dir.join(file);
    let cert_file = at(&tls.cert_file);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|err| anyhow::anyhow!("cert_file {}: {err}", cert_file.display()))?;
    if certs.is_empty() {
        bail!("cert_file {}: no certificate in it", cert_file.display());
    }
    let key_file = at(&tls.key_file);
    let key = PrivateKeyDer::from_pem_file(&key_file)
        .map_err(|err| anyhow::anyhow!("key_file {}: {err}", key_file.display()))?;
    let versions = versions(tls.min_version.as_deref(), tls.max_version.as_deref())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .context("no TLS version left")?;
    let auth = tls.client_auth_type.as_deref().unwrap_or("NoClientCert");
    let builder = match auth {
        "NoClientCert" => builder.with_no_client_auth(),
        "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert" => {
            let Some(ca_file) = &tls.client_ca_file else {
                bail!("client_auth_type {auth} needs client_ca_file");
            };
            let ca_file = at(ca_file);
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(&ca_file)
                .map_err(|err| anyhow::anyhow!("client_ca_file {}: {err}", ca_file.display()))?
            {
                let cert = cert.map_err(|err| {
                    anyhow::anyhow!("client_ca_file {}: {err}", ca_file.display())
                })?;
                roots
                    .add(cert)
                    .with_context(|| format!("client_ca_file {}", ca_file.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
            let verifier = if auth == "VerifyClientCertIfGiven" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .with_context(|| format!("client_ca_file {}", ca_file.display()))?,
            )
        }
        other => bail!(
            "client_auth_type {other} is not supported (NoClientCert, VerifyClientCertIfGiven \
             or RequireAndVerifyClientCert)"
        ),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .with_context(|| format!("cert_file {} and key_file", cert_file.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn versions(
    min: Option<&str>,
    max: Option<&str>,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let rank = |name: Option<&str>, default: u8| -> Result<u8> {
        match name {
            None => Ok(default),
            Some("TLS12") => Ok(12),
            Some("TLS13") => Ok(13),
            Some(other) => {
                bail!("TLS version {other} is not supported (TLS12 or TLS13; rustls has no older)")
            }
        }
    };
    let (min, max) = (rank(min, 12)?, rank(max, 13)?);
    let versions: Vec<_> = [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
        .into_iter()
        .filter(|(rank, _)| (min..=max).contains(rank))
        .map(|(_, version)| version)
        .collect();
    if versions.is_empty() {
        bail!("min_version is above max_version");
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<WebConfig> {
        let dir = std::env::temp_dir().join(format!("web-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("web.yml");
        std::fs::write(&path, text).unwrap();
        let loaded = WebConfig::load(&path);
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }

    #[test]
    fn users_need_bcrypt_hashes_and_unknown_keys_are_refused() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let config = load_text(&format!("basic_auth_users:\n  alice: {hash}\n")).unwrap();
        assert!(config.tls.is_none());
        assert_eq!(config.users.get("alice"), Some(&hash));
        let err = load_text("basic_auth_users:\n  bob: plaintext\n").unwrap_err();
        assert!(err.to_string().contains("not a bcrypt hash"), "{err}");
        let err = load_text("tls_server_config:\n  cert: x\n").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let err = load_text("tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n")
            .unwrap_err();
        assert!(format!("{err:#}").contains("none.crt"), "{err:#}");
    }

    #[test]
    fn tls_versions_are_12_and_13_only() {
        assert_eq!(versions(None, None).unwrap().len(), 2);
        assert_eq!(versions(Some("TLS13"), None).unwrap().len(), 1);
        assert!(versions(Some("TLS10"), None).is_err());
        assert!(versions(Some("TLS13"), Some("TLS12")).is_err());
    }
}
