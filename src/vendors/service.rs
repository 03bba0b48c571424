//! What the store queries do: read the current store, change its name and contact email, and its
//! domains (one to `MAX_DOMAINS`, one of them primary, none of another store's).

use std::sync::Arc;

use crate::db::{Conn, Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::identity::{StoreChange, TenantDirectory};
use crate::transaction;
use crate::values::{Domain, Email, StoreName};
use crate::vendors::model::DomainRow;
use crate::vendors::{VendorRow, store};

/// Most domains one store may have.
pub const MAX_DOMAINS: i64 = 20;

/// What `updateVendor` changes; `None` leaves a field as it is, `contact_email: Some(None)` clears it.
pub struct StoreChanges {
    pub store_name: Option<StoreName>,
    pub contact_email: Option<Option<Email>>,
}

/// The stores domain's service: the database, and the directory that must forget a store whose
/// domains change.
#[derive(Clone)]
pub struct Stores {
    db: Db,
    directory: Arc<TenantDirectory>,
}

impl Stores {
    pub fn new(db: Db, directory: Arc<TenantDirectory>) -> Self {
        Self { db, directory }
    }

    pub async fn find(&self, tenant: TenantId) -> AppResult<VendorRow> {
        let mut pooled = self.db.tenant(tenant).await?;
        store::find(&mut pooled.conn(), tenant)
            .await?
            .ok_or(AppError::TenantNotFound)
    }

    pub async fn update(&self, tenant: TenantId, changes: StoreChanges) -> AppResult<VendorRow> {
        let mut pooled = self.db.tenant(tenant).await?;
        store::update(
            &mut pooled.conn(),
            tenant,
            changes.store_name.as_deref(),
            changes.contact_email.as_ref().map(|email| email.as_deref()),
        )
        .await?
        .ok_or(AppError::TenantNotFound)
    }

    /// The store's domains, the primary one first.
    pub async fn domains(&self, tenant: TenantId) -> AppResult<Vec<DomainRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::domains(&mut pooled.conn(), tenant).await?)
    }

    /// Adds a domain to the store. One the store has already changes nothing; one of another store is
    /// `CONFLICT` (the database refuses a second claim whatever runs at the same time).
    pub async fn add_domain(&self, tenant: TenantId, domain: &Domain) -> AppResult<VendorRow> {
        self.directory.claimable("domain", domain)?;
        self.change_domains(tenant, DomainChange::Add(domain)).await
    }

    /// Removes one of the store's domains (`NOT_FOUND` if it has no such one); never the primary one.
    pub async fn remove_domain(&self, tenant: TenantId, domain: &str) -> AppResult<VendorRow> {
        self.change_domains(tenant, DomainChange::Remove(domain))
            .await
    }

    /// Makes one of the store's domains its primary one (`NOT_FOUND` if it has no such one): the one
    /// `Vendor.domain` shows and new tokens carry.
    pub async fn set_primary_domain(&self, tenant: TenantId, domain: &str) -> AppResult<VendorRow> {
        self.change_domains(tenant, DomainChange::MakePrimary(domain))
            .await
    }

    /// Runs a change of the store's domains in one transaction, with the store's row locked (one
    /// change of a store's domains at a time). A change is announced to every instance at commit, and
    /// this one's directory forgets the store at once.
    async fn change_domains(
        &self,
        tenant: TenantId,
        change: DomainChange<'_>,
    ) -> AppResult<VendorRow> {
        let mut pooled = self.db.tenant(tenant).await?;
        let (vendor, changed) = transaction!(&mut pooled.conn(), AppError, |conn| {
            if !store::lock(conn, tenant).await? {
                return Err(AppError::TenantNotFound);
            }
            let changed = apply(conn, tenant, change).await?;
            if changed {
                TenantDirectory::announce(conn, StoreChange::Store(tenant)).await?;
            }
            let vendor = store::find(conn, tenant)
                .await?
                .ok_or(AppError::TenantNotFound)?;
            Ok((vendor, changed))
        })?;
        if changed {
            self.directory.changed(StoreChange::Store(tenant));
        }
        Ok(vendor)
    }
}

/// A change of a store's domains.
#[derive(Clone, Copy)]
enum DomainChange<'a> {
    Add(&'a Domain),
    Remove(&'a str),
    MakePrimary(&'a str),
}

/// Makes the change inside the store's transaction; `false` when it changes nothing.
async fn apply(conn: &mut Conn<'_>, tenant: TenantId, change: DomainChange<'_>) -> AppResult<bool> {
    match change {
        DomainChange::Add(domain) => {
            match store::domain_owner(conn, domain).await? {
                Some(row) if row.vendor_id == tenant.0 => return Ok(false),
                Some(_) => return Err(domain_taken()),
                None => {}
            }
            if store::count_domains(conn, tenant).await? >= MAX_DOMAINS {
                return Err(AppError::LimitExceeded(format!(
                    "a store has at most {MAX_DOMAINS} domains; remove one first"
                )));
            }
            let row = DomainRow {
                domain: domain.to_string(),
                vendor_id: tenant.0,
                is_primary: false,
                created_at: now(),
            };
            store::insert_domain(conn, &row)
                .await
                .map_err(|err| AppError::taken(err, "domain", DOMAIN_TAKEN))?;
        }
        DomainChange::Remove(domain) => {
            if own_domain(conn, tenant, domain).await?.is_primary {
                return Err(AppError::bad_input(
                    "domain",
                    "the primary domain cannot be removed: make another domain primary first",
                ));
            }
            store::delete_domain(conn, tenant, domain).await?;
        }
        DomainChange::MakePrimary(domain) => {
            if own_domain(conn, tenant, domain).await?.is_primary {
                return Ok(false);
            }
            store::set_primary(conn, tenant, domain).await?;
        }
    }
    Ok(true)
}

/// What a domain of another store is told (also by `registerVendor`).
pub const DOMAIN_TAKEN: &str = "this domain is already taken";

fn domain_taken() -> AppError {
    AppError::conflict("domain", DOMAIN_TAKEN)
}

/// The store's own domain row, or `NOT_FOUND` (another store's domain is no different from none).
async fn own_domain(conn: &mut Conn<'_>, tenant: TenantId, domain: &str) -> AppResult<DomainRow> {
    store::domain_owner(conn, domain)
        .await?
        .filter(|row| row.vendor_id == tenant.0)
        .ok_or(AppError::NotFound("this store has no such domain"))
}
