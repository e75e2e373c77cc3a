//! SHA-256 digests of byte strings.

use sha2::{Digest as _, Sha256};
use sisyphus_core::Digest;

/// The `sha256:` digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest {
    let hex = hex::encode(Sha256::digest(bytes));
    // A SHA-256 hex encoding is always 64 lowercase hex digits, so this cannot fail.
    Digest::from_sha256_hex(&hex).unwrap_or_else(|_| unreachable!("sha256 hex is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input() {
        assert_eq!(
            sha256(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
