//! `/`: the product list, with an "Add to cart" button per product.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use shared::store::{AddCartItem, Product, ProductList, Quantity};

use crate::api::{ApiClient, ApiFailure};
use crate::cart_count::CartCount;
use crate::components::LoadError;
use crate::format;
use crate::session::Session;
use crate::task::Task;

/// The store's front page.
#[component]
pub fn StorePage() -> impl IntoView {
    crate::dom::set_page_title("Products");
    let api = expect_context::<ApiClient>();
    let session = expect_context::<Session>();
    let products = Task::<Result<ProductList, ApiFailure>>::new();
    let load = move || {
        products.run(async move { api.products().await });
    };
    // First load, and again after a temporary failure whenever a retry is due.
    let connectivity = api.connectivity();
    Effect::new(move |_| {
        connectivity.retries();
        let due = products.peek(|r| match r {
            None => true,
            Some(Err(failure)) => failure.is_temporary(),
            Some(Ok(_)) => false,
        });
        if due && !products.is_running() {
            load();
        }
    });

    view! {
        <section class="page store" aria-labelledby="store-title">
            <div class="page-head">
                <h1 id="store-title" tabindex="-1">"Products"</h1>
                <p class="greeting">
                    {move || session.greeting_name().map(|name| format!("Signed in as {name}"))}
                </p>
            </div>
            {move || match products.with(|p| p.cloned()) {
                None => EitherOf3::A(view! { <ProductsLoading /> }),
                Some(Ok(list)) => {
                    let empty = list.products.is_empty();
                    EitherOf3::B(view! {
                        <ul id="products" class="product-grid">
                            {list
                                .products
                                .into_iter()
                                .map(|product| view! { <ProductCard product /> })
                                .collect_view()}
                        </ul>
                        {empty.then(|| view! { <p class="empty">"No products yet."</p> })}
                    })
                }
                Some(Err(failure)) => {
                    let load = load;
                    EitherOf3::C(view! { <LoadError failure on_retry=move || load() /> })
                }
            }}
        </section>
    }
}

/// Placeholder cards while the products load.
#[component]
fn ProductsLoading() -> impl IntoView {
    view! {
        <ul class="product-grid loading" aria-busy="true" aria-label="Loading products">
            {(0..4).map(|_| view! { <li class="product skeleton"></li> }).collect_view()}
        </ul>
    }
}

/// One product with its "Add to cart" button. The badge counts the item at once; the backend's
/// answer then sets it (once no other change is on its way), a failure takes the item back out.
#[component]
fn ProductCard(product: Product) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let CartCount(count, sending) = expect_context::<CartCount>();
    let product_id = product.id.clone();
    let add = Task::<Result<(), String>>::new();
    let run_add = move || {
        let product_id = product_id.clone();
        count.update(|n| *n = Some(n.unwrap_or(0) + 1));
        sending.update(|n| *n += 1);
        add.run(async move {
            let answer = match Quantity::parse(1) {
                Ok(quantity) => {
                    api.add_to_cart(&AddCartItem {
                        product_id,
                        quantity,
                    })
                    .await
                }
                Err(_) => Err(ApiFailure::BadResponse),
            };
            sending.update(|n| *n -= 1);
            match &answer {
                Ok(cart) if sending.get_untracked() == 0 => count.set(Some(cart.item_count)),
                Ok(_) => {}
                Err(failure) if failure.signs_out() => {}
                Err(_) => count.update(|n| *n = n.map(|n| n.saturating_sub(1))),
            }
            answer.map(drop).map_err(crate::pages::not_saved)
        });
    };
    let status = move || {
        if add.pending() {
            return None;
        }
        add.with(|result| match result {
            Some(Ok(())) => Some("Added to your cart.".to_owned()),
            Some(Err(message)) => Some(message.clone()),
            None => None,
        })
    };
    let price = format::price(product.price, &product.currency);
    let label = format!("Add {} to cart", product.name);

    view! {
        <li class="product" data-product-id=product.id.clone()>
            <img
                class="product-image"
                src=product.image.clone()
                alt=product.name.clone()
                width="320"
                height="240"
                decoding="async"
            />
            <div class="product-body">
                <h2 class="product-name">{product.name.clone()}</h2>
                <p class="product-description">{product.description.clone()}</p>
                <div class="product-foot">
                    <p class="price">{price}</p>
                    <button
                        type="button"
                        class="button button-primary add-to-cart"
                        aria-label=label
                        on:click=move |_| run_add()
                    >
                        "Add to cart"
                    </button>
                </div>
                <p class="add-status" role="status">
                    {status}
                </p>
            </div>
        </li>
    }
}
