//! `/api/cart…`: the caller's cart. Every route needs an [`AuthUser`] and answers the whole
//! [`Cart`]; on any error nothing has changed.

use actix_web::web;
use shared::store::{AddCartItem, Cart, SetCartQuantity};

use crate::auth::AuthUser;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{self, CartOwner};

fn owner(user: &AuthUser) -> CartOwner<'_> {
    CartOwner {
        issuer: &user.issuer,
        subject: &user.subject,
    }
}

async fn ensure_product(state: &AppState, product_id: &str) -> Result<()> {
    match store::find_product(&state.pool, product_id).await? {
        Some(_) => Ok(()),
        None => Err(Error::NotFound(format!(
            "There is no product {product_id:?}."
        ))),
    }
}

/// `GET /api/cart` (workflow steps 5 and 9).
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn get(user: AuthUser, state: web::Data<AppState>) -> Result<web::Json<Cart>> {
    Ok(web::Json(
        store::load_cart(&state.pool, &owner(&user)).await?,
    ))
}

/// `POST /api/cart/items` `{"productId", "quantity"}`: adds to a line (at most 99 per line).
#[tracing::instrument(skip_all, fields(subject = %user.subject, product_id = %body.product_id))]
pub async fn add_item(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<AddCartItem>,
) -> Result<web::Json<Cart>> {
    ensure_product(&state, &body.product_id).await?;
    let owner = owner(&user);
    store::add_item(
        &state.pool,
        &owner,
        &body.product_id,
        body.quantity,
        state.clock.now_millis(),
    )
    .await?;
    Ok(web::Json(store::load_cart(&state.pool, &owner).await?))
}

/// `PATCH /api/cart/items/{productId}` `{"quantity"}`: sets the quantity of an existing line.
#[tracing::instrument(skip_all, fields(subject = %user.subject, product_id = %product_id))]
pub async fn set_quantity(
    user: AuthUser,
    state: web::Data<AppState>,
    product_id: web::Path<String>,
    body: web::Json<SetCartQuantity>,
) -> Result<web::Json<Cart>> {
    ensure_product(&state, &product_id).await?;
    let owner = owner(&user);
    if !store::set_quantity(&state.pool, &owner, &product_id, body.quantity).await? {
        return Err(Error::NotFound(format!("Your cart has no {product_id:?}.")));
    }
    Ok(web::Json(store::load_cart(&state.pool, &owner).await?))
}

/// `DELETE /api/cart/items/{productId}`: removes a line (removing an absent line is fine).
#[tracing::instrument(skip_all, fields(subject = %user.subject, product_id = %product_id))]
pub async fn remove_item(
    user: AuthUser,
    state: web::Data<AppState>,
    product_id: web::Path<String>,
) -> Result<web::Json<Cart>> {
    ensure_product(&state, &product_id).await?;
    let owner = owner(&user);
    store::remove_item(&state.pool, &owner, &product_id).await?;
    Ok(web::Json(store::load_cart(&state.pool, &owner).await?))
}

/// `DELETE /api/cart`: empties the cart.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn clear(user: AuthUser, state: web::Data<AppState>) -> Result<web::Json<Cart>> {
    let owner = owner(&user);
    store::clear_cart(&state.pool, &owner).await?;
    Ok(web::Json(store::load_cart(&state.pool, &owner).await?))
}
