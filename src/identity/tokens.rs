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
use crate::identity::Role;

pub const ACCESS_TYP: &str = "access";
/// Seconds of clock skew allowed on `exp`.
const LEEWAY_SECS: i64 = 5;
/// Seconds `iat` or `nbf` may lie in the future (clocks of instances differ a little).
const FUTURE_LEEWAY_SECS: i64 = 60;
/// Verified tokens remembered before the memory starts over (a few hundred bytes each).
const VERIFIED_ENTRIES: usize = 4_096;

/// The `role` claim: a store role, or the platform's admin (whose token names no store).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    Owner,
    Staff,
    Customer,
    PlatformAdmin,
}

impl From<Role> for TokenRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Staff => Self::Staff,
            Role::Customer => Self::Customer,
        }
    }
}

/// The claims of an access token. A store user's token names its store (`tenant_id`,
/// `tenant_domain`); a platform admin's names none: both or neither, as the role says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: String,
    pub user_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_domain: Option<String>,
    pub role: TokenRole,
    pub typ: String,
    pub iat: i64,
    /// Not before; this service never sets it, but honours it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
        self.issue(
            subject.user_id,
            Some((subject.tenant_id, subject.tenant_domain)),
            subject.role.into(),
        )
    }

    /// An access token of a platform admin: no store, role `platform_admin`.
    pub fn issue_admin_access(&self, admin_id: i64) -> Result<String, AppError> {
        self.issue(admin_id, None, TokenRole::PlatformAdmin)
    }

    fn issue(
        &self,
        user_id: i64,
        store: Option<(i64, &str)>,
        role: TokenRole,
    ) -> Result<String, AppError> {
        let now = unix_now();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            user_id,
            tenant_id: store.map(|(id, _)| id),
            tenant_domain: store.map(|(_, domain)| domain.to_owned()),
            role,
            typ: ACCESS_TYP.to_owned(),
            iat: now,
            nbf: None,
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
        let claims = self.check(token, now)?;
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

    /// Every check of RFC 8725's advice that applies: the pinned algorithm and the signature, issuer,
    /// audience and expiry (`jsonwebtoken`), then no critical header extension (this service knows
    /// none), no `iat` or `nbf` in the future beyond `FUTURE_LEEWAY_SECS`, and no lifetime longer than
    /// the configured one.
    fn check(&self, token: &str, now: i64) -> Result<AccessClaims, AppError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated("invalid or expired token"))?;
        if has_critical_extension(token) {
            return Err(AppError::Unauthenticated("invalid token"));
        }
        let claims = data.claims;
        let future = now + FUTURE_LEEWAY_SECS;
        if claims.iat > future || claims.nbf.is_some_and(|nbf| nbf > future) {
            return Err(AppError::Unauthenticated("this token is not valid yet"));
        }
        if claims.exp - claims.iat > self.access_ttl.as_secs() as i64 {
            return Err(AppError::Unauthenticated(
                "this token lives longer than this service issues tokens for",
            ));
        }
        if claims.typ != ACCESS_TYP {
            return Err(AppError::Unauthenticated("not an access token"));
        }
        if claims.sub != claims.user_id.to_string() {
            return Err(AppError::Unauthenticated("invalid token"));
        }
        // A store's token names its store, an admin's names none.
        let names_a_store = claims.tenant_id.is_some() && claims.tenant_domain.is_some();
        let names_none = claims.tenant_id.is_none() && claims.tenant_domain.is_none();
        let admin = claims.role == TokenRole::PlatformAdmin;
        if !(admin && names_none || !admin && names_a_store) {
            return Err(AppError::Unauthenticated("invalid token"));
        }
        Ok(claims)
    }
}

/// Whether the token's header names critical extensions (`crit`), which a receiver that does not know
/// them must refuse (RFC 7515, section 4.1.11).
fn has_critical_extension(token: &str) -> bool {
    use base64::Engine as _;
    let Some(header) = token.split('.').next() else {
        return true;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        return true;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key("crit"),
        _ => true,
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
            (7, Some(3), TokenRole::Staff)
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

    /// A token signed with the right key but with claims this service would never issue.
    fn forged(claims: serde_json::Value, header: serde_json::Value) -> String {
        let mut header_struct = Header::new(Algorithm::HS256);
        header_struct.typ = Some("JWT".into());
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let token = jsonwebtoken::encode(&header_struct, &claims, &key).unwrap();
        if header.is_null() {
            return token;
        }
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (_, rest) = token.split_once('.').unwrap();
        let (payload, _) = rest.split_once('.').unwrap();
        let signing_input = format!("{}.{payload}", engine.encode(header.to_string()));
        let signature =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{signing_input}.{signature}")
    }

    #[test]
    fn tokens_from_the_future_with_critical_headers_or_long_lives_are_refused() {
        let keys = keys(SECRET);
        let now = unix_now();
        let claims = |iat: i64, exp: i64| {
            serde_json::json!({ "sub": "7", "user_id": 7, "tenant_id": 3, "tenant_domain": "s.example",
                "role": "staff", "typ": "access", "iat": iat, "exp": exp, "iss": "multistore",
                "aud": "multistore-api", "jti": "j" })
        };
        assert!(
            keys.verify_access(&forged(claims(now, now + 900), serde_json::Value::Null))
                .is_ok()
        );
        // Issued in the future, beyond the leeway.
        assert!(
            keys.verify_access(&forged(
                claims(now + 120, now + 900),
                serde_json::Value::Null
            ))
            .is_err()
        );
        // Not valid before a time in the future.
        let mut not_yet = claims(now, now + 900);
        not_yet["nbf"] = (now + 120).into();
        assert!(
            keys.verify_access(&forged(not_yet, serde_json::Value::Null))
                .is_err()
        );
        // Living longer than the configured 15 minutes.
        assert!(
            keys.verify_access(&forged(claims(now, now + 3600), serde_json::Value::Null))
                .is_err()
        );
        // Another header field is fine; a critical extension this service does not know is not.
        let kid = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" });
        assert!(
            keys.verify_access(&forged(claims(now, now + 900), kid))
                .is_ok()
        );
        let crit = serde_json::json!({ "alg": "HS256", "typ": "JWT", "crit": ["exp"], "exp": 1 });
        assert!(
            keys.verify_access(&forged(claims(now, now + 900), crit))
                .is_err()
        );
    }

    #[test]
    fn an_admin_token_names_no_store_and_a_store_token_must() {
        let keys = keys(SECRET);
        let token = keys.issue_admin_access(5).unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!(
            (claims.user_id, claims.tenant_id, claims.role),
            (5, None, TokenRole::PlatformAdmin)
        );
        let now = unix_now();
        let base = serde_json::json!({ "sub": "7", "user_id": 7, "typ": "access", "iat": now,
            "exp": now + 900, "iss": "multistore", "aud": "multistore-api", "jti": "j" });
        let with = |extra: serde_json::Value| {
            let mut claims = base.clone();
            for (key, value) in extra.as_object().unwrap() {
                claims[key] = value.clone();
            }
            forged(claims, serde_json::Value::Null)
        };
        // An admin's role with a store, a store role without one, an unknown role: all refused.
        for bad in [
            serde_json::json!({ "role": "platform_admin", "tenant_id": 3, "tenant_domain": "s.example" }),
            serde_json::json!({ "role": "owner" }),
            serde_json::json!({ "role": "owner", "tenant_id": 3 }),
            serde_json::json!({ "role": "root", "tenant_id": 3, "tenant_domain": "s.example" }),
        ] {
            assert!(keys.verify_access(&with(bad.clone())).is_err(), "{bad}");
        }
        assert!(
            keys.verify_access(&with(serde_json::json!({ "role": "platform_admin" })))
                .is_ok()
        );
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
