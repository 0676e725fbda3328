//! The product catalogue: seeded at start, read-only afterwards.

use shared::store::Product;
use sqlx::AnyPool;

/// Currency of every price in the store.
pub const CURRENCY: &str = "EUR";

/// (id, name, description, price in cents)
const CATALOGUE: [(&str, &str, &str, i64); 7] = [
    (
        "espresso-cups",
        "Espresso cups",
        "Two stoneware cups that keep a double shot hot.",
        2400,
    ),
    (
        "pour-over",
        "Pour-over dripper",
        "A ceramic dripper for one clean, bright cup.",
        3200,
    ),
    (
        "coffee-beans",
        "Single-origin beans",
        "250 g of washed Ethiopian beans, roasted this week.",
        1450,
    ),
    (
        "canvas-tote",
        "Canvas tote",
        "Heavy cotton tote with an inside pocket.",
        1800,
    ),
    (
        "notebook",
        "Dot-grid notebook",
        "A5, 120 pages of fountain-pen-friendly paper.",
        1200,
    ),
    (
        "water-bottle",
        "Steel water bottle",
        "750 ml, double-walled, keeps cold for a day.",
        2600,
    ),
    (
        "wool-socks",
        "Merino socks",
        "Warm, soft, and they do not itch.",
        1500,
    ),
];

/// Inserts or updates the catalogue, so a new release's prices reach an existing database.
///
/// # Errors
/// When the database refuses the statements.
#[tracing::instrument(skip_all)]
pub async fn seed_catalogue(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (position, (id, name, description, price)) in (0_i64..).zip(CATALOGUE) {
        sqlx::query(
            "INSERT INTO products (id, name, description, price, currency, image, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, price = excluded.price, \
             currency = excluded.currency, image = excluded.image, position = excluded.position",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(price)
        .bind(CURRENCY)
        .bind(format!("/images/{id}.svg"))
        .bind(position)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

#[derive(sqlx::FromRow)]
pub(super) struct ProductRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub image: String,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            price: row.price,
            currency: row.currency,
            image: row.image,
        }
    }
}

/// The whole catalogue, in display order.
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all)]
pub async fn list_products(pool: &AnyPool) -> Result<Vec<Product>, sqlx::Error> {
    let rows: Vec<ProductRow> = sqlx::query_as(
        "SELECT id, name, description, price, currency, image FROM products ORDER BY position, id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// One product, if it exists.
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all, fields(product_id = %product_id))]
pub async fn find_product(
    pool: &AnyPool,
    product_id: &str,
) -> Result<Option<Product>, sqlx::Error> {
    let row: Option<ProductRow> = sqlx::query_as(
        "SELECT id, name, description, price, currency, image FROM products WHERE id = $1",
    )
    .bind(product_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Product::from))
}
