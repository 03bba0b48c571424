//! Refresh tokens: opaque strings, stored only as their SHA-256, each in a family that starts at a
//! sign-in. A token is `<vendor id>.<random>`: the store it belongs to is readable without a lookup, so
//! every query about it stays scoped to one tenant like every other query (`auth::store`).

use crate::crypto::{random_token, sha256_hex};
use crate::db::TenantId;

/// The store a presented token names, and its hash; `None` when it is not of our form.
pub fn parse(token: &str) -> Option<(TenantId, String)> {
    let (vendor, secret) = token.split_once('.')?;
    let vendor: i64 = vendor.parse().ok().filter(|v| *v > 0)?;
    (secret.len() >= 32).then(|| (TenantId(vendor), sha256_hex(token)))
}

/// A new token of `tenant`, in clear (the only time it exists in clear), and its hash as stored.
pub fn mint(tenant: TenantId) -> (String, String) {
    let token = format!("{}.{}", tenant.0, random_token(32));
    let hash = sha256_hex(&token);
    (token, hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_store() {
        let token = format!("42.{}", random_token(32));
        let (tenant, hash) = parse(&token).unwrap();
        assert_eq!(tenant, TenantId(42));
        assert_eq!(hash, sha256_hex(&token));
        for bad in [
            "",
            "42",
            "x.abc",
            "0.abcdefabcdefabcdefabcdefabcdefabcdef",
            "42.short",
            "-1.abcdefabcdefabcdefabcdefabcdefabcdef",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
