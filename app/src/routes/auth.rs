//! Signing up (a new organisation and its owner) and signing in.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{Login, Signup};
use crate::components::{
    action_error, field_error, language_options, reload_at, ErrorAlert, Field, SelectField,
};
use crate::i18n::{t, use_language, T};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let language = use_language();
    Effect::new(move |_| {
        if let Some(Ok(chosen)) = login.value().get() {
            language.set(chosen);
            reload_at("/invoices");
        }
    });
    let error = action_error(login);
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    view! {
        <section class="auth card" aria-labelledby="login-title">
            <h1 id="login-title">{t(T::SignInTitle)}</h1>
            <ActionForm action=login attr:novalidate=true attr:class="stack">
                <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" autocomplete="username" required=true />
                <Field label=T::Password name="password" value=password error=field_error(error, "password") kind="password" autocomplete="current-password" required=true />
                <button type="submit" class="primary" disabled=move || login.pending().get()>{t(T::SignIn)}</button>
            </ActionForm>
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
            reload_at("/invoices");
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
