//! The tower layer that counts every request a cluster's client sends. It is the outermost
//! layer, so it counts requests as the code sends them: a request kube's own retry layer
//! repeats (on 429 or 5xx) counts once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use http::{Method, Request};
use tower::{Layer, Service};

/// Requests sent to one cluster since it was connected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// `GET`, `HEAD` and `OPTIONS` requests (discovery, list, get, watch, `/version`).
    pub reads: u64,
    /// Requests that may change the cluster: `POST`, `PUT`, `PATCH`, `DELETE` without
    /// `dryRun`.
    pub writes: u64,
    /// Server-side dry runs (`dryRun=All`): writes that persist nothing.
    pub dry_runs: u64,
}

impl RequestCounts {
    /// `self - earlier`, for the requests of one step.
    pub fn since(self, earlier: RequestCounts) -> RequestCounts {
        RequestCounts {
            reads: self.reads.saturating_sub(earlier.reads),
            writes: self.writes.saturating_sub(earlier.writes),
            dry_runs: self.dry_runs.saturating_sub(earlier.dry_runs),
        }
    }

    /// All requests.
    pub fn total(self) -> u64 {
        self.reads + self.writes + self.dry_runs
    }
}

/// Shared counters; cloned into every service the layer wraps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counter {
    reads: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
    dry_runs: Arc<AtomicU64>,
}

impl Counter {
    pub(crate) fn counts(&self) -> RequestCounts {
        RequestCounts {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            dry_runs: self.dry_runs.load(Ordering::Relaxed),
        }
    }

    fn record<B>(&self, request: &Request<B>) {
        let method = request.method();
        let counter =
            if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
                &self.reads
            } else if request
                .uri()
                .query()
                .is_some_and(|query| query.split('&').any(|pair| pair == "dryRun=All"))
            {
                &self.dry_runs
            } else {
                &self.writes
            };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl<S> Layer<S> for Counter {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            counter: self.clone(),
        }
    }
}

/// A service that counts the requests it passes on.
#[derive(Clone, Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    counter: Counter,
}

impl<S, B> Service<Request<B>> for Counted<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> S::Future {
        self.counter.record(&request);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reads_writes_and_dry_runs_by_method_and_query() {
        let counter = Counter::default();
        let request = |method: Method, uri: &str| {
            Request::builder()
                .method(method)
                .uri(uri)
                .body(())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        counter.record(&request(Method::GET, "/api/v1/namespaces?limit=500"));
        counter.record(&request(Method::PATCH, "/api/v1/x?fieldManager=sisyphus"));
        counter.record(&request(Method::PATCH, "/api/v1/x?dryRun=All&force=true"));
        counter.record(&request(Method::DELETE, "/api/v1/x"));
        assert_eq!(
            counter.counts(),
            RequestCounts {
                reads: 1,
                writes: 2,
                dry_runs: 1
            }
        );
    }
}
