//! `AppError`: the one way out of a resolver, a service or the request context.
//!
//! Each variant has a code of the contract (section 5). `AppError` deliberately does not implement
//! `Display`: async-graphql converts any `Display` type into an error by copying its text and dropping its
//! code, so without `Display` the only conversion is ours below, which sets `extensions.code` and never shows
//! internal text (SQL, driver messages) to the client.

use std::fmt;

use async_graphql::ErrorExtensions;
use diesel::result::Error as DieselError;

use crate::db::DbError;
use crate::values::Invalid;

/// Contract error codes (CONTRACT.md section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    InsufficientStock,
    InvalidStatusTransition,
    TenantRequired,
    TenantNotFound,
    RateLimited,
    LimitExceeded,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    StoreSuspended,
    InternalServerError,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::InsufficientStock => "INSUFFICIENT_STOCK",
            Self::InvalidStatusTransition => "INVALID_STATUS_TRANSITION",
            Self::TenantRequired => "TENANT_REQUIRED",
            Self::TenantNotFound => "TENANT_NOT_FOUND",
            Self::RateLimited => "RATE_LIMITED",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::StoreSuspended => "STORE_SUSPENDED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status used when the error is answered before GraphQL runs (the request context).
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden | Self::StoreSuspended => 403,
            Self::NotFound | Self::TenantNotFound => 404,
            Self::BadUserInput
            | Self::TenantRequired
            | Self::LimitExceeded
            | Self::GraphqlParseFailed
            | Self::GraphqlValidationFailed => 400,
            Self::Conflict => 409,
            Self::RateLimited => 429,
            Self::InsufficientStock | Self::InvalidStatusTransition => 422,
            Self::InternalServerError => 500,
        }
    }
}

#[derive(Clone)]
pub enum AppError {
    Unauthenticated(&'static str),
    Forbidden(&'static str),
    NotFound(&'static str),
    /// An order line names a product the store does not have (or no longer sells).
    UnknownProduct {
        field: String,
        product_id: String,
    },
    BadInput {
        field: String,
        message: String,
    },
    Conflict {
        field: Option<String>,
        message: String,
    },
    InsufficientStock {
        product_id: i64,
    },
    InvalidStatusTransition {
        from: String,
        to: String,
    },
    TenantRequired,
    TenantNotFound,
    /// The store is suspended by the platform (403 before GraphQL runs).
    StoreSuspended,
    RateLimited {
        retry_after_secs: u64,
    },
    /// A resource limit (CONTRACT.md section 5), with what was exceeded.
    LimitExceeded(String),
    /// The database cannot be reached now (HTTP 503 when answered before GraphQL runs).
    Unavailable,
    /// Anything else. The cause is logged where the error is made; the client sees a fixed text.
    Internal,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A unique violation as the `CONFLICT` of the field whose rule the constraint stands for (a taken
    /// username, a taken domain); any other database error as it is.
    pub fn taken(err: DbError, field: &str, message: &str) -> Self {
        if err.is_unique_violation() {
            Self::conflict(field, message)
        } else {
            err.into()
        }
    }

    /// Logs `cause` with the request's span and returns the opaque internal error.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::Internal
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::Forbidden(_) => Code::Forbidden,
            Self::NotFound(_) | Self::UnknownProduct { .. } => Code::NotFound,
            Self::BadInput { .. } => Code::BadUserInput,
            Self::Conflict { .. } => Code::Conflict,
            Self::InsufficientStock { .. } => Code::InsufficientStock,
            Self::InvalidStatusTransition { .. } => Code::InvalidStatusTransition,
            Self::TenantRequired => Code::TenantRequired,
            Self::TenantNotFound => Code::TenantNotFound,
            Self::StoreSuspended => Code::StoreSuspended,
            Self::RateLimited { .. } => Code::RateLimited,
            Self::LimitExceeded(_) => Code::LimitExceeded,
            Self::Unavailable | Self::Internal => Code::InternalServerError,
        }
    }

    /// The text for people. Never contains internal details.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::NotFound(m) => (*m).to_owned(),
            Self::UnknownProduct { product_id, .. } => {
                format!("this store has no product {product_id}")
            }
            Self::BadInput { message, .. }
            | Self::Conflict { message, .. }
            | Self::LimitExceeded(message) => message.clone(),
            Self::InsufficientStock { product_id } => {
                format!("not enough stock for product {product_id}")
            }
            Self::InvalidStatusTransition { from, to } => {
                format!("an order cannot go from {from} to {to}")
            }
            Self::TenantRequired => {
                "this operation needs a store: send the X-Tenant-Domain header or a token"
                    .to_owned()
            }
            Self::TenantNotFound => "no store has this domain".to_owned(),
            Self::StoreSuspended => "this store is suspended by the platform".to_owned(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} s")
            }
            Self::Unavailable => "the service is unavailable; try again shortly".to_owned(),
            Self::Internal => "internal server error".to_owned(),
        }
    }

    /// The HTTP status of this error when it is answered before GraphQL runs.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unavailable => 503,
            other => other.code().http_status(),
        }
    }

    /// The GraphQL-shaped body of an error answered outside GraphQL (`{"data":null,"errors":[..]}`).
    pub fn to_response_body(&self) -> serde_json::Value {
        let error = async_graphql::Error::from(self.clone());
        let server_error = error.into_server_error(async_graphql::Pos::default());
        let mut value = serde_json::to_value(&server_error).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("locations");
        }
        serde_json::json!({ "data": null, "errors": [value] })
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code().as_str(), self.message())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &err {
                AppError::BadInput { field, .. } => ext.set("field", field.as_str()),
                AppError::Conflict {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                AppError::InsufficientStock { product_id } => {
                    ext.set("productId", product_id.to_string())
                }
                AppError::UnknownProduct { field, product_id } => {
                    ext.set("field", field.as_str());
                    ext.set("productId", product_id.as_str());
                }
                AppError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

impl From<DbError> for AppError {
    /// A unique violation that no service named is a conflict; a database that cannot be reached is
    /// `Unavailable`; anything else is internal. The cause is logged, never shown.
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unique(_) => AppError::Conflict {
                field: None,
                message: "this value is already taken".into(),
            },
            DbError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                AppError::Unavailable
            }
            DbError::Failed(cause) => AppError::internal(format_args!("database: {cause}")),
        }
    }
}

impl From<DieselError> for AppError {
    /// What a transaction's own statements fail with (see `transaction!`).
    fn from(err: DieselError) -> Self {
        DbError::from(err).into()
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::BadInput {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_errors_carry_the_contract_code_and_field() {
        let err: async_graphql::Error = AppError::bad_input("items.0.quantity", "too many").into();
        let ext = serde_json::to_value(err.extensions.unwrap()).unwrap();
        assert_eq!(ext["code"], "BAD_USER_INPUT");
        assert_eq!(ext["field"], "items.0.quantity");
    }

    #[test]
    fn database_errors_never_show_their_text() {
        let diesel_err = DieselError::QueryBuilderError("SELECT secret FROM users".into());
        let err: async_graphql::Error = AppError::from(diesel_err).into();
        assert_eq!(err.message, "internal server error");
        let ext = serde_json::to_value(err.extensions.unwrap()).unwrap();
        assert_eq!(ext["code"], "INTERNAL_SERVER_ERROR");
    }

    #[test]
    fn response_bodies_are_graphql_shaped() {
        let body = AppError::TenantNotFound.to_response_body();
        assert_eq!(body["data"], serde_json::Value::Null);
        assert_eq!(body["errors"][0]["extensions"]["code"], "TENANT_NOT_FOUND");
        assert!(body["errors"][0]["message"].is_string());
    }
}
