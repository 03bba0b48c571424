//! Small cryptographic helpers that several parts share: random secrets and tokens, and SHA-256
//! fingerprints. A leaf: it imports nothing of the crate.

use base64::Engine as _;
use rand::RngCore as _;

/// A random URL-safe string made of `bytes` random bytes, for secrets and opaque tokens.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a text, in hex: what is stored instead of a token, and the fingerprint of a request.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
