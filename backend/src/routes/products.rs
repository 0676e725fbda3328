//! `GET /api/products` (public).

use actix_web::web;
use shared::store::ProductList;

use crate::error::Result;
use crate::state::AppState;
use crate::store;

/// The catalogue.
#[tracing::instrument(skip_all)]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<ProductList>> {
    let products = store::list_products(&state.pool).await?;
    Ok(web::Json(ProductList { products }))
}
