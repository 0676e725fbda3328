//! `/login`: the native login form. The credentials go straight to FusionAuth's Login API
//! (workflow steps 1–3); the store backend never sees the password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{ApiClient, LoginFailure};
use crate::session::Session;
use crate::task::Task;

/// The login page (the app sends a signed-in user on to the store).
#[component]
pub fn LoginPage() -> impl IntoView {
    crate::components::set_page_title("Sign in");
    let api = expect_context::<ApiClient>();
    let session = expect_context::<Session>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let reveal = RwSignal::new(false);

    let login = Task::<Result<(), LoginFailure>>::new();
    let pending = move || login.pending();
    let failure = move || {
        if pending() {
            None
        } else {
            login.with(|r| r.and_then(|r| r.as_ref().err()).cloned())
        }
    };
    let email_error = move || failure().and_then(|f| f.field_error("loginId"));
    let password_error = move || failure().and_then(|f| f.field_error("password"));

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !login.is_running() {
            let (email, password) = (email.get_untracked(), password.get_untracked());
            login.run(async move {
                let started = api.login(&email, &password).await?;
                session.start(started);
                Ok(())
            });
        }
    };

    view! {
        <section class="page narrow login" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <p class="lead">"Sign in to see the products and your cart."</p>
            <Show when=move || session.notice().is_some()>
                <p id="session-notice" class="notice-inline" role="status">
                    {move || session.notice()}
                </p>
            </Show>
            <form id="login-form" class="card form" on:submit=on_submit>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        inputmode="email"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        aria-invalid=move || email_error().is_some().to_string()
                        aria-describedby="email-error"
                        bind:value=email
                    />
                    <p id="email-error" class="field-error">
                        {email_error}
                    </p>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <div class="password-row">
                        <input
                            id="password"
                            name="password"
                            type=move || if reveal.get() { "text" } else { "password" }
                            autocomplete="current-password"
                            autocapitalize="none"
                            spellcheck="false"
                            required
                            aria-invalid=move || password_error().is_some().to_string()
                            aria-describedby="password-error"
                            bind:value=password
                        />
                        <button
                            id="toggle-password"
                            type="button"
                            class="button button-quiet reveal"
                            aria-controls="password"
                            aria-label=move || {
                                if reveal.get() { "Hide password" } else { "Show password" }
                            }
                            aria-pressed=move || reveal.get().to_string()
                            on:click=move |_| reveal.update(|r| *r = !*r)
                        >
                            {move || if reveal.get() { "Hide" } else { "Show" }}
                        </button>
                    </div>
                    <p id="password-error" class="field-error">
                        {password_error}
                    </p>
                </div>
                <p id="login-error" class="form-error" role="alert">
                    {move || failure().map(|f| f.message())}
                </p>
                <button
                    id="login-submit"
                    type="submit"
                    class="button button-primary"
                    disabled=pending
                >
                    {move || if pending() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="fine-print">"Your password goes only to the sign-in service, never to the store."</p>
        </section>
    }
}
