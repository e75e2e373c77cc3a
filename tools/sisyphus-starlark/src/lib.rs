//! Sandboxed Starlark evaluator for Sisyphus configs.
