//! OCI registry client: push layouts, resolve tags to digests, pull config images into a cache.
