//! Password hashing with bcrypt, off the async workers.
//!
//! bcrypt is deliberately slow (about 250 ms at cost 12). Each hash runs on the blocking pool behind a
//! semaphore sized to the cores, so a flood of logins queues there instead of taking every thread that
//! serves other requests.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::error::AppError;

#[derive(Clone)]
pub struct Passwords {
    cost: u32,
    permits: Arc<Semaphore>,
    /// A hash of a random password, checked when the user does not exist, so that an unknown username
    /// takes as long as a wrong password.
    dummy_hash: Arc<OnceLock<String>>,
}

impl Passwords {
    pub fn new(cost: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::default(),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let cost = self.cost;
        let password = password.to_owned();
        self.run(move || bcrypt::hash(password, cost)).await
    }

    /// Whether `password` matches `hash`; a malformed stored hash counts as no match.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        let verified = self
            .run(move || Ok(bcrypt::verify(password, &hash).unwrap_or(false)))
            .await?;
        Ok(verified)
    }

    /// Spends the time of one verification for a user that does not exist; always `false`.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, AppError> {
        let dummy = match self.dummy_hash.get() {
            Some(hash) => hash.clone(),
            None => {
                let hash = self.hash(&crate::crypto::random_token(24)).await?;
                self.dummy_hash.get_or_init(|| hash).clone()
            }
        };
        self.verify(password, &dummy).await?;
        Ok(false)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(AppError::internal)?
            .map_err(|e| AppError::internal(format_args!("bcrypt: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let passwords = Passwords::new(4);
        let hash = passwords.hash("correct horse").await.unwrap();
        assert!(passwords.verify("correct horse", &hash).await.unwrap());
        assert!(!passwords.verify("wrong horse", &hash).await.unwrap());
        assert!(!passwords.verify("x", "not a bcrypt hash").await.unwrap());
        assert!(!passwords.verify_dummy("correct horse").await.unwrap());
    }
}
