//! Local runs: turn an evaluated Application into a process or a podman invocation.
