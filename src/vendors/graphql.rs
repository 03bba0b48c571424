//! The `Vendor` type, the query about the current store and the owner's changes to it.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject,
};

use crate::db::TenantId;
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::scalars::DateTime;
use crate::identity::{Role, RoleGuard};
use crate::values::{Domain, Email, StoreName};
use crate::vendors::model::DomainRow;
use crate::vendors::{StoreChanges, Stores, VendorRow};

/// A store hosted on the platform.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Vendor {
    pub id: ID,
    pub store_name: String,
    /// The store's primary domain.
    pub domain: String,
    pub contact_email: Option<String>,
    pub created_at: DateTime,
    /// Whether the store runs, or is suspended by the platform.
    pub status: StoreStatus,
    /// The store's domains when they were read with it (a page of the platform's listing reads them
    /// for the whole page at once); otherwise `domains` reads them when asked.
    #[graphql(skip)]
    pub preloaded_domains: Option<Vec<StoreDomain>>,
}

/// Whether a store runs.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreStatus {
    Active,
    /// Suspended by the platform: the store answers `STORE_SUSPENDED` to everyone but a platform admin.
    Suspended,
}

/// One of a store's domains: each names the store in `X-Tenant-Domain` or as the `Host` it is served on.
#[derive(SimpleObject, Clone, Debug)]
pub struct StoreDomain {
    pub domain: String,
    /// The one `Vendor.domain` shows and new tokens carry.
    pub primary: bool,
}

impl From<DomainRow> for StoreDomain {
    fn from(row: DomainRow) -> Self {
        Self {
            domain: row.domain,
            primary: row.is_primary,
        }
    }
}

impl From<VendorRow> for Vendor {
    fn from(row: VendorRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            store_name: row.store_name,
            domain: row.domain,
            contact_email: row.contact_email,
            created_at: row.created_at.into(),
            status: match row.suspended_at {
                Some(_) => StoreStatus::Suspended,
                None => StoreStatus::Active,
            },
            preloaded_domains: None,
        }
    }
}

impl Vendor {
    /// The vendor with its domains (rows of this store, in any order) already read.
    pub fn with_domains(row: VendorRow, mut domains: Vec<DomainRow>) -> Self {
        domains.sort_by(|a, b| (!a.is_primary, &a.domain).cmp(&(!b.is_primary, &b.domain)));
        Self {
            preloaded_domains: Some(domains.into_iter().map(StoreDomain::from).collect()),
            ..Self::from(row)
        }
    }
}

#[ComplexObject]
impl Vendor {
    /// Every domain of the store, the primary one first, then by name.
    async fn domains(&self, ctx: &Context<'_>) -> AppResult<Vec<StoreDomain>> {
        if let Some(domains) = &self.preloaded_domains {
            return Ok(domains.clone());
        }
        let id = self.id.parse().map(TenantId).unwrap_or(TenantId(0));
        let rows = ctx.service::<Stores>().domains(id).await?;
        Ok(rows.into_iter().map(StoreDomain::from).collect())
    }
}

#[derive(Default)]
pub struct VendorsQuery;

#[Object]
impl VendorsQuery {
    /// The store named by `X-Tenant-Domain` or by the token. Public: a storefront shows its name.
    async fn vendor(&self, ctx: &Context<'_>) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        Ok(ctx.service::<Stores>().find(tenant).await?.into())
    }
}

/// Only the fields given change; `contactEmail: null` removes the contact email.
#[derive(InputObject)]
pub struct UpdateVendorInput {
    pub store_name: Option<String>,
    pub contact_email: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct VendorsMutation;

#[Object]
impl VendorsMutation {
    /// Changes the owner's store: its name and contact email (its domains: `addStoreDomain` and the
    /// others).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn update_vendor(
        &self,
        ctx: &Context<'_>,
        input: UpdateVendorInput,
    ) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let changes = StoreChanges {
            store_name: input
                .store_name
                .as_deref()
                .map(|name| StoreName::parse("storeName", name))
                .transpose()?,
            contact_email: match &input.contact_email {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(email) => {
                    Some(Email::parse_optional("contactEmail", Some(email.as_str()))?)
                }
            },
        };
        Ok(ctx
            .service::<Stores>()
            .update(tenant, changes)
            .await?
            .into())
    }

    /// Adds a domain to the owner's store (at most 20): requests to it, by `X-Tenant-Domain` or as
    /// their `Host`, are the store's. `CONFLICT` when another store has it; one the store has already
    /// changes nothing.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn add_store_domain(&self, ctx: &Context<'_>, domain: String) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let domain = Domain::parse("domain", &domain)?;
        Ok(ctx
            .service::<Stores>()
            .add_domain(tenant, &domain)
            .await?
            .into())
    }

    /// Removes one of the store's domains; never the primary one.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn remove_store_domain(&self, ctx: &Context<'_>, domain: String) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let domain = Domain::parse("domain", &domain)?;
        Ok(ctx
            .service::<Stores>()
            .remove_domain(tenant, &domain)
            .await?
            .into())
    }

    /// Makes one of the store's domains its primary one: `Vendor.domain`, and the store's domain in the
    /// tokens issued from now on (tokens issued before keep working).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn set_primary_domain(&self, ctx: &Context<'_>, domain: String) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let domain = Domain::parse("domain", &domain)?;
        Ok(ctx
            .service::<Stores>()
            .set_primary_domain(tenant, &domain)
            .await?
            .into())
    }
}
