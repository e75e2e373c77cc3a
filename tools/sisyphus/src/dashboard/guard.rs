//! What every response carries and every request must show. A request must name the dashboard
//! as its `Host` (its listen address, `localhost` on loopback, or an `--allowed-host`), so a
//! page on another site cannot reach it through DNS rebinding; a form post must come from the
//! dashboard's own pages (`Sec-Fetch-Site` and `Origin`, when the browser sends them). Every
//! response forbids framing, scripts and content sniffing (a pod's log is shown as plain
//! text and stays text).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{App, Failure};

/// The `Host` values a request may carry: `HOST:PORT` or `HOST` (lowercase).
pub fn allowed_hosts(listen: SocketAddr, extra: &[String]) -> BTreeSet<String> {
    let port = listen.port();
    let mut hosts: BTreeSet<String> = extra.iter().map(|h| h.to_ascii_lowercase()).collect();
    let ip = listen.ip();
    hosts.insert(match ip {
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    });
    if ip.is_loopback() {
        hosts.insert(format!("localhost:{port}"));
        hosts.insert(format!("127.0.0.1:{port}"));
        hosts.insert(format!("[::1]:{port}"));
    }
    if port == 80 {
        // Browsers leave the default port out of `Host`.
        let bare: Vec<String> = hosts
            .iter()
            .filter_map(|h| h.strip_suffix(":80").map(str::to_owned))
            .collect();
        hosts.extend(bare);
    }
    hosts
}

/// Refuses a foreign `Host` and a cross-site post; adds the headers to every response.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = match check(&app, request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(failure) => failure.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn check(app: &App, method: &Method, headers: &HeaderMap) -> Result<(), Failure> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !app.hosts.contains(&host) {
        return Err(Failure::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this dashboard answers to {} only, not to `{host}` (start it with \
                 `--allowed-host {host}` to add it)",
                app.hosts
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if method == Method::POST {
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let foreign_site = site.is_some_and(|s| s != "same-origin" && s != "none");
        let foreign_origin = origin.is_some_and(|o| {
            o.split_once("://")
                .is_none_or(|(_, authority)| authority.to_ascii_lowercase() != host)
        });
        if foreign_site || foreign_origin {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "a form of another site: only the dashboard's own pages may post",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_to_its_names_and_the_extra_ones() {
        let listen: SocketAddr = "127.0.0.1:8473".parse().unwrap_or_else(|_| unreachable!());
        let hosts = allowed_hosts(listen, &["Deploys.Example.com".to_owned()]);
        for host in [
            "127.0.0.1:8473",
            "localhost:8473",
            "[::1]:8473",
            "deploys.example.com",
        ] {
            assert!(hosts.contains(host), "{host}: {hosts:?}");
        }
        assert!(!hosts.contains("evil.example:8473"));
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(
            allowed_hosts(any, &[]).into_iter().collect::<Vec<_>>(),
            ["0.0.0.0:8080"]
        );
        let http: SocketAddr = "127.0.0.1:80".parse().unwrap_or_else(|_| unreachable!());
        let hosts = allowed_hosts(http, &[]);
        assert!(
            hosts.contains("localhost") && hosts.contains("localhost:80"),
            "{hosts:?}"
        );
    }
}
