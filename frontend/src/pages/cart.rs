//! `/cart`: the user's cart, read from the backend with the JWT (workflow steps 4–13), with a
//! quantity stepper and a remove button per line.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use shared::store::{Cart, CartLine, Quantity, SetCartQuantity};

use crate::api::{ApiClient, ApiFailure};
use crate::cart_count::CartCount;
use crate::components::LoadError;
use crate::format;
use crate::router::Page;
use crate::task::Task;

/// A change the user asked for.
#[derive(Clone, Debug)]
enum CartChange {
    SetQuantity(String, Quantity),
    Remove(String),
}

impl CartChange {
    /// The cart as it will be once the backend has made this change.
    fn apply(&self, cart: &mut Cart) {
        let (Self::SetQuantity(id, _) | Self::Remove(id)) = self;
        cart.lines.retain_mut(|line| match self {
            _ if line.product.id != *id => true,
            Self::SetQuantity(_, quantity) => {
                line.quantity = *quantity;
                line.line_total = line.product.price.wrapping_mul(quantity.get().into());
                true
            }
            Self::Remove(_) => false,
        });
        *cart = Cart::from_lines(std::mem::take(&mut cart.lines), &cart.currency);
    }
}

/// Sends a [`CartChange`], one at a time: the page shows it at once, adopts the backend's cart
/// when it answers, and goes back to the cart as it was when the change fails. The latest
/// outcome is kept for the status line.
#[derive(Clone, Copy)]
struct ChangeAction {
    task: Task<Result<(), String>>,
    api: ApiClient,
    cart: RwSignal<Option<Cart>>,
    count: CartCount,
}

impl ChangeAction {
    fn pending(&self) -> bool {
        self.task.pending()
    }

    fn dispatch(&self, change: CartChange) {
        let Self {
            api,
            cart,
            count: CartCount(count, sending),
            ..
        } = *self;
        let before = cart.get_untracked();
        let show = move |c: Option<Cart>| {
            count.set(c.as_ref().map(|c| c.item_count));
            let _ = cart.try_set(c);
        };
        let mut after = before.clone();
        if let Some(c) = &mut after {
            change.apply(c);
        }
        show(after);
        sending.update(|n| *n += 1);
        self.task.run(async move {
            let answer = match &change {
                CartChange::SetQuantity(product_id, quantity) => {
                    let body = SetCartQuantity {
                        quantity: *quantity,
                    };
                    api.set_quantity(product_id, &body).await
                }
                CartChange::Remove(product_id) => api.remove_from_cart(product_id).await,
            };
            sending.update(|n| *n -= 1);
            match answer {
                Ok(updated) => {
                    show(Some(updated));
                    Ok(())
                }
                Err(failure) => {
                    if !failure.signs_out() {
                        show(before);
                    }
                    Err(crate::pages::not_saved(failure))
                }
            }
        });
    }
}

/// The cart page.
#[component]
pub fn CartPage() -> impl IntoView {
    crate::dom::set_page_title("Your cart");
    let api = expect_context::<ApiClient>();
    let cart_count = expect_context::<CartCount>();
    let CartCount(count, sending) = cart_count;
    let cart = RwSignal::new(None::<Cart>);

    // `Some(Err(..))` when the first load failed; the cart itself lives in `cart`.
    let loaded = Task::<Result<(), ApiFailure>>::new();
    let load = {
        move || {
            loaded.run(async move {
                let fresh = api.cart().await?;
                count.set(Some(fresh.item_count));
                cart.set(Some(fresh));
                Ok(())
            });
        }
    };
    // First load (once the changes on their way have been answered, so it sees them), and again
    // after a temporary failure whenever a retry is due.
    let connectivity = api.connectivity();
    Effect::new(move |_| {
        connectivity.retries();
        if sending.get() > 0 {
            return;
        }
        let due = loaded.peek(|r| match r {
            None => true,
            Some(Err(failure)) => failure.is_temporary(),
            Some(Ok(())) => false,
        });
        if due && !loaded.is_running() {
            load();
        }
    });
    let change = ChangeAction {
        task: Task::new(),
        api,
        cart,
        count: cart_count,
    };
    let change_error = {
        move || {
            if change.pending() {
                None
            } else {
                change.task.with(|r| r.and_then(|r| r.clone().err()))
            }
        }
    };

    view! {
        <section id="cart" class="page narrow" aria-labelledby="cart-title">
            <h1 id="cart-title" tabindex="-1">"Your cart"</h1>
            {move || match loaded.with(|r| r.cloned()) {
                None => EitherOf3::A(view! { <CartLoading /> }),
                Some(Ok(())) => {
                    EitherOf3::B(view! { <CartContents cart change /> })
                }
                Some(Err(failure)) => {
                    let load = load;
                    EitherOf3::C(view! { <LoadError failure on_retry=move || load() /> })
                }
            }}
            <p class="cart-status" role="status">
                {change_error}
            </p>
        </section>
    }
}

#[component]
fn CartLoading() -> impl IntoView {
    view! {
        <ul class="cart-lines loading" aria-busy="true" aria-label="Loading your cart">
            <li class="cart-line skeleton"></li>
            <li class="cart-line skeleton"></li>
        </ul>
    }
}

/// The lines and the total, or the empty state.
#[component]
fn CartContents(cart: RwSignal<Option<Cart>>, change: ChangeAction) -> impl IntoView {
    let empty = Memo::new(move |_| cart.with(|c| c.as_ref().is_none_or(|c| c.lines.is_empty())));
    let total = move || {
        cart.with(|c| {
            c.as_ref()
                .map(|c| format::price(c.total, &c.currency))
                .unwrap_or_default()
        })
    };
    let item_count = move || cart.with(|c| c.as_ref().map_or(0, |c| c.item_count));
    let line_ids = Memo::new(move |_| {
        cart.with(|c| {
            c.as_ref()
                .map(|c| {
                    c.lines
                        .iter()
                        .map(|l| l.product.id.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });

    view! {
        {move || if empty.get() {
            Either::Left(view! {
                <div class="cart-empty card">
                    <p id="cart-empty">"Your cart is empty."</p>
                    <a class="button button-primary" href=Page::Store.path()>
                        "Browse products"
                    </a>
                </div>
            })
        } else { Either::Right(view! {
            <ul class="cart-lines">
                // Rows are rebuilt only when the set of products changes (not on quantity
                // changes: each row follows its own quantity), so focus stays on the stepper.
                {move || {
                    line_ids.track();
                    cart.with_untracked(|c| c.as_ref().map(|c| c.lines.clone()).unwrap_or_default())
                        .into_iter()
                        .map(|line| view! { <CartLineRow line cart change /> })
                        .collect_view()
                }}
            </ul>
            <div class="cart-summary card">
                <p class="cart-items">{move || format::items(item_count())}</p>
                <p id="cart-total" class="cart-total">
                    <span>"Total"</span>
                    " "
                    <strong>{total}</strong>
                </p>
            </div>
        })}}
    }
}

/// One line; its quantity and total follow the cart signal so the row (and the focused
/// button) survive changes.
#[component]
fn CartLineRow(
    line: CartLine,
    cart: RwSignal<Option<Cart>>,
    change: ChangeAction,
) -> impl IntoView {
    let product = line.product;
    let id = product.id.clone();
    let current = {
        let id = id.clone();
        Memo::new(move |_| {
            cart.with(|c| {
                c.as_ref().and_then(|c| {
                    c.lines
                        .iter()
                        .find(|l| l.product.id == id)
                        .map(|l| (l.quantity.get(), l.line_total))
                })
            })
        })
    };
    let quantity = move || current.get().map_or(0, |(q, _)| q);
    let currency = product.currency.clone();
    let line_total = move || {
        current
            .get()
            .map(|(_, total)| format::price(total, &currency))
            .unwrap_or_default()
    };
    let busy = move || change.pending();
    let step = {
        let id = id.clone();
        move |delta: i64| {
            if let Ok(next) = Quantity::parse(i64::from(quantity()) + delta) {
                change.dispatch(CartChange::SetQuantity(id.clone(), next));
            }
        }
    };
    let decrement = step.clone();
    let remove_id = id.clone();
    let name = product.name.clone();

    view! {
        <li class="cart-line card" data-product-id=id>
            <img
                class="cart-line-image"
                src=product.image.clone()
                alt=product.name.clone()
                width="72"
                height="72"
            />
            <div class="cart-line-info">
                <h2 class="cart-line-name">{product.name.clone()}</h2>
                <p class="cart-line-price">
                    {format::price(product.price, &product.currency)} " each"
                </p>
                <p class="line-total">{line_total}</p>
            </div>
            <div class="cart-line-controls">
                <div class="stepper" role="group" aria-label=format!("Quantity of {name}")>
                    <button
                        type="button"
                        class="decrement"
                        aria-label=format!("Decrease quantity of {name}")
                        disabled=move || { busy() || quantity() <= Quantity::MIN }
                        on:click=move |_| decrement(-1)
                    >
                        "−"
                    </button>
                    <span class="quantity" aria-live="polite">
                        {quantity}
                    </span>
                    <button
                        type="button"
                        class="increment"
                        aria-label=format!("Increase quantity of {name}")
                        disabled=move || { busy() || quantity() >= Quantity::MAX }
                        on:click=move |_| step(1)
                    >
                        "+"
                    </button>
                </div>
                <button
                    type="button"
                    class="button button-quiet remove"
                    aria-label=format!("Remove {name} from cart")
                    disabled=busy
                    on:click=move |_| {
                        change.dispatch(CartChange::Remove(remove_id.clone()));
                    }
                >
                    "Remove"
                </button>
            </div>
        </li>
    }
}
