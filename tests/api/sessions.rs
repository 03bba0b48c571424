//! Staff management, refresh-token rotation, logout, password changes, store settings and login
//! throttling.

use serde_json::{Value, json};

use crate::harness::fixtures::{AUTH_FIELDS, PASSWORD};
use crate::harness::{Gql, TestApp};
use crate::on_both_backends;

on_both_backends!(
    owners_add_and_list_staff,
    deactivated_staff_are_shut_out_at_once,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
    logout_ends_the_sign_in,
    refresh_tokens_are_stored_as_hashes,
    changing_the_password_ends_other_sessions,
    owners_change_their_store_settings,
    failed_logins_are_throttled,
);

async fn refresh(app: &TestApp, token: &str) -> Gql {
    app.gql()
        .send(
            &format!(
                "mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ {AUTH_FIELDS} }} }}"
            ),
            json!({ "t": token }),
        )
        .await
}

async fn logout(app: &TestApp, token: &str) -> Gql {
    app.gql()
        .send(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": token }),
        )
        .await
}

async fn login_attempt(app: &TestApp, domain: &str, username: &str, password: &str) -> Gql {
    app.gql()
        .tenant(domain)
        .send(
            "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
            json!({ "input": { "username": username, "password": password } }),
        )
        .await
}

async fn owners_add_and_list_staff(app: TestApp) {
    let store = app.store("vendor1").await;
    let extra = app
        .add_staff(&store.domain, &store.owner, "second_staff")
        .await;
    let me = app
        .as_user(&store, &extra)
        .send("{ me { role isActive } }", json!({}))
        .await;
    assert_eq!(
        me.data()["me"],
        json!({ "role": "STAFF", "isActive": true })
    );

    let listing = app
        .as_user(&store, &store.owner)
        .send(
            "{ staff(first: 1) { totalCount nodes { username role } pageInfo { hasNextPage endCursor } } \
               customers { totalCount nodes { username role } } }",
            json!({}),
        )
        .await;
    let data = listing.data();
    assert_eq!(data["staff"]["totalCount"], 2);
    assert_eq!(
        data["staff"]["nodes"],
        json!([{ "username": "vendor1_staff", "role": "STAFF" }])
    );
    assert_eq!(data["staff"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(data["customers"]["totalCount"], 1);
    assert_eq!(data["customers"]["nodes"][0]["role"], "CUSTOMER");

    let create = |input: Value| {
        let request = app.as_user(&store, &store.owner);
        async move {
            request
                .send(
                    "mutation($input: CreateStaffInput!) { createStaff(input: $input) { id } }",
                    json!({ "input": input }),
                )
                .await
        }
    };
    let taken =
        create(json!({ "username": "VENDOR1_CUSTOMER", "email": "a@b.co", "password": PASSWORD }))
            .await;
    assert_eq!((taken.code(), taken.field()), ("CONFLICT", "username"));
    let short =
        create(json!({ "username": "newbie", "email": "a@b.co", "password": "short" })).await;
    assert_eq!(
        (short.code(), short.field()),
        ("BAD_USER_INPUT", "password")
    );
    let role = create(
        json!({ "username": "newbie", "email": "a@b.co", "password": PASSWORD, "role": "OWNER" }),
    )
    .await;
    assert_eq!(role.code(), "BAD_USER_INPUT", "no input chooses a role");
}

async fn deactivated_staff_are_shut_out_at_once(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let who = "{ me { id } }";
    app.as_user(&store, &store.staff)
        .send(who, json!({}))
        .await
        .data();

    let deactivate = |account: &crate::harness::Account, id: &str| {
        let request = app.as_user(&store, account);
        let id = id.to_owned();
        async move {
            request
                .send(
                    "mutation($id: ID!) { deactivateStaff(id: $id) { id isActive } }",
                    json!({ "id": id }),
                )
                .await
        }
    };
    assert_eq!(
        deactivate(&store.owner, &store.customer.id).await.code(),
        "NOT_FOUND",
        "not staff"
    );
    assert_eq!(
        deactivate(&store.owner, &other.staff.id).await.code(),
        "NOT_FOUND",
        "another store's"
    );
    assert_eq!(
        deactivate(&store.staff, &store.staff.id).await.code(),
        "FORBIDDEN"
    );
    let done = deactivate(&store.owner, &store.staff.id).await;
    assert_eq!(done.data()["deactivateStaff"]["isActive"], false);

    app.as_user(&store, &store.staff)
        .send(who, json!({}))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    assert_eq!(
        refresh(&app, &store.staff.refresh_token).await.code(),
        "UNAUTHENTICATED"
    );
    let login = login_attempt(&app, &store.domain, "vendor1_staff", PASSWORD).await;
    assert_eq!(login.code(), "UNAUTHENTICATED");
    let listing = app
        .as_user(&store, &store.owner)
        .send("{ staff { nodes { isActive } } }", json!({}))
        .await;
    assert_eq!(
        listing.data()["staff"]["nodes"],
        json!([{ "isActive": false }])
    );
    // The other store's staff is untouched.
    app.as_user(&other, &other.staff)
        .send(who, json!({}))
        .await
        .data();
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(app: TestApp) {
    let store = app.store("vendor1").await;
    let first = store.customer.refresh_token.clone();

    let rotated = refresh(&app, &first).await;
    let payload = rotated.data()["refreshToken"].clone();
    let second = payload["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(payload["user"]["id"], store.customer.id.as_str());
    assert_eq!(payload["vendor"]["id"], store.id.as_str());
    let access = payload["accessToken"].as_str().unwrap();
    app.gql()
        .token(access)
        .send("{ me { id } }", json!({}))
        .await
        .data();

    // The used token is dead, and presenting it again revokes the whole family.
    assert_eq!(refresh(&app, &first).await.code(), "UNAUTHENTICATED");
    assert_eq!(
        refresh(&app, &second).await.code(),
        "UNAUTHENTICATED",
        "its family was revoked"
    );

    // Other sign-ins of the same user are separate families.
    let fresh = app.login(&store.domain, "vendor1_customer", PASSWORD).await;
    refresh(&app, &fresh.refresh_token).await.data();

    for bad in [store.customer.token.as_str(), "garbage", "", "1.abc"] {
        assert_eq!(refresh(&app, bad).await.code(), "UNAUTHENTICATED", "{bad}");
    }
    let other = app.store("vendor2").await;
    let crossing = app
        .gql()
        .tenant(&other.domain)
        .send(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": store.owner.refresh_token }),
        )
        .await;
    assert_eq!(crossing.code(), "FORBIDDEN");
}

async fn logout_ends_the_sign_in(app: TestApp) {
    let store = app.store("vendor1").await;
    let rotated = refresh(&app, &store.owner.refresh_token).await;
    let current = rotated.data()["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(logout(&app, &current).await.data()["logout"], true);
    assert_eq!(refresh(&app, &current).await.code(), "UNAUTHENTICATED");
    assert_eq!(logout(&app, &current).await.data()["logout"], false);
    assert_eq!(logout(&app, "garbage").await.data()["logout"], false);
    // Another sign-in of the same user goes on.
    refresh(&app, &store.staff.refresh_token).await.data();
}

async fn refresh_tokens_are_stored_as_hashes(app: TestApp) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use multistore::db::schema::refresh_tokens;
    let store = app.store("vendor1").await;
    let mut pooled = app.admin.unscoped().await.unwrap();
    let stored: Vec<String> = multistore::with_conn!(pooled.conn(), |c| {
        refresh_tokens::table
            .select(refresh_tokens::token_hash)
            .load(c)
            .await
    })
    .unwrap();
    assert!(!stored.is_empty());
    for account in [&store.owner, &store.staff, &store.customer] {
        assert!(!stored.iter().any(|s| s.contains(&account.refresh_token)));
        assert!(stored.contains(&multistore::crypto::sha256_hex(&account.refresh_token)));
    }
}

async fn changing_the_password_ends_other_sessions(app: TestApp) {
    let store = app.store("vendor1").await;
    let change = |current: &str, new: &str| {
        let request = app.as_user(&store, &store.customer);
        let variables = json!({ "current": current, "new": new });
        async move {
            request
                .send(
                    "mutation($current: String!, $new: String!) { changePassword(currentPassword: $current, newPassword: $new) }",
                    variables,
                )
                .await
        }
    };
    assert_eq!(
        change("not-my-password", "new-password-1").await.code(),
        "UNAUTHENTICATED"
    );
    let short = change(PASSWORD, "short").await;
    assert_eq!(
        (short.code(), short.field()),
        ("BAD_USER_INPUT", "newPassword")
    );
    assert_eq!(
        change(PASSWORD, "new-password-1").await.data()["changePassword"],
        true
    );

    let old = login_attempt(&app, &store.domain, "vendor1_customer", PASSWORD).await;
    assert_eq!(old.code(), "UNAUTHENTICATED");
    login_attempt(&app, &store.domain, "vendor1_customer", "new-password-1")
        .await
        .data();
    assert_eq!(
        refresh(&app, &store.customer.refresh_token).await.code(),
        "UNAUTHENTICATED"
    );

    let anonymous = app
        .gql()
        .tenant(&store.domain)
        .send(
            "mutation { changePassword(currentPassword: \"a\", newPassword: \"bbbbbbbb\") }",
            json!({}),
        )
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

async fn owners_change_their_store_settings(app: TestApp) {
    let store = app.store("vendor1").await;
    let update = |account: &crate::harness::Account, input: Value| {
        let request = app.as_user(&store, account);
        async move {
            request
                .send(
                    "mutation($input: UpdateVendorInput!) { updateVendor(input: $input) { id storeName domain contactEmail } }",
                    json!({ "input": input }),
                )
                .await
        }
    };
    let changed = update(
        &store.owner,
        json!({ "storeName": " New Name ", "contactEmail": "hi@new.example" }),
    )
    .await;
    assert_eq!(
        changed.data()["updateVendor"],
        json!({ "id": store.id, "storeName": "New Name", "domain": store.domain, "contactEmail": "hi@new.example" })
    );
    let kept = update(&store.owner, json!({ "storeName": "Newer" })).await;
    assert_eq!(
        kept.data()["updateVendor"]["contactEmail"],
        "hi@new.example",
        "absent fields stay"
    );
    let cleared = update(&store.owner, json!({ "contactEmail": null })).await;
    assert_eq!(cleared.data()["updateVendor"]["contactEmail"], Value::Null);

    let bad = update(&store.owner, json!({ "contactEmail": "nope" })).await;
    assert_eq!(
        (bad.code(), bad.field()),
        ("BAD_USER_INPUT", "contactEmail")
    );
    let blank = update(&store.owner, json!({ "storeName": "  " })).await;
    assert_eq!(
        (blank.code(), blank.field()),
        ("BAD_USER_INPUT", "storeName")
    );
    for account in [&store.staff, &store.customer] {
        assert_eq!(
            update(account, json!({ "storeName": "Mine now" }))
                .await
                .code(),
            "FORBIDDEN"
        );
    }
    let seen = app
        .gql()
        .tenant(&store.domain)
        .send("{ vendor { storeName } }", json!({}))
        .await;
    assert_eq!(seen.data()["vendor"]["storeName"], "Newer");
}

async fn failed_logins_are_throttled(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    for _ in 0..5 {
        let response =
            login_attempt(&app, &store.domain, "vendor1_customer", "wrong-password").await;
        assert_eq!(response.code(), "UNAUTHENTICATED");
    }
    // Locked now, even with the right password, and told for how long.
    let locked = login_attempt(&app, &store.domain, "VENDOR1_customer", PASSWORD).await;
    assert_eq!(locked.code(), "RATE_LIMITED");
    let retry_after = locked.error()["extensions"]["retryAfter"].as_u64().unwrap();
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    // Other accounts are not locked.
    login_attempt(&app, &store.domain, "vendor1_owner", PASSWORD)
        .await
        .data();
    app.register_customer(&other.domain, "vendor1_customer")
        .await;
    login_attempt(&app, &other.domain, "vendor1_customer", PASSWORD)
        .await
        .data();

    // One address guessing many usernames is locked too.
    for i in 0..30 {
        let response =
            login_attempt(&app, &other.domain, &format!("guess{i}"), "wrong-password").await;
        // 5 failures above and 25 here reach the address's limit of 30.
        let expected = if i < 25 {
            "UNAUTHENTICATED"
        } else {
            "RATE_LIMITED"
        };
        assert_eq!(response.code(), expected, "guess {i}");
    }
    let from_here = login_attempt(&app, &other.domain, "vendor2_owner", PASSWORD).await;
    assert_eq!(from_here.code(), "RATE_LIMITED");
}
