//! The public page where the owner of an address put in a store's copies or
//! failure notices confirms that they want that mail. Opening the link
//! confirms nothing (mail scanners open links): the owner presses Confirm.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::ConfirmRecipient;
use crate::components::{action_error, error_message, ErrorAlert};
use crate::i18n::{t, use_language, T};

#[component]
pub fn ConfirmRecipientPage() -> impl IntoView {
    let language = use_language();
    let params = use_params_map();
    let token = move || params.with(|params| params.get("token").unwrap_or_default());
    let request = Resource::new(token, crate::api::recipient_confirmation);
    let confirm = ServerAction::<ConfirmRecipient>::new();
    let error = action_error(confirm);
    view! {
        <section class="auth card" aria-labelledby="confirm-title">
            <h1 id="confirm-title">{t(T::ConfirmRecipientTitle)}</h1>
            <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match request.await {
                        Ok(request) => {
                            let already = request.confirmed;
                            view! {
                                <p>
                                    {t(T::ConfirmRecipientIntro)} " " <strong>{request.business}</strong> ": "
                                    <strong data-testid="confirm-address">{request.address}</strong>
                                </p>
                                {move || if already || matches!(confirm.value().get(), Some(Ok(()))) {
                                    view! { <p class="notice" role="status">{t(T::RecipientConfirmedThanks)}</p> }.into_any()
                                } else {
                                    view! {
                                        <p class="muted">{t(T::ConfirmRecipientIgnore)}</p>
                                        <ActionForm action=confirm attr:class="stack">
                                            <input type="hidden" name="token" value=token() />
                                            <ErrorAlert error />
                                            <button type="submit" class="primary" disabled=move || confirm.pending().get()>{t(T::ConfirmRecipientButton)}</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(error) => view! {
                            <p class="alert" role="alert">{move || refusal_text(&error, language.get())}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A refused token says why (expired or unknown); anything else as usual.
fn refusal_text(error: &crate::api::AdminError, language: invoice::Language) -> String {
    error
        .field("token")
        .map(|field| field.message(language))
        .unwrap_or_else(|| error_message(error, language))
}
