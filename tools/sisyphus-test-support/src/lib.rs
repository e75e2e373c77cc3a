//! Test fixtures that start real services: kube-apiserver, OCI registry, PostgreSQL, MariaDB.
