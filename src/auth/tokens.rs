//! Access tokens: HS256 JWTs with the contract's claims (CONTRACT.md section 3).
//!
//! Validation is strict: the algorithm is pinned to HS256 (so `alg: none` or an RSA header is refused),
//! `iss`, `aud`, `exp`, `sub` and `typ` are required, and only `typ: "access"` is accepted here.
//!
//! A client sends the same token with every request until it expires, and checking its signature (an
//! HMAC over the whole token, plus decoding and parsing it) was a tenth of the work of a product page.
//! So a token that passed every check is remembered by its exact text, and only its expiry is checked
//! again when it comes back: the same text carries the same signature and the same claims.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::AppError;
use crate::users::Role;

pub const ACCESS_TYP: &str = "access";
/// Seconds of clock skew allowed on `exp`.
const LEEWAY_SECS: i64 = 5;
/// Verified tokens remembered before the memory starts over (a few hundred bytes each).
const VERIFIED_ENTRIES: usize = 4_096;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: String,
    pub user_id: i64,
    pub tenant_id: i64,
    pub tenant_domain: String,
    pub role: Role,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Signs and checks access tokens with the configured secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    /// Tokens that passed every check, by their text.
    verified: RwLock<HashMap<Box<str>, AccessClaims>>,
}

/// Who a token is for: the fields the claims are made from.
pub struct Subject<'a> {
    pub user_id: i64,
    pub tenant_id: i64,
    pub tenant_domain: &'a str,
    pub role: Role,
}

impl TokenKeys {
    pub fn new(config: &Config) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS as u64;
        Self {
            encoding: EncodingKey::from_secret(&config.jwt_secret),
            decoding: DecodingKey::from_secret(&config.jwt_secret),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl: config.access_token_ttl,
            verified: RwLock::default(),
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn issue_access(&self, subject: &Subject<'_>) -> Result<String, AppError> {
        let now = unix_now();
        let claims = AccessClaims {
            sub: subject.user_id.to_string(),
            user_id: subject.user_id,
            tenant_id: subject.tenant_id,
            tenant_domain: subject.tenant_domain.to_owned(),
            role: subject.role,
            typ: ACCESS_TYP.to_owned(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format_args!("signing a token: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience, expiry and type; any failure is `UNAUTHENTICATED`.
    /// A token seen before is answered from memory, its expiry checked again.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AppError> {
        self.verify_access_at(token, unix_now())
    }

    fn verify_access_at(&self, token: &str, now: i64) -> Result<AccessClaims, AppError> {
        let remembered = self
            .verified
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(token)
            .cloned();
        if let Some(claims) = remembered {
            if claims.exp < now - LEEWAY_SECS {
                return Err(AppError::Unauthenticated("invalid or expired token"));
            }
            return Ok(claims);
        }
        let claims = self.check(token)?;
        let mut verified = self
            .verified
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if verified.len() >= VERIFIED_ENTRIES {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    fn check(&self, token: &str) -> Result<AccessClaims, AppError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated("invalid or expired token"))?;
        let claims = data.claims;
        if claims.typ != ACCESS_TYP {
            return Err(AppError::Unauthenticated("not an access token"));
        }
        if claims.sub != claims.user_id.to_string() {
            return Err(AppError::Unauthenticated("invalid token"));
        }
        Ok(claims)
    }
}

/// Seconds since the Unix epoch, as tokens count time.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;

    fn keys(secret: &str) -> TokenKeys {
        let config = Config::new(
            DatabaseUrl::Sqlite("x.db".into()),
            secret.as_bytes().to_vec(),
        )
        .unwrap();
        TokenKeys::new(&config)
    }

    const SECRET: &str = "an-access-token-secret-of-32-bytes!!";

    fn subject() -> Subject<'static> {
        Subject {
            user_id: 7,
            tenant_id: 3,
            tenant_domain: "shop.example.com",
            role: Role::Staff,
        }
    }

    #[test]
    fn a_token_round_trips_with_the_contract_claims() {
        let keys = keys(SECRET);
        let token = keys.issue_access(&subject()).unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!(
            (claims.user_id, claims.tenant_id, claims.role),
            (7, 3, Role::Staff)
        );
        assert_eq!(claims.sub, "7");
        assert_eq!(claims.typ, "access");
        assert_eq!(claims.exp - claims.iat, 900);
        let raw: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').nth(1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(raw["role"], "staff");
        assert_eq!(raw["tenant_domain"], "shop.example.com");
    }

    #[test]
    fn tokens_of_another_key_or_without_a_signature_are_refused() {
        let other = keys("another-secret-that-is-long-enough!!")
            .issue_access(&subject())
            .unwrap();
        assert!(keys(SECRET).verify_access(&other).is_err());

        let token = keys(SECRET).issue_access(&subject()).unwrap();
        let mut parts = token.split('.');
        let (_, payload) = (parts.next(), parts.next().unwrap());
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(keys(SECRET).verify_access(&unsigned).is_err());
        assert!(keys(SECRET).verify_access("not-a-token").is_err());
    }

    #[test]
    fn a_remembered_token_still_expires_and_its_neighbours_are_still_checked() {
        let keys = keys(SECRET);
        let token = keys.issue_access(&subject()).unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!(keys.verified.read().unwrap().len(), 1);
        assert_eq!(keys.verify_access(&token).unwrap(), claims);
        assert!(
            keys.verify_access_at(&token, claims.exp + LEEWAY_SECS)
                .is_ok()
        );
        assert!(
            keys.verify_access_at(&token, claims.exp + LEEWAY_SECS + 1)
                .is_err()
        );
        // Another signature on the same claims is another text: checked, and refused.
        let (signed, _) = token.rsplit_once('.').unwrap();
        let forged = format!("{signed}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(keys.verify_access(&forged).is_err());
        assert_eq!(keys.verified.read().unwrap().len(), 1);
    }
}
