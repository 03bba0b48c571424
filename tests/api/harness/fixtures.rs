//! Shared fixtures: stores with an owner, a staff member and two customers, each signed in.

use serde_json::{Value, json};

use super::TestApp;

pub const PASSWORD: &str = "password123";

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub token: String,
    pub refresh_token: String,
}

impl Account {
    fn from_auth_payload(payload: &Value) -> Self {
        Self {
            id: payload["user"]["id"].as_str().unwrap().to_owned(),
            username: payload["user"]["username"].as_str().unwrap().to_owned(),
            token: payload["accessToken"].as_str().unwrap().to_owned(),
            refresh_token: payload["refreshToken"].as_str().unwrap().to_owned(),
        }
    }
}

/// A store with one user of each role.
#[derive(Clone, Debug)]
pub struct Store {
    pub id: String,
    pub domain: String,
    pub owner: Account,
    pub staff: Account,
    pub customer: Account,
}

pub const AUTH_FIELDS: &str = "accessToken refreshToken user { id username email firstName lastName role createdAt } vendor { id storeName domain contactEmail createdAt }";

impl TestApp {
    /// Opens the store `domain` with owner `{prefix}_owner`; returns the store id and the owner.
    pub async fn register_vendor(&self, domain: &str) -> (String, Account) {
        let prefix = domain.split('.').next().unwrap();
        let response = self
            .gql()
            .send(
                &format!("mutation($input: RegisterVendorInput!) {{ registerVendor(input: $input) {{ {AUTH_FIELDS} }} }}"),
                json!({ "input": {
                    "storeName": format!("Store {prefix}"),
                    "domain": domain,
                    "contactEmail": format!("contact@{domain}"),
                    "username": format!("{prefix}_owner"),
                    "email": format!("owner@{domain}"),
                    "password": PASSWORD,
                    "firstName": "Olive",
                    "lastName": "Owner",
                }}),
            )
            .await;
        let payload = &response.data()["registerVendor"];
        (
            payload["vendor"]["id"].as_str().unwrap().to_owned(),
            Account::from_auth_payload(payload),
        )
    }

    /// Signs up customer `username` at the store `domain`.
    pub async fn register_customer(&self, domain: &str, username: &str) -> Account {
        let response = self
            .gql()
            .tenant(domain)
            .send(
                &format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_FIELDS} }} }}"),
                json!({ "input": {
                    "username": username,
                    "email": format!("{username}@mail.example.org"),
                    "password": PASSWORD,
                }}),
            )
            .await;
        Account::from_auth_payload(&response.data()["register"])
    }

    /// Signs up `count` customers named `{prefix}00`, `{prefix}01`… at the store `domain`, concurrently.
    pub async fn register_customers(
        &self,
        domain: &str,
        prefix: &str,
        count: usize,
    ) -> Vec<Account> {
        let signups = (0..count).map(|i| {
            let username = format!("{prefix}{i:02}");
            async move { self.register_customer(domain, &username).await }
        });
        futures_util::future::join_all(signups).await
    }

    /// Signs in `username` at the store `domain`.
    pub async fn login(&self, domain: &str, username: &str, password: &str) -> Account {
        let response = self
            .gql()
            .tenant(domain)
            .send(
                &format!(
                    "mutation($input: LoginInput!) {{ login(input: $input) {{ {AUTH_FIELDS} }} }}"
                ),
                json!({ "input": { "username": username, "password": password } }),
            )
            .await;
        Account::from_auth_payload(&response.data()["login"])
    }

    /// The owner adds a staff member through `createStaff`, who then signs in.
    pub async fn add_staff(&self, domain: &str, owner: &Account, username: &str) -> Account {
        self.gql()
            .tenant(domain)
            .token(&owner.token)
            .send(
                "mutation($input: CreateStaffInput!) { createStaff(input: $input) { id role } }",
                json!({ "input": {
                    "username": username,
                    "email": format!("{username}@{domain}"),
                    "password": PASSWORD,
                    "firstName": "Sam",
                }}),
            )
            .await
            .data();
        self.login(domain, username, PASSWORD).await
    }

    /// The store's owner deactivates `staff`.
    pub async fn deactivate_staff(&self, store: &Store, staff: &Account) {
        let response = self
            .as_user(store, &store.owner)
            .send(
                "mutation($id: ID!) { deactivateStaff(id: $id) { id isActive } }",
                json!({ "id": staff.id }),
            )
            .await;
        assert_eq!(response.data()["deactivateStaff"]["isActive"], false);
    }

    /// Makes the platform admin `username` (as `multistore create-admin` does) and signs them in;
    /// returns their access token.
    pub async fn platform_admin(&self, username: &str) -> String {
        multistore::create_admin(&self.state.config, username, PASSWORD)
            .await
            .unwrap();
        let response = self
            .gql()
            .send(
                "mutation($input: LoginInput!) { adminLogin(input: $input) { accessToken } }",
                json!({ "input": { "username": username, "password": PASSWORD } }),
            )
            .await;
        response.data()["adminLogin"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A store at `{name}.example.com` with an owner, a staff member and a customer.
    pub async fn store(&self, name: &str) -> Store {
        let domain = format!("{name}.example.com");
        let (id, owner) = self.register_vendor(&domain).await;
        let staff = self
            .add_staff(&domain, &owner, &format!("{name}_staff"))
            .await;
        let customer = self
            .register_customer(&domain, &format!("{name}_customer"))
            .await;
        Store {
            id,
            domain,
            owner,
            staff,
            customer,
        }
    }
}
