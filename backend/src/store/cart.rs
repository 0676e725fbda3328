//! Carts: one per user (JWT `iss` + `sub`), one line per product, 1–99 of each.

use shared::store::{Cart, CartLine, Quantity};
use sqlx::AnyPool;

use super::catalogue::{CURRENCY, ProductRow};

/// Whose cart: the verified JWT's issuer and subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartOwner<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    #[sqlx(flatten)]
    product: ProductRow,
    quantity: i64,
}

/// The owner's cart, lines in the order they were first added.
///
/// # Errors
/// When the query fails, or a stored quantity is out of range (a corrupted row).
#[tracing::instrument(skip_all)]
pub async fn load_cart(pool: &AnyPool, owner: &CartOwner<'_>) -> Result<Cart, sqlx::Error> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT p.id, p.name, p.description, p.price, p.currency, p.image, c.quantity \
         FROM cart_items c JOIN products p ON p.id = c.product_id \
         WHERE c.issuer = $1 AND c.subject = $2 \
         ORDER BY c.added_at, p.position, p.id",
    )
    .bind(owner.issuer)
    .bind(owner.subject)
    .fetch_all(pool)
    .await?;
    let lines = rows
        .into_iter()
        .map(|row| {
            let quantity =
                Quantity::parse(row.quantity).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok(CartLine {
                line_total: row.product.price.saturating_mul(i64::from(quantity.get())),
                quantity,
                product: row.product.into(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Cart::from_lines(lines, CURRENCY))
}

/// Adds `quantity` of a product in one atomic statement; a line holds at most 99.
/// The product must exist (checked by the caller; the foreign key backs it up).
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(product_id = %product_id, quantity = quantity.get()))]
pub async fn add_item(
    pool: &AnyPool,
    owner: &CartOwner<'_>,
    product_id: &str,
    quantity: Quantity,
    now_millis: i64,
) -> Result<(), sqlx::Error> {
    // `CASE` rather than MIN/LEAST: SQLite has only the first, PostgreSQL only the second.
    sqlx::query(
        "INSERT INTO cart_items (issuer, subject, product_id, quantity, added_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (issuer, subject, product_id) DO UPDATE SET quantity = \
         CASE WHEN cart_items.quantity + excluded.quantity > 99 THEN 99 \
         ELSE cart_items.quantity + excluded.quantity END",
    )
    .bind(owner.issuer)
    .bind(owner.subject)
    .bind(product_id)
    .bind(i64::from(quantity.get()))
    .bind(now_millis)
    .execute(pool)
    .await?;
    Ok(())
}

/// Sets the quantity of an existing line. Returns false when the cart has no such line.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(product_id = %product_id, quantity = quantity.get()))]
pub async fn set_quantity(
    pool: &AnyPool,
    owner: &CartOwner<'_>,
    product_id: &str,
    quantity: Quantity,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE cart_items SET quantity = $4 WHERE issuer = $1 AND subject = $2 AND product_id = $3",
    )
    .bind(owner.issuer)
    .bind(owner.subject)
    .bind(product_id)
    .bind(i64::from(quantity.get()))
    .execute(pool)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Removes a line; removing a line that is not there is not an error.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(product_id = %product_id))]
pub async fn remove_item(
    pool: &AnyPool,
    owner: &CartOwner<'_>,
    product_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE issuer = $1 AND subject = $2 AND product_id = $3")
        .bind(owner.issuer)
        .bind(owner.subject)
        .bind(product_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Empties the owner's cart.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all)]
pub async fn clear_cart(pool: &AnyPool, owner: &CartOwner<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE issuer = $1 AND subject = $2")
        .bind(owner.issuer)
        .bind(owner.subject)
        .execute(pool)
        .await?;
    Ok(())
}
