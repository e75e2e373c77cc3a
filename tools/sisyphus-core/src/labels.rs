//! The names Sisyphus writes into clusters: labels, annotations and the field manager. Render
//! sets them, diff and apply read them.

/// The label every rendered workload object carries, and the only selector label.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The label marking objects (and namespaces) Sisyphus manages.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "sisyphus";
/// The annotation on Deployments and CronJobs naming the pinned config image.
pub const CONFIG_IMAGE_ANNOTATION: &str = "sisyphus.dev/config-image";
/// The server-side apply field manager of every write.
pub const FIELD_MANAGER: &str = "sisyphus";
