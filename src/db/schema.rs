//! Table definitions shared by both backends. Only column types that behave alike on PostgreSQL and
//! SQLite are used: `BigInt` ids and money, `Integer`, `Text`, `Bool`, `Timestamp` (UTC, microseconds).

diesel::table! {
    vendors (id) {
        id -> BigInt,
        store_name -> Text,
        domain -> Text,
        contact_email -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    store_domains (domain) {
        domain -> Text,
        vendor_id -> BigInt,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    platform_admins (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    store_suspensions (vendor_id, id) {
        vendor_id -> BigInt,
        id -> BigInt,
        action -> Text,
        reason -> Nullable<Text>,
        admin_id -> BigInt,
        at -> Timestamp,
    }
}

diesel::table! {
    users (vendor_id, id) {
        id -> BigInt,
        vendor_id -> BigInt,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        role -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    products (vendor_id, id) {
        id -> BigInt,
        vendor_id -> BigInt,
        name -> Text,
        description -> Text,
        price_cents -> BigInt,
        stock -> Integer,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_key -> Text,
        search_name -> Text,
        search_description -> Text,
        search_folded -> Bool,
    }
}

diesel::table! {
    orders (vendor_id, id) {
        id -> BigInt,
        vendor_id -> BigInt,
        customer_id -> BigInt,
        assigned_staff_id -> Nullable<BigInt>,
        status -> Text,
        address -> Text,
        total_cents -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_items (vendor_id, id) {
        id -> BigInt,
        vendor_id -> BigInt,
        order_id -> BigInt,
        product_id -> BigInt,
        product_name -> Text,
        unit_price_cents -> BigInt,
        quantity -> Integer,
    }
}

diesel::table! {
    refresh_tokens (vendor_id, id) {
        id -> BigInt,
        vendor_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        family_id -> Text,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (vendor_id, customer_id, key) {
        vendor_id -> BigInt,
        customer_id -> BigInt,
        key -> Text,
        request_hash -> Text,
        order_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    order_events (vendor_id, id) {
        vendor_id -> BigInt,
        id -> BigInt,
        order_id -> BigInt,
        kind -> Text,
        status -> Text,
        actor_id -> Nullable<BigInt>,
        assigned_staff_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        position -> BigInt,
    }
}

diesel::table! {
    webhooks (vendor_id, id) {
        vendor_id -> BigInt,
        id -> BigInt,
        url -> Text,
        on_placed -> Bool,
        on_updated -> Bool,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (vendor_id, id) {
        vendor_id -> BigInt,
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        next_attempt_at -> Nullable<Timestamp>,
        retry_until -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_fanout (id) {
        id -> Integer,
        position -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    maintenance_done (task) {
        task -> Text,
        done_at -> Timestamp,
    }
}

diesel::joinable!(users -> vendors (vendor_id));
diesel::joinable!(products -> vendors (vendor_id));
diesel::joinable!(orders -> vendors (vendor_id));
diesel::joinable!(store_domains -> vendors (vendor_id));

diesel::allow_tables_to_appear_in_same_query!(
    vendors,
    users,
    products,
    orders,
    order_items,
    refresh_tokens,
    idempotency_keys,
    order_events,
    webhooks,
    webhook_deliveries,
    webhook_fanout,
    store_domains,
    platform_admins,
    store_suspensions,
);
