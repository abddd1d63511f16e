//! HTTPS for the mock: a throw-away CA and a leaf certificate for `127.0.0.1`, `::1` and `localhost`,
//! made by rcgen at start-up. The CA is written to a PEM file a client can be told to trust
//! (`NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::error::IdpError;

#[derive(Debug, Clone)]
pub struct TlsMaterial {
    pub ca_pem: String,
    /// Leaf certificate followed by the CA, as served.
    pub chain_pem: String,
    pub key_pem: String,
}

impl TlsMaterial {
    pub fn generate() -> Result<Self, IdpError> {
        let err = |e: rcgen::Error| IdpError::Tls(e.to_string());
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "mcp-authlab test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?)
            .map_err(err)?;

        let mut leaf_params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .map_err(err)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "mcp-authlab mock");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf_key = KeyPair::generate().map_err(err)?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(err)?;

        Ok(Self {
            ca_pem: ca.pem(),
            chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
            key_pem: leaf_key.serialize_pem(),
        })
    }

    /// Writes the CA certificate to `path`, or to a fresh file in the temp directory.
    pub fn write_ca(&self, path: Option<&Path>) -> Result<PathBuf, IdpError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => std::env::temp_dir().join(format!(
                "mcp-authlab-ca-{}-{}.pem",
                std::process::id(),
                crate::store::random_token(6)
            )),
        };
        std::fs::write(&path, &self.ca_pem).map_err(|source| IdpError::Write {
            path: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }

    pub async fn rustls_config(&self) -> Result<axum_server::tls_rustls::RustlsConfig, IdpError> {
        axum_server::tls_rustls::RustlsConfig::from_pem(
            self.chain_pem.as_bytes().to_vec(),
            self.key_pem.as_bytes().to_vec(),
        )
        .await
        .map_err(|e| IdpError::Tls(e.to_string()))
    }

    /// An HTTP client that trusts this CA (and nothing else), with the outgoing policy of
    /// [`crate::state::outgoing_client_builder`] (timeout, no redirects, no proxy).
    pub fn client(&self) -> Result<reqwest::Client, IdpError> {
        let ca = reqwest::Certificate::from_pem(self.ca_pem.as_bytes())
            .map_err(|e| IdpError::Tls(e.to_string()))?;
        crate::state::outgoing_client_builder()
            .tls_certs_only([ca])
            .build()
            .map_err(|e| IdpError::Tls(e.to_string()))
    }
}
