//! The account page's notification settings: how the signed-in user hears
//! that a customer first opened or downloaded an invoice (by email at once,
//! in a daily summary or not at all; and live in the admin). The form posts
//! without JavaScript too: its field names are the server function's.

use invoice::notifications::{EmailChoice, NotifySettings};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::SaveNotificationSettings;
use crate::components::{action_error, error_message, field_error, ErrorAlert};
use crate::i18n::{t, use_language, T};

fn choice_label(choice: EmailChoice) -> T {
    match choice {
        EmailChoice::Immediately => T::NotifyImmediately,
        EmailChoice::DailyDigest => T::NotifyDailyDigest,
        EmailChoice::Off => T::NotifyNoEmail,
    }
}

#[component]
pub fn NotificationSettingsCard() -> impl IntoView {
    let language = use_language();
    let save = ServerAction::<SaveNotificationSettings>::new();
    let settings = Resource::new(
        move || save.version().get(),
        |_| crate::api::notification_settings(),
    );
    view! {
        <section class="card" aria-labelledby="notifications-title">
            <h2 id="notifications-title">{t(T::Notifications)}</h2>
            <p class="muted">{t(T::NotificationsHelp)}</p>
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(current) => view! { <NotificationsForm current save /> }.into_any(),
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NotificationsForm(
    current: NotifySettings,
    save: ServerAction<SaveNotificationSettings>,
) -> impl IntoView {
    let error = action_error(save);
    let query = use_query_map();
    // After a plain form post the server redirects here with `?notifications=1`.
    let saved = move || {
        matches!(save.value().get(), Some(Ok(())))
            || query.with(|query| query.get("notifications").is_some())
    };
    view! {
        <ActionForm action=save attr:class="stack notifications-form">
            <fieldset class="choices">
                <legend>{t(T::NotifyByEmail)}</legend>
                {EmailChoice::ALL
                    .into_iter()
                    .map(|choice| view! {
                        <label class="choice">
                            <input type="radio" name="notify_email" value=choice.code() checked=current.email == choice />
                            <span>{t(choice_label(choice))}</span>
                        </label>
                    })
                    .collect_view()}
                // Only a forged post can choose what is not offered.
                {move || field_error(error, "notify_email").get().map(|problem| view! { <span class="field-error" role="alert">{problem}</span> })}
            </fieldset>
            <fieldset class="choices">
                <legend>{t(T::NotifyInAdmin)}</legend>
                <label class="choice">
                    <input type="checkbox" name="notify_live" value="true" checked=current.live />
                    <span>{t(T::NotifyLive)}</span>
                </label>
            </fieldset>
            <ErrorAlert error />
            {move || saved().then(|| view! { <p class="notice" role="status">{t(T::NotificationsSaved)}</p> })}
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t(T::SaveNotifications)}</button>
            </div>
        </ActionForm>
    }
}
