//! A pod's log, for the dashboard: the newest lines of one container, read through the API
//! server (`GET .../pods/NAME/log`), bounded in lines and bytes.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use crate::connect::Cluster;
use crate::error::Error;
use crate::objects::request_error;

/// The most a log read returns, in bytes (the API server cuts the log there).
pub const MAX_LOG_BYTES: i64 = 1024 * 1024;

impl Cluster {
    /// The newest `tail_lines` lines (at most [`MAX_LOG_BYTES`]) of `container` (the only
    /// one, when `None`) of pod `name` in `namespace`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] (no such pod, a pod with several containers and none named, the node
    /// cannot be reached); [`Error::Request`].
    pub async fn pod_logs(
        &self,
        namespace: &str,
        name: &str,
        container: Option<&str>,
        tail_lines: i64,
    ) -> Result<String, Error> {
        let api: Api<Pod> = Api::namespaced(self.client().clone(), namespace);
        let params = LogParams {
            container: container.map(str::to_owned),
            tail_lines: Some(tail_lines),
            limit_bytes: Some(MAX_LOG_BYTES),
            timestamps: true,
            ..LogParams::default()
        };
        let what = format!("`{}` the log of v1 Pod {namespace}/{name}", self.name());
        api.logs(name, &params)
            .await
            .map_err(|source| request_error("read", &what, None, source))
    }
}
