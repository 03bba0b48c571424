//! The body of a delivery (CONTRACT.md section 8): `{"id", "type", "storeId", "occurredAt", "data":
//! {"order": {..}}}`, the order as the event left it, with its scalar fields, `customerId` and `items`,
//! named as in the schema.

use serde_json::{Value, json};

use crate::graphql::scalars::rfc3339;
use crate::orders::model::{LoggedEvent, OrderItemRow};
use crate::values::Money;
use crate::webhooks::model::Topic;

pub fn body(logged: &LoggedEvent, items: &[OrderItemRow]) -> Value {
    let event = &logged.event;
    let order = event.order_after(&logged.order);
    let items: Vec<Value> = items
        .iter()
        .map(|item| {
            json!({
                "productId": item.product_id.to_string(),
                "productName": item.product_name,
                "unitPrice": Money::from_cents(item.unit_price_cents).to_string(),
                "quantity": item.quantity,
                "lineTotal": Money::from_cents(item.unit_price_cents * i64::from(item.quantity)).to_string(),
            })
        })
        .collect();
    json!({
        "id": event.id.to_string(),
        "type": Topic::of(event.kind()).name(),
        "storeId": event.vendor_id.to_string(),
        "occurredAt": rfc3339(event.created_at),
        "data": {
            "order": {
                "id": order.id.to_string(),
                "status": order.status().name(),
                "address": order.address,
                "total": Money::from_cents(order.total_cents).to_string(),
                "customerId": order.customer_id.to_string(),
                "assignedStaffId": order.assigned_staff_id.map(|id| id.to_string()),
                "createdAt": rfc3339(order.created_at),
                "updatedAt": rfc3339(order.updated_at),
                "items": items,
            }
        }
    })
}
