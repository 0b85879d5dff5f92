//! The bar on top of every signed-in page: where you are, the language, your
//! account and signing out; under it, until the owner confirms their email
//! address, a banner that says invoices cannot be emailed yet.

use invoice::Language;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;

use crate::api::{CurrentUser, Logout, ResendConfirmation, Role, SetLanguage, ACCOUNT_PATH};
use crate::components::{action_error, language_name, ErrorAlert};
use crate::i18n::{provide_language, t, use_language, T};

#[component]
pub fn TopBar(user: CurrentUser) -> impl IntoView {
    let language = use_language();
    // A plain post: the server answers with the sign-in page.
    let logout = ServerAction::<Logout>::new();
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
                <LanguageSwitch language=language.get_untracked() />
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

/// The admin's language: choosing one reloads the page in it. Without
/// JavaScript the choice is posted with its button, and the server answers
/// with the same page.
#[island]
fn LanguageSwitch(language: Language) -> impl IntoView {
    provide_language(language);
    let set_language = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = set_language.value().get() {
            let _ = window().location().reload();
        }
    });
    view! {
        <form class="language" method="post" action=SetLanguage::url()>
            <label>
                <span class="visually-hidden">{t(T::Language)}</span>
                <select
                    name="language"
                    aria-label=t(T::Language)
                    on:change=move |ev| {
                        set_language.dispatch(SetLanguage { language: event_target_value(&ev) });
                    }
                >
                    {Language::ALL
                        .into_iter()
                        .map(|option| {
                            view! { <option value=option.code() selected=language == option>{language_name(option)}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="without-script">{t(T::ChangeLanguage)}</button>
        </form>
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
