//! Signing up (a new organisation and its owner) and signing in; the pages
//! the account emails link to (confirm the address, reset the password);
//! the signed-in user's own page (change the password, how to hear of
//! customers' first opens, sign out everywhere).
//! Every form also posts without JavaScript: its field names are the server
//! function's arguments.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use crate::api::{
    ChangePassword, ConfirmEmail, ForgotPassword, Login, ResetPassword, SignOutEverywhere, Signup,
    CHECK_EMAIL_PATH, FORGOT_PASSWORD_PATH,
};
use crate::components::{
    action_error, field_error, language_options, provide_plain_post_error, reload_at, ErrorAlert,
    Field, SelectField,
};
use crate::i18n::{provide_language, t, use_language, T};

#[component]
pub fn LoginPage() -> impl IntoView {
    let language = use_language().get_untracked();
    view! { <LoginForm language /> }
}

/// The sign-in form: an island, so a refused attempt keeps the typed email
/// (posted without JavaScript, the server answers with an empty form).
#[island(lazy)]
fn LoginForm(language: invoice::Language) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    let login = ServerAction::<Login>::new();
    let language = use_language();
    Effect::new(move |_| {
        if let Some(Ok(chosen)) = login.value().get() {
            language.set(chosen);
            reload_at("/");
        }
    });
    let error = action_error(login);
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    view! {
        <section class="auth card" aria-labelledby="login-title">
            <h1 id="login-title">{t(T::SignInTitle)}</h1>
            // Posted from the signals, not read back from the form as
            // `ActionForm` does: its form-data decoding costs the page's
            // first load about 26 KiB of wasm. Without JavaScript it posts.
            <form class="stack" novalidate method="post" action=Login::url() on:submit=move |ev| {
                ev.prevent_default();
                login.dispatch(Login { email: email.get(), password: password.get() });
            }>
                <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" autocomplete="username" required=true />
                <Field label=T::Password name="password" value=password error=field_error(error, "password") kind="password" autocomplete="current-password" required=true />
                <button type="submit" class="primary" disabled=move || login.pending().get()>{t(T::SignIn)}</button>
            </form>
            <p class="muted"><a href=FORGOT_PASSWORD_PATH>{t(T::ForgotPassword)}</a></p>
            <p class="muted">{t(T::NoAccountYet)} " " <a href="/signup">{t(T::CreateAccount)}</a></p>
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let error = action_error(signup);
    let language = use_language();
    Effect::new(move |_| {
        if let Some(Ok(())) = signup.value().get() {
            reload_at(CHECK_EMAIL_PATH);
        }
    });
    let business_name = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let chosen_language = RwSignal::new(language.get_untracked().code().to_owned());
    // The form speaks the language being chosen.
    Effect::new(move |_| {
        if let Some(choice) = invoice::Language::parse(&chosen_language.get()) {
            language.set(choice);
        }
    });
    view! {
        <section class="auth card" aria-labelledby="signup-title">
            <h1 id="signup-title">{t(T::SignUpTitle)}</h1>
            <p class="muted">{t(T::SignUpIntro)}</p>
            <ActionForm action=signup attr:novalidate=true attr:class="stack">
                <Field label=T::BusinessName name="business_name" value=business_name error=field_error(error, "business_name") autocomplete="organization" required=true />
                <Field label=T::YourName name="name" value=name error=field_error(error, "name") autocomplete="name" required=true />
                <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" autocomplete="email" required=true />
                <Field label=T::Password name="password" value=password error=field_error(error, "password") kind="password" autocomplete="new-password" hint=T::PasswordHint required=true />
                <SelectField label=T::Language name="language" value=chosen_language error=field_error(error, "language") options=Signal::derive(language_options) />
                <ErrorAlert error />
                <button type="submit" class="primary" disabled=move || signup.pending().get()>{t(T::CreateAccount)}</button>
            </ActionForm>
            <p class="muted">{t(T::HaveAccount)} " " <a href="/login">{t(T::SignIn)}</a></p>
        </section>
    }
}

/// A query parameter of the page's address.
fn query_value(name: &'static str) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get(name)
}

/// What sign-up answers, whether or not the address already had an account.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <section class="auth card" aria-labelledby="check-title">
            <h1 id="check-title">{t(T::CheckEmailTitle)}</h1>
            <p>{t(T::CheckEmailBody)}</p>
            <p><a href="/login">{t(T::SignIn)}</a></p>
        </section>
    }
}

/// The emailed confirmation link opens this page; the button confirms, so
/// that a mail scanner fetching the link does not use it up.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmEmail>::new();
    let error = action_error(confirm);
    let token = RwSignal::new(query_value("token")().unwrap_or_default());
    let done = query_value("done");
    let confirmed = move || done().is_some() || matches!(confirm.value().get(), Some(Ok(())));
    view! {
        <section class="auth card" aria-labelledby="confirm-title">
            <h1 id="confirm-title">{t(T::ConfirmEmailTitle)}</h1>
            <Show
                when=confirmed
                fallback=move || view! {
                    <p>{t(T::ConfirmEmailIntro)}</p>
                    <ActionForm action=confirm attr:class="stack">
                        <input type="hidden" name="token" value=token.get_untracked() />
                        {move || field_error(error, "token").get().map(|message| view! { <p class="alert" role="alert">{message}</p> })}
                        <button type="submit" class="primary" disabled=move || confirm.pending().get()>{t(T::ConfirmEmailButton)}</button>
                    </ActionForm>
                }
            >
                <p class="notice" role="status">{t(T::EmailConfirmed)}</p>
            </Show>
            <p><a href="/login">{t(T::SignIn)}</a></p>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    let error = action_error(forgot);
    let email = RwSignal::new(String::new());
    let sent_before = query_value("sent");
    let sent = move || sent_before().is_some() || matches!(forgot.value().get(), Some(Ok(())));
    view! {
        <section class="auth card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">{t(T::ResetPasswordTitle)}</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p class="muted">{t(T::ForgotPasswordIntro)}</p>
                    <ActionForm action=forgot attr:novalidate=true attr:class="stack">
                        <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" autocomplete="username" required=true />
                        <button type="submit" class="primary" disabled=move || forgot.pending().get()>{t(T::SendResetLink)}</button>
                    </ActionForm>
                }
            >
                <p class="notice" role="status">{t(T::ResetLinkSent)}</p>
            </Show>
            <p class="muted"><a href="/login">{t(T::BackToSignIn)}</a></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = action_error(reset);
    let token = RwSignal::new(query_value("token")().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let done = query_value("done");
    let changed = move || done().is_some() || matches!(reset.value().get(), Some(Ok(())));
    view! {
        <section class="auth card" aria-labelledby="reset-title">
            <h1 id="reset-title">{t(T::ResetPasswordTitle)}</h1>
            <Show
                when=changed
                fallback=move || view! {
                    <ActionForm action=reset attr:novalidate=true attr:class="stack">
                        <input type="hidden" name="token" value=token.get_untracked() />
                        <Field label=T::NewPassword name="password" value=password error=field_error(error, "password") kind="password" autocomplete="new-password" hint=T::PasswordHint required=true />
                        <button type="submit" class="primary" disabled=move || reset.pending().get()>{t(T::SaveNewPassword)}</button>
                    </ActionForm>
                    <p class="muted"><a href=FORGOT_PASSWORD_PATH>{t(T::ForgotPassword)}</a></p>
                }
            >
                <p class="notice" role="status">{t(T::PasswordResetDone)}</p>
            </Show>
            <p class="muted"><a href="/login">{t(T::BackToSignIn)}</a></p>
        </section>
    }
}

/// The signed-in user's own page: their password, their notifications and
/// their sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let error = action_error(change);
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let changed_before = query_value("changed");
    let changed =
        move || changed_before().is_some() || matches!(change.value().get(), Some(Ok(())));
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            current_password.set(String::new());
            new_password.set(String::new());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = everywhere.value().get() {
            reload_at("/login");
        }
    });
    view! {
        <div class="page-head"><h1>{t(T::Account)}</h1></div>
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{t(T::ChangePassword)}</h2>
            <p class="muted">{t(T::ChangePasswordHelp)}</p>
            <ActionForm action=change attr:class="grid" attr:novalidate=true>
                <Field label=T::CurrentPassword name="current_password" value=current_password error=field_error(error, "current_password") kind="password" autocomplete="current-password" required=true />
                <Field label=T::NewPassword name="new_password" value=new_password error=field_error(error, "new_password") kind="password" autocomplete="new-password" hint=T::PasswordHint required=true />
                {move || changed().then(|| view! { <p class="notice wide" role="status">{t(T::PasswordChanged)}</p> })}
                <div class="form-actions wide">
                    <button type="submit" class="primary" disabled=move || change.pending().get()>{t(T::ChangePassword)}</button>
                </div>
            </ActionForm>
        </section>
        <crate::routes::notifications::NotificationSettingsCard />
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{t(T::SignOutEverywhere)}</h2>
            <p class="muted">{t(T::SignOutEverywhereHelp)}</p>
            <ActionForm action=everywhere>
                <ErrorAlert error=action_error(everywhere) />
                <button type="submit" disabled=move || everywhere.pending().get()>{t(T::SignOutEverywhere)}</button>
            </ActionForm>
        </section>
    }
}
