//! Hermetic tool for Bazel actions: build config images and plans.
