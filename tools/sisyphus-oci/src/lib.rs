//! Config image format and reproducible OCI image layouts (no network).
