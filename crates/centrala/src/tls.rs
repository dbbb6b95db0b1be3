//! HTTPS: the certificate and key files (PEM) read at start and again
//! whenever either changes (a renewed certificate is served without a
//! restart), and the optional plain-HTTP listener that only redirects.

use anyhow::Context;
use axum::{
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// rustls' cryptography: ring, chosen once for the process (HTTPS and SIP
/// over TLS).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The files' contents as rustls serves them.
pub async fn load(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    install_crypto();
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| format!("cannot read the TLS certificate {} and key {}", cert.display(), key.display()))
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reloads the certificate when either file changes (looked at every
/// `every`); a pair that does not read is logged and the old one kept.
pub async fn watch(config: RustlsConfig, cert: PathBuf, key: PathBuf, every: Duration) {
    let mut seen = (modified(&cert), modified(&key));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = (modified(&cert), modified(&key));
        if now == seen {
            continue;
        }
        match config.reload_from_pem_file(&cert, &key).await {
            Ok(()) => {
                seen = now;
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            // Half-written while being replaced: tried again at the next look.
            Err(e) => {
                tracing::warn!(error = %e, cert = %cert.display(), "the new TLS certificate does not read; the old one is served")
            }
        }
    }
}

/// The plain-HTTP answer when HTTPS is on: 308 to the same path on
/// `https://HOST:https_port`.
pub fn redirect(https_port: u16) -> axum::Router {
    axum::Router::new().fallback(move |headers: axum::http::HeaderMap, uri: Uri| async move {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        // The host without its port (an IPv6 literal keeps its brackets).
        let name = match host.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
            _ => host,
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let to = if https_port == 443 {
            format!("https://{name}{path}")
        } else {
            format!("https://{name}:{https_port}{path}")
        };
        Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(header::LOCATION, to)
            .body(axum::body::Body::empty())
            .map_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response(), IntoResponse::into_response)
    })
}
