//! render stage: resolved config + resource -> Kubernetes objects (pure).
