//! The bar on top of every signed-in page: where you are, the language, your
//! account and signing out; under it, until the owner confirms their email
//! address, a banner that says invoices cannot be emailed yet.

use invoice::Language;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::{CurrentUser, Logout, ResendConfirmation, Role, SetLanguage, ACCOUNT_PATH};
use crate::components::{action_error, language_name, ErrorAlert};
use crate::i18n::{t, use_language, T};

#[component]
pub fn TopBar(user: CurrentUser) -> impl IntoView {
    let language = use_language();
    let logout = ServerAction::<Logout>::new();
    let set_language = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(chosen)) = set_language.value().get() {
            language.set(chosen);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            crate::components::reload_at("/login");
        }
    });
    let email = user.email.clone();
    let pathname = use_location().pathname;
    let current =
        move |prefix: &'static str| move || pathname.get().starts_with(prefix).then_some("page");
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Invio"</a>
            <nav aria-label=move || t(T::MainNavigation)()>
                <a href="/" aria-current=move || (pathname.get() == "/").then_some("page")>{t(T::Today)}</a>
                <span class="crumb">{t(T::Sales)}</span>
                <a href="/invoices" aria-current=current("/invoices")>{t(T::CustomerInvoices)}</a>
                <a href="/customers" aria-current=current("/customers")>{t(T::Customers)}</a>
                <a href="/stores" aria-current=current("/stores")>{t(T::Stores)}</a>
                <a href="/team" aria-current=current("/team")>{t(T::Team)}</a>
            </nav>
            <div class="account">
                <label class="language">
                    <span class="visually-hidden">{t(T::Language)}</span>
                    <select
                        name="language"
                        aria-label=move || t(T::Language)()
                        on:change=move |ev| {
                            set_language.dispatch(SetLanguage { language: event_target_value(&ev) });
                        }
                    >
                        {Language::ALL
                            .into_iter()
                            .map(|option| {
                                view! {
                                    <option value=option.code() selected=move || language.get() == option>
                                        {language_name(option)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <a class="who" href=ACCOUNT_PATH title=move || format!("{} · {}", t(T::Account)(), email)>
                    {user.name.clone()} <span class="muted">" · " {user.organisation_name.clone()}</span>
                </a>
                <ActionForm action=logout>
                    <button type="submit" class="link">{t(T::SignOut)}</button>
                </ActionForm>
            </div>
        </header>
        {(!user.owner_confirmed).then(|| view! { <UnconfirmedBanner is_owner=user.role == Role::Owner /> })}
    }
}

/// Invoice emails wait for the owner's confirmed address: the owner can
/// have the link sent again; staff are told whom it waits for.
#[component]
fn UnconfirmedBanner(is_owner: bool) -> impl IntoView {
    let resend = ServerAction::<ResendConfirmation>::new();
    let error = action_error(resend);
    view! {
        <div class="notice banner" role="status">
            {if is_owner {
                view! {
                    <p>{t(T::UnconfirmedOwner)}</p>
                    <ActionForm action=resend>
                        <button type="submit" class="link" disabled=move || resend.pending().get()>{t(T::ResendConfirmation)}</button>
                    </ActionForm>
                    {move || matches!(resend.value().get(), Some(Ok(()))).then(|| view! { <p>{t(T::ConfirmationResent)}</p> })}
                    <ErrorAlert error />
                }.into_any()
            } else {
                view! { <p>{t(T::UnconfirmedStaff)}</p> }.into_any()
            }}
        </div>
    }
}
