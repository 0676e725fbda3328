//! `/login`: the native login form. The credentials go straight to FusionAuth's Login API
//! (workflow steps 1–3); the store backend never sees the password. A 242 answer leads to a
//! code step completed through `/api/two-factor/login`.

use leptos::either::Either;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{ApiClient, LoginFailure, LoginStep};
use crate::components::PasskeySignIn;
use crate::dom::focus_later;
use crate::pages::account::{NewPasswordForm, ResendVerification};
use crate::session::Session;
use crate::split::later_view;

/// Where the user is in signing in.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Credentials,
    /// FusionAuth asked for a second factor; the id completes the login.
    Code(String),
    /// 203: a new password first; the `changePasswordId` sets it.
    NewPassword(String),
}

/// The sign-in state both steps share.
#[derive(Clone, Copy)]
struct Flow {
    api: ApiClient,
    session: Session,
    step: RwSignal<Step>,
    pending: RwSignal<bool>,
    failure: RwSignal<Option<LoginFailure>>,
}

impl Flow {
    fn failure(&self) -> Option<LoginFailure> {
        if self.pending.get() {
            None
        } else {
            self.failure.get()
        }
    }

    fn field_error(&self, field: &str) -> Option<String> {
        self.failure().and_then(|f| f.field_error(field))
    }

    /// Runs one request and moves to the step it leads to; focus goes to the first error or to
    /// the new step's heading.
    fn submit(
        self,
        job: impl std::future::Future<Output = Result<LoginStep, LoginFailure>> + 'static,
    ) {
        // Boxed: the state machine below is compiled once, not once per kind of sign-in.
        self.submit_boxed(Box::pin(job));
    }

    fn submit_boxed(
        self,
        job: futures::future::LocalBoxFuture<'static, Result<LoginStep, LoginFailure>>,
    ) {
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let outcome = job.await;
            let _ = self.pending.try_set(false);
            match outcome {
                Ok(LoginStep::SignedIn(started)) => self.session.start(started),
                Ok(LoginStep::TwoFactor(id)) => {
                    let _ = self.failure.try_set(None);
                    let _ = self.step.try_set(Step::Code(id));
                    focus_later("#two-factor-title");
                }
                Ok(LoginStep::ChangePassword(id)) => {
                    let _ = self.failure.try_set(None);
                    let _ = self.step.try_set(Step::NewPassword(id));
                    focus_later("#change-title");
                }
                Err(failure) => {
                    let restart = failure == LoginFailure::CodeExpired;
                    let target = [
                        ("loginId", "#email"),
                        ("password", "#password"),
                        ("code", "#two-factor-code"),
                    ]
                    .into_iter()
                    .find(|(field, _)| failure.field_error(field).is_some())
                    .map_or("#login-error", |(_, input)| input);
                    let _ = self.failure.try_set(Some(failure));
                    if restart {
                        let _ = self.step.try_set(Step::Credentials);
                    }
                    focus_later(target);
                }
            }
        });
    }
}

/// The login page (the app sends a signed-in user on to the store).
#[component]
pub fn LoginPage() -> impl IntoView {
    let flow = Flow {
        api: expect_context::<ApiClient>(),
        session: expect_context::<Session>(),
        step: RwSignal::new(Step::Credentials),
        pending: RwSignal::new(false),
        failure: RwSignal::new(None),
    };
    move || match flow.step.get() {
        Step::Credentials => Either::Left(view! { <CredentialsStep flow /> }),
        // The steps after a 242 or a 203 are loaded later (see `pages::later`); their heading
        // takes the focus once it is there.
        step => {
            let title = if matches!(step, Step::Code(_)) {
                "#two-factor-title"
            } else {
                "#change-title"
            };
            Either::Right(later_view(
                move || later_step(flow, step.clone()),
                Some(title),
            ))
        }
    }
}

later! {
    /// The passkey ceremony and its sign-in (loaded on the first tap).
    async fn passkey_login(api: ApiClient, login_id: String) -> Result<LoginStep, LoginFailure> {
        api.passkey_login(&login_id).await
    }
}

later! {
    /// "Resend the email", after a 212/213 answer.
    fn resend_card(email: RwSignal<String>) -> AnyView {
        view! { <ResendVerification email=email.into() /> }.into_any()
    }
}

later! {
    /// The two-factor code step or the "Choose a new password" step.
    fn later_step(flow: Flow, step: Step) -> AnyView {
        match step {
            Step::Code(id) => view! { <CodeStep flow id /> }.into_any(),
            Step::NewPassword(id) => view! {
                <section class="page narrow login" aria-labelledby="change-title">
                    <h1 id="change-title" tabindex="-1">"Choose a new password"</h1>
                    <p class="lead">{LoginFailure::PasswordChangeRequired.message()}</p>
                    <NewPasswordForm id />
                </section>
            }
            .into_any(),
            Step::Credentials => ().into_any(),
        }
    }
}

/// The message for the whole form (every outcome except the session notice).
#[component]
fn FormError(flow: Flow) -> impl IntoView {
    view! {
        <p id="login-error" class="form-error" role="alert" tabindex="-1">
            {move || flow.failure().map(|f| f.message())}
        </p>
    }
}

#[component]
fn CredentialsStep(flow: Flow) -> impl IntoView {
    crate::dom::set_page_title("Sign in");
    let session = flow.session;
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let reveal = RwSignal::new(false);
    let pending = move || flow.pending.get();
    let email_error = move || flow.field_error("loginId");
    let password_error = move || flow.field_error("password");

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if flow.pending.get_untracked() {
            return;
        }
        let (email, password) = (email.get_untracked(), password.get_untracked());
        let api = flow.api;
        flow.submit(async move {
            LoginFailure::check_filled(&[
                ("loginId", &email, "Enter your email address."),
                ("password", &password, "Enter your password."),
            ])?;
            let step = api.login(&email, &password).await;
            if matches!(step, Ok(LoginStep::SignedIn(_))) {
                crate::passkeys::offer_after_password_sign_in();
            }
            step
        });
    };
    let passkey = move |id: String| {
        flow.submit(async move {
            // Its code not fetched: as if the service did not answer.
            passkey_login(flow.api, id)
                .await
                .unwrap_or(Err(LoginFailure::Unreachable))
        });
    };

    view! {
        <section class="page narrow login" aria-labelledby="login-title">
            <h1 id="login-title" tabindex="-1">"Sign in"</h1>
            <p class="lead">"Sign in to see the products and your cart."</p>
            {move || session.notice().map(|text| view! {
                <p id="session-notice" class="notice-inline" role="status">
                    {text}
                </p>
            })}
            <PasskeySignIn session pending=flow.pending sign_in=passkey />
            <form id="login-form" class="card form" novalidate on:submit=on_submit>
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
                <FormError flow />
                {move || (flow.failure() == Some(LoginFailure::NotVerified)).then(|| {
                    later_view(move || resend_card(email), None)
                })}
                <button
                    id="login-submit"
                    type="submit"
                    class="button button-primary"
                    disabled=pending
                >
                    {move || if pending() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="fine-print">
                <a id="forgot-link" href="/password/forgot">"Forgot password?"</a>
                " · "
                <a id="signup-link" href="/signup">"Create an account"</a>
            </p>
            <p class="fine-print">"Your password goes only to the sign-in service, never to the store."</p>
        </section>
    }
}

/// The second step after a 242: a one-time code from the user's authenticator.
#[component]
fn CodeStep(flow: Flow, id: String) -> impl IntoView {
    crate::dom::set_page_title("Enter your code");
    let code = RwSignal::new(String::new());
    let pending = move || flow.pending.get();
    let code_error = move || flow.field_error("code");
    let two_factor_id = StoredValue::new(id);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if flow.pending.get_untracked() {
            return;
        }
        let code = code.get_untracked();
        let id = two_factor_id.get_value();
        let api = flow.api;
        flow.submit(async move {
            LoginFailure::check_filled(&[("code", &code, "Enter the code from your app.")])?;
            api.two_factor_login(&id, &code).await
        });
    };
    let start_over = move |_| {
        flow.failure.set(None);
        flow.step.set(Step::Credentials);
        focus_later("#login-title");
    };

    view! {
        <section class="page narrow login" aria-labelledby="two-factor-title">
            <h1 id="two-factor-title" tabindex="-1">"Enter your code"</h1>
            <p class="lead">"Open your authenticator app and enter the code it shows for the store."</p>
            <form id="two-factor-form" class="card form" novalidate on:submit=on_submit>
                <div class="field">
                    <label for="two-factor-code">"Verification code"</label>
                    <input
                        id="two-factor-code"
                        name="code"
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        pattern="[0-9]*"
                        maxlength="10"
                        required
                        aria-invalid=move || code_error().is_some().to_string()
                        aria-describedby="code-error"
                        bind:value=code
                    />
                    <p id="code-error" class="field-error">
                        {code_error}
                    </p>
                </div>
                <FormError flow />
                <button
                    id="two-factor-submit"
                    type="submit"
                    class="button button-primary"
                    disabled=pending
                >
                    {move || if pending() { "Checking…" } else { "Verify" }}
                </button>
                <button
                    id="two-factor-cancel"
                    type="button"
                    class="button button-quiet"
                    on:click=start_over
                >
                    "Start over"
                </button>
            </form>
        </section>
    }
}
