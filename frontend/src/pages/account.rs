//! The account around the login form (issue #14): `/signup`, `/password/forgot`, the reset
//! link's `/password/change/{id}` (also the 203 step of the login page), and the verification
//! link's `/email/verify/{id}`; plain forms with FusionAuth's per-field errors beside the fields.

use std::future::Future;

use futures::future::LocalBoxFuture;
use leptos::either::{Either, EitherOf3};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::store::SignUpRequest;

use crate::api::{ApiClient, LoginFailure, LoginStep, PasswordChanged};
use crate::components::SignedInDevices;
use crate::dom::{focus_later, set_page_title};
use crate::router::{Page, Router};
use crate::session::Session;

/// A form's shared state: in flight, and what went wrong.
#[derive(Clone, Copy)]
pub(crate) struct Form {
    pending: RwSignal<bool>,
    failure: RwSignal<Option<LoginFailure>>,
}

impl Form {
    pub(crate) fn new() -> Self {
        Self {
            pending: RwSignal::new(false),
            failure: RwSignal::new(None),
        }
    }

    fn error(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.failure.get().and_then(|f| f.field_error(field)))
    }

    /// Runs `job` once at a time; focus goes to the first field (`(name, #input)`) with an
    /// error, else to the form's message.
    fn run<T: 'static>(
        self,
        fields: &'static [(&'static str, &'static str)],
        job: impl Future<Output = Result<T, LoginFailure>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.pending.get_untracked() {
            return;
        }
        // Boxed: the state machine below is compiled once, not once per form.
        self.run_boxed(
            fields,
            Box::pin(async move {
                let value = job.await?;
                Ok(Box::new(move || done(value)) as Box<dyn FnOnce()>)
            }),
        );
    }

    fn run_boxed(
        self,
        fields: &'static [(&'static str, &'static str)],
        job: LocalBoxFuture<'static, Result<Box<dyn FnOnce()>, LoginFailure>>,
    ) {
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let outcome = job.await;
            let _ = self.pending.try_set(false);
            match outcome {
                Ok(done) => {
                    let _ = self.failure.try_set(None);
                    done();
                }
                Err(failure) => {
                    let target = fields
                        .iter()
                        .find(|(field, _)| failure.field_error(field).is_some())
                        .map_or("#form-error", |(_, input)| input);
                    let _ = self.failure.try_set(Some(failure));
                    focus_later(target);
                }
            }
        });
    }
}

/// One labelled input with its error below it.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                autocapitalize="none"
                spellcheck="false"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                bind:value=value
            />
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}

/// The form's message (an error not tied to one field).
#[component]
fn FormError(form: Form) -> impl IntoView {
    view! {
        <p id="form-error" class="form-error" role="alert" tabindex="-1">
            {move || form.failure.get().map(|f| f.message())}
        </p>
    }
}

#[component]
fn Submit(id: &'static str, form: Form, label: &'static str) -> impl IntoView {
    view! {
        <button id=id type="submit" class="button button-primary" disabled=move || form.pending.get()>
            {move || if form.pending.get() { "Please wait…" } else { label }}
        </button>
    }
}

/// What a finished step says, with a link to go on.
#[component]
fn Done(id: &'static str, text: String, link: &'static str, href: &'static str) -> impl IntoView {
    view! {
        <p id=id class="notice-inline" role="status">{text}</p>
        <p><a class="button" href=href>{link}</a></p>
    }
}

/// "Resend the email" for an address that is not verified yet (FusionAuth emails a new link).
#[component]
pub(crate) fn ResendVerification(email: Signal<String>) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let form = Form::new();
    let sent = RwSignal::new(false);
    let resend = move |_| {
        form.run(
            &[],
            async move {
                // A 404 (no such address) reads as sent: the answer reveals nothing.
                match api.resend_verification(&email.get_untracked()).await {
                    Err(LoginFailure::LinkExpired) => Ok(()),
                    other => other,
                }
            },
            move |()| sent.set(true),
        );
    };
    view! {
        <button id="resend-verification" type="button" class="button" on:click=resend
            disabled=move || form.pending.get()>
            "Resend the email"
        </button>
        <p id="resend-status" role="status">
            {move || sent.get().then_some("We've sent a new link. Check your email.")}
            {move || form.failure.get().map(|f| f.message())}
        </p>
    }
}

/// `/signup`: email, password and name; a verification step when the tenant asks for one.
#[component]
pub fn SignUpPage() -> impl IntoView {
    set_page_title("Create an account");
    let (api, session) = (expect_context::<ApiClient>(), expect_context::<Session>());
    let form = Form::new();
    let (email, password, name) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let verify = RwSignal::new(false);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let request = SignUpRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            first_name: Some(name.get_untracked().trim().to_owned()).filter(|n| !n.is_empty()),
        };
        let fields = &[
            ("email", "#signup-email"),
            ("password", "#signup-password"),
            ("firstName", "#signup-name"),
        ];
        form.run(
            fields,
            async move {
                LoginFailure::check_filled(&[
                    ("email", &request.email, "Enter your email address."),
                    ("password", &request.password, "Choose a password."),
                ])?;
                let created = api.sign_up(&request).await?;
                if created.verification_required {
                    return Ok(None);
                }
                Ok(Some(api.login(&request.email, &request.password).await))
            },
            move |signed_in| match signed_in {
                Some(Ok(LoginStep::SignedIn(started))) => session.start(started),
                Some(_) => expect_context::<Router>().go(Page::Login, false),
                None => {
                    verify.set(true);
                    focus_later("#verify-title");
                }
            },
        );
    };
    view! {
        <section class="page narrow login" aria-labelledby="signup-title">
            {move || if !verify.get() { Either::Left(view! {
                <h1 id="signup-title" tabindex="-1">"Create an account"</h1>
                <form id="signup-form" class="card form" novalidate on:submit=on_submit>
                    <Field id="signup-email" label="Email" kind="email" autocomplete="username" value=email error=form.error("email") />
                    <Field id="signup-password" label="Password" kind="password" autocomplete="new-password" value=password error=form.error("password") />
                    <Field id="signup-name" label="Name (optional)" kind="text" autocomplete="given-name" value=name error=form.error("firstName") />
                    <FormError form />
                    <Submit id="signup-submit" form label="Create account" />
                </form>
                <p class="fine-print"><a href="/login">"Already have an account? Sign in"</a></p>
            }) } else { Either::Right(view! {
                <h1 id="verify-title" tabindex="-1">"Verify your email"</h1>
                <p class="lead">"We've sent a link to " {move || email.get()} ". Open it to finish, then sign in."</p>
                <ResendVerification email=email.into() />
                <p><a class="button" href="/login">"Sign in"</a></p>
            }) }}
        </section>
    }
}

/// `/password/forgot`: the answer is the same whether or not the address has an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    set_page_title("Forgot password");
    let api = expect_context::<ApiClient>();
    let form = Form::new();
    let email = RwSignal::new(String::new());
    let sent = RwSignal::new(false);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked();
        form.run(
            &[("email", "#forgot-email")],
            async move {
                LoginFailure::check_filled(&[("email", &address, "Enter your email address.")])?;
                api.forgot_password(&address).await
            },
            move |()| sent.set(true),
        );
    };
    view! {
        <section class="page narrow login" aria-labelledby="forgot-title">
            <h1 id="forgot-title" tabindex="-1">"Forgot your password?"</h1>
            {move || if !sent.get() { Either::Left(view! {
                <form id="forgot-form" class="card form" novalidate on:submit=on_submit>
                    <Field id="forgot-email" label="Email" kind="email" autocomplete="username" value=email error=form.error("email") />
                    <FormError form />
                    <Submit id="forgot-submit" form label="Email me a link" />
                </form>
            }) } else { Either::Right(view! {
                <Done id="forgot-sent" link="Back to sign in" href="/login"
                    text=format!("If {} has an account, we've sent it a link to choose a new password.", email.get_untracked().trim()) />
            }) }}
        </section>
    }
}

/// A new password for a `changePasswordId`, then signed in with the change's one-time password.
#[component]
pub(crate) fn NewPasswordForm(id: String) -> impl IntoView {
    let (api, session) = (expect_context::<ApiClient>(), expect_context::<Session>());
    let router = expect_context::<Router>();
    let form = Form::new();
    let password = RwSignal::new(String::new());
    let changed = RwSignal::new(false);
    let id = StoredValue::new(id);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let new = password.get_untracked();
        form.run(
            &[("password", "#new-password")],
            async move {
                LoginFailure::check_filled(&[("password", &new, "Choose a new password.")])?;
                api.change_password(&id.get_value(), &new).await
            },
            move |outcome| match outcome {
                PasswordChanged::SignedIn(started) => {
                    session.start(started);
                    router.go(Page::Store, true);
                }
                PasswordChanged::SignInNeeded => changed.set(true),
            },
        );
    };
    view! {
        {move || if !changed.get() { Either::Left(view! {
            <form id="new-password-form" class="card form" novalidate on:submit=on_submit>
                <Field id="new-password" label="New password" kind="password" autocomplete="new-password" value=password error=form.error("password") />
                <FormError form />
                <Submit id="new-password-submit" form label="Change password" />
            </form>
        }) } else { Either::Right(view! {
            <Done id="password-changed" link="Sign in" href="/login"
                text="Your password has been changed. Sign in with it.".to_owned() />
        }) }}
    }
}

/// The id at the end of this page's path (`/password/change/{id}`, `/email/verify/{id}`).
fn id_from_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .and_then(|p| {
            p.trim_end_matches('/')
                .rsplit('/')
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// `/password/change/{id}`: the reset email's link.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    set_page_title("Choose a new password");
    view! {
        <section class="page narrow login" aria-labelledby="reset-title">
            <h1 id="reset-title" tabindex="-1">"Choose a new password"</h1>
            <NewPasswordForm id=id_from_path() />
        </section>
    }
}

/// `/email/verify/{id}`: the verification email's link, used at once.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    set_page_title("Verify your email");
    let api = expect_context::<ApiClient>();
    let outcome = RwSignal::new(None::<Result<(), LoginFailure>>);
    let id = id_from_path();
    leptos::task::spawn_local(async move {
        let _ = outcome.try_set(Some(api.verify_email(&id).await));
    });
    view! {
        <section class="page narrow login" aria-labelledby="verify-title">
            <h1 id="verify-title" tabindex="-1">"Verify your email"</h1>
            {move || match outcome.get() {
                None => EitherOf3::A(view! { <p role="status">"Checking your link…"</p> }),
                Some(Ok(())) => EitherOf3::B(view! {
                    <Done id="email-verified" link="Sign in" href="/login"
                        text="Your email address is verified.".to_owned() />
                }),
                Some(Err(failure)) => EitherOf3::C(view! {
                    <p id="form-error" class="form-error" role="alert">{failure.message()}</p>
                }),
            }}
        </section>
    }
}

/// `/account`: change the password (the current one required). FusionAuth then ends every
/// other session of the user (the tenant's `onPasswordChanged` revocation, which the backend
/// learns through its webhook); this device signs in again with the change's one-time password.
#[component]
pub fn AccountPage() -> impl IntoView {
    set_page_title("Your account");
    let (api, session) = (expect_context::<ApiClient>(), expect_context::<Session>());
    let form = Form::new();
    let (current, new) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let changed = RwSignal::new(None::<&'static str>);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (old, password) = (current.get_untracked(), new.get_untracked());
        changed.set(None);
        let fields = &[
            ("currentPassword", "#current-password"),
            ("password", "#account-new-password"),
        ];
        form.run(
            fields,
            async move {
                LoginFailure::check_filled(&[
                    ("currentPassword", &old, "Enter your current password."),
                    ("password", &password, "Choose a new password."),
                ])?;
                api.change_own_password(&old, &password).await
            },
            move |outcome| match outcome {
                PasswordChanged::SignedIn(started) => {
                    current.set(String::new());
                    new.set(String::new());
                    session.start(started);
                    changed.set(Some(
                        "Your password has been changed. Every other device has been signed out.",
                    ));
                }
                // The old session is revoked: the next call leads to the login form.
                PasswordChanged::SignInNeeded => session.end(),
            },
        );
    };
    view! {
        <section class="page narrow" aria-labelledby="account-title">
            <h1 id="account-title" tabindex="-1">"Your account"</h1>
            <p class="lead">{move || session.current().and_then(|s| s.email)}</p>
            <h2>"Change password"</h2>
            <form id="change-password-form" class="card form" novalidate on:submit=on_submit>
                <Field id="current-password" label="Current password" kind="password" autocomplete="current-password" value=current error=form.error("currentPassword") />
                <Field id="account-new-password" label="New password" kind="password" autocomplete="new-password" value=new error=form.error("password") />
                <FormError form />
                <p id="password-changed" role="status">{move || changed.get()}</p>
                <Submit id="change-password-submit" form label="Change password" />
            </form>
            <SignedInDevices />
            <crate::components::PasskeysSection />
        </section>
    }
}
