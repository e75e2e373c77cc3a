//! Sisyphus CLI: deploy config-paired images to Kubernetes clusters.
