//! The organisation's users: the owner adds staff and removes them.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{AddUser, CurrentUser, RemoveUser, Role, Viewer};
use crate::components::{action_error, error_message, field_error, ErrorAlert, Field};
use crate::i18n::{t, tr, use_language, T};

#[component]
pub fn TeamPage() -> impl IntoView {
    let language = use_language();
    let add = ServerAction::<AddUser>::new();
    let remove = ServerAction::<RemoveUser>::new();
    let users = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| crate::api::list_users(),
    );
    let remove_error = action_error(remove);
    let is_owner = use_context::<Viewer>()
        .and_then(|viewer| viewer.user)
        .is_some_and(|user: CurrentUser| user.role == Role::Owner);
    let error = action_error(add);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            for field in [name, email, password] {
                field.set(String::new());
            }
        }
    });
    view! {
        <div class="page-head"><h1>{t(T::Team)}</h1></div>
        <section class="card">
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || users.get().map(|result| match result {
                    Ok(users) => view! {
                        <table>
                            <thead><tr>
                                <th scope="col">{t(T::Name)}</th>
                                <th scope="col">{t(T::Email)}</th>
                                <th scope="col">{t(T::Role)}</th>
                                {is_owner.then(|| view! { <th scope="col">{t(T::Actions)}</th> })}
                            </tr></thead>
                            <tbody>
                                {users.into_iter().map(|user| {
                                    let removable = is_owner && user.role == Role::Staff;
                                    let label = format!("{} {}", tr(language.get_untracked(), T::RemoveStaff), user.name);
                                    view! {
                                        <tr>
                                            <td>{user.name}</td>
                                            <td>{user.email}</td>
                                            <td>{match user.role { Role::Owner => t(T::Owner), Role::Staff => t(T::Staff) }}</td>
                                            {is_owner.then(|| view! {
                                                <td>{removable.then(|| view! {
                                                    <ActionForm action=remove>
                                                        <input type="hidden" name="user_id" value=user.id />
                                                        <button type="submit" class="danger" aria-label=label disabled=move || remove.pending().get()>{t(T::RemoveStaff)}</button>
                                                    </ActionForm>
                                                })}</td>
                                            })}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {is_owner.then(|| view! { <p class="muted">{t(T::RemoveStaffHelp)}</p> })}
                        <ErrorAlert error=remove_error />
                    }.into_any(),
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>
        </section>
        {is_owner.then(|| view! {
            <section class="card" aria-labelledby="add-user-title">
                <h2 id="add-user-title">{t(T::AddStaff)}</h2>
                <p class="muted">{t(T::AddStaffHelp)}</p>
                <ActionForm action=add attr:class="grid" attr:novalidate=true>
                    <Field label=T::Name name="name" value=name error=field_error(error, "name") required=true />
                    <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" required=true />
                    <Field label=T::Password name="password" value=password error=field_error(error, "password") kind="password" autocomplete="new-password" hint=T::PasswordHint required=true />
                    <ErrorAlert error />
                    <div class="form-actions wide">
                        <button type="submit" class="primary" disabled=move || add.pending().get()>{t(T::AddStaff)}</button>
                    </div>
                </ActionForm>
            </section>
        })}
    }
}
