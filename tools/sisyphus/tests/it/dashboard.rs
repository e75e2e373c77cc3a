//! `sisyphus dashboard` end to end on the real test ground (two clusters with KWOK nodes, a
//! real registry, SQLite): the pages and the JSON API say what the history holds, a
//! resource's page lists its pods in both clusters, logs are refused for a pod that is not
//! the resource's (and for KWOK's pods, which no kubelet runs, the cluster's error is shown),
//! and pause/resume from the page are recorded in the audit trail (refused
//! without the form's token).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::ground::{Dialect, EAST, Ground, PLACEHOLDER, WEST};

/// A running dashboard, stopped (SIGTERM) on drop.
struct Dashboard {
    child: Child,
    host: String,
}

impl Dashboard {
    /// `sisyphus dashboard --listen 127.0.0.1:0 ... <args>` on `g`, once it says where it
    /// listens.
    fn start(g: &Ground, args: &[&str]) -> Dashboard {
        let mut child = g
            .command("dashboard")
            .args(["--listen", "127.0.0.1:0", "--database-url", &g.url])
            .arg("--kubeconfig")
            .arg(&g.kubeconfig)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let host = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in `{line}`"))
            .to_owned();
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Dashboard { child, host }
    }

    /// One HTTP/1.0 request: status and body.
    fn request(&self, method: &str, path: &str, form: Option<&str>) -> (u16, String) {
        let (status, _, body) =
            self.request_with(method, path, form, &format!("Host: {}", self.host));
        (status, body)
    }

    /// [`Dashboard::request`] with these header lines (`Host` among them): status, response
    /// head and body.
    fn request_with(
        &self,
        method: &str,
        path: &str,
        form: Option<&str>,
        headers: &str,
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let body = form.unwrap_or("");
        let content = if form.is_some() {
            format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            )
        } else {
            String::new()
        };
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\n{headers}\r\n{content}\r\n{body}"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {response}"));
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (status, head.to_ascii_lowercase(), body.to_owned())
    }

    #[track_caller]
    fn get(&self, path: &str) -> String {
        let (status, body) = self.request("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn json(&self, path: &str) -> Value {
        serde_json::from_str(&self.get(path)).unwrap()
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let _ = self.child.wait();
    }
}

/// The token of the first form of `page`.
fn form_token(page: &str) -> String {
    page.split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no form token in {page}"))
        .to_owned()
}

#[test]
fn the_dashboard_shows_the_history_the_pods_and_records_its_pauses() {
    let g = Ground::new("dashboard", Dialect::Sqlite);
    g.push(&[]);
    g.push_verbose_config(&["echo_config", "echo_job_config"]);
    g.push(&[]);
    let resource = format!("/resources/Deployment/{}/echo", g.ns);

    // Read only: no form, and a post is refused.
    let reader = Dashboard::start(&g, &[]);
    let page = reader.get(&resource);
    assert!(!page.contains("<form"), "{page}");
    let (status, body) = reader.request("POST", &format!("{resource}/pause"), Some("token=x"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("only reads"), "{body}");
    drop(reader);

    let d = Dashboard::start(&g, &["--allow-writes", "--user", "web-alice"]);
    let index = d.get("/");
    assert!(index.contains("<a href=\"/pushes/2\">2</a>"), "{index}");
    assert!(
        index.contains(&format!("<a href=\"{resource}\">")),
        "{index}"
    );
    assert!(index.contains("push lock: free"), "{index}");

    // Every resource, grouped by the folder that declares it.
    let resources = d.get("/resources");
    assert!(
        resources.contains(&format!("<h2>{}</h2>", g.ns)),
        "{resources}"
    );
    for kind in ["Deployment/", "CronJob/"] {
        assert!(
            resources.contains(&format!("<a href=\"/resources/{kind}{}/", g.ns)),
            "{kind}: {resources}"
        );
    }
    assert!(resources.contains("<td>east, west</td>"), "{resources}");

    // Only its own names, never framed, and no post from another site.
    let (status, head, body) = d.request_with("GET", "/", None, "Host: rebound.example:80");
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("--allowed-host rebound.example:80"), "{body}");
    assert!(head.contains("x-frame-options: deny"), "{head}");
    let (_, head, _) = d.request_with("GET", "/", None, &format!("Host: {}", d.host));
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    let (status, _, body) = d.request_with(
        "POST",
        &format!("{resource}/pause"),
        Some("token=x"),
        &format!("Host: {}\r\nOrigin: https://evil.example", d.host),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("another site"), "{body}");

    // One push's change set, with no Secret value; an unknown one is 404.
    let push = d.get("/pushes/2");
    assert!(push.contains("--verbose"), "{push}");
    let first = d.get("/pushes/1");
    assert!(first.contains("Secret"), "{first}");
    assert!(!first.contains(PLACEHOLDER), "a Secret value on a page");
    let (status, body) = d.request("GET", "/pushes/99", None);
    assert_eq!(status, 404);
    assert!(body.contains("push 99 is not in the history"), "{body}");

    // The JSON API is the CLI's JSON.
    let status = d.json("/api/status");
    assert_eq!(status["lock"], Value::Null);
    assert_eq!(status["last_push"]["id"], 2);
    let history = d.json("/api/history?limit=1");
    assert_eq!(history["history"].as_array().unwrap().len(), 1);
    assert_eq!(history["history"][0]["id"], 2);
    let shown = d.json("/api/pushes/2");
    assert_eq!(shown["push"]["id"], 2);
    let (status, body) = d.request("GET", "/api/history?resource=Service/x/y", None);
    assert_eq!(status, 400);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("unknown kind `Service`"),
        "{error}"
    );

    // The resource's page: its objects, and its pods in both clusters once KWOK runs them.
    let deadline = Instant::now() + Duration::from_secs(90);
    let page = loop {
        let page = d.get(&resource);
        let running = page.matches("<td>Running</td>").count();
        if running >= 2 || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(page.contains("Not paused"), "{page}");
    for cluster in [EAST, WEST] {
        assert!(
            page.contains(&format!("<tr><td>{cluster}</td><td>echo-")),
            "a pod of echo in {cluster}: {page}"
        );
    }
    assert!(page.matches("<td>Running</td>").count() >= 2, "{page}");
    assert!(page.contains("/logs?cluster="), "{page}");
    // KWOK's nodes run no kubelet, so the API server cannot fetch a log: the page says so
    // (a real cluster returns the text).
    let logs = page
        .split("href=\"")
        .find(|s| s.contains("/logs?cluster="))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let (status, body) = d.request("GET", &logs, None);
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("the log of v1 Pod"), "{body}");
    let (status, body) = d.request(
        "GET",
        &format!("{resource}/logs?cluster={EAST}&pod=kube-apiserver"),
        None,
    );
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("is not one of"), "{body}");
    let (status, _) = d.request("GET", "/resources/Deployment/nowhere/nothing", None);
    assert_eq!(status, 404);

    // Pause from the page: a wrong token is refused, the page's token works, and the audit
    // trail says who.
    let token = form_token(&page);
    let (status, body) = d.request(
        "POST",
        &format!("{resource}/pause"),
        Some("token=0000&reason=web"),
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = d.request(
        "POST",
        &format!("{resource}/pause"),
        Some(&format!("token={token}&reason=incident+7")),
    );
    assert_eq!(status, 303, "{body}");
    let audit = d.json("/api/history?audit=true&limit=1");
    let row = &audit["history"][0];
    assert_eq!(row["operation"], "pause");
    assert_eq!(row["user"], "web-alice");
    assert_eq!(
        row["message"],
        format!("paused `Deployment/{}/echo`: incident 7", g.ns)
    );
    let page = d.get(&resource);
    assert!(page.contains("paused by `web-alice`"), "{page}");
    assert!(page.contains("<button>resume</button>"), "{page}");
    let (status, body) = d.request(
        "POST",
        &format!("{resource}/resume"),
        Some(&format!("token={token}")),
    );
    assert_eq!(status, 303, "{body}");
    assert_eq!(d.json("/api/status")["pauses"], Value::Array(Vec::new()));
    drop(d);

    // Behind an authenticating proxy: the user its header names, and no write without it.
    let proxied = Dashboard::start(&g, &["--allow-writes", "--user-header", "X-Forwarded-User"]);
    let page = proxied.get(&resource);
    let token = form_token(&page);
    let form = format!("token={token}");
    let (status, body) = proxied.request("POST", &format!("{resource}/pause"), Some(&form));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("no `X-Forwarded-User` header"), "{body}");
    let (status, _, body) = proxied.request_with(
        "POST",
        &format!("{resource}/pause"),
        Some(&form),
        &format!(
            "Host: {}\r\nX-Forwarded-User: bob@example.com",
            proxied.host
        ),
    );
    assert_eq!(status, 303, "{body}");
    let audit = proxied.json("/api/history?audit=true&limit=1");
    assert_eq!(audit["history"][0]["user"], "bob@example.com");
}
