//! The merchant's day: the home page (what to chase, per store or for all)
//! and a customer's page with their statement of open items. The rules are
//! `invoice::chase`'s; this reads the candidates and hands them over.

use app::api::{CustomerOverview, HomeView, InvoiceFilter};
use invoice::chase::{self, ChaseFilter, Due, Statement, StatementItem};
use invoice::document::Party;
use invoice::organisation::CurrentUser;

use crate::db::chase::{open_invoices, Scope};
use crate::db::{customer_facts, customers, invoices, now_ms, stores};
use crate::error::ServerError;
use crate::services::{today, Services};

impl Services {
    /// What to chase today in `store_id` (one of the organisation's) or in
    /// every store.
    pub async fn home_view(
        &self,
        user: &CurrentUser,
        store_id: Option<i64>,
    ) -> Result<HomeView, ServerError> {
        let stores = stores::list(&self.db, user.organisation).await?;
        if let Some(id) = store_id {
            if !stores.iter().any(|store| store.id == id) {
                return Err(ServerError::NotFound);
            }
        }
        let scope = Scope {
            store_id,
            ..Scope::default()
        };
        let open = open_invoices(&self.db, user.organisation, scope).await?;
        Ok(HomeView {
            stores,
            store_id,
            today: chase::today(&open, today(), now_ms()),
        })
    }

    /// The customer's page: balance, invoices, payments and what they opened.
    pub async fn customer_account_view(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<CustomerOverview, ServerError> {
        let organisation = user.organisation;
        let customer = customers::get(&self.db, organisation, customer_id).await?;
        let scope = Scope {
            customer_id: Some(customer_id),
            ..Scope::default()
        };
        let open = open_invoices(&self.db, organisation, scope).await?;
        let (today, now) = (today(), now_ms());
        let due = |due| ChaseFilter {
            due: Some(due),
            ..ChaseFilter::default()
        };
        let filter = InvoiceFilter {
            customer: Some(customer_id),
            ..InvoiceFilter::default()
        };
        Ok(CustomerOverview {
            id: customer_id,
            name: customer.name,
            email: customer.email.map(|email| email.as_str().to_owned()),
            language: customer.language,
            balance: chase::figures(&open, due(Due::Open), today, now),
            overdue: chase::figures(&open, due(Due::Overdue), today, now),
            invoices: invoices::list(&self.db, organisation, &filter, today, now).await?,
            payments: customer_facts::payments(&self.db, organisation, customer_id).await?,
            activity: customer_facts::activity(&self.db, organisation, customer_id).await?,
        })
    }

    /// The customer's statement of open items as a PDF, in their language,
    /// with its file name.
    pub async fn customer_statement(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<(String, Vec<u8>), ServerError> {
        let organisation = user.organisation;
        let customer = customers::get(&self.db, organisation, customer_id).await?;
        let scope = Scope {
            customer_id: Some(customer_id),
            ..Scope::default()
        };
        let mut open = open_invoices(&self.db, organisation, scope).await?;
        open.sort_by_key(|invoice| (invoice.issue_date, invoice.id));
        let date = today();
        let statement = Statement {
            language: customer.language,
            from: user.organisation_name.clone(),
            customer: Party {
                name: customer.name,
                address: customer.address,
                tax_id: customer.tax_id,
            },
            date,
            items: open
                .into_iter()
                .map(|invoice| StatementItem {
                    number: invoice.number,
                    issue_date: invoice.issue_date,
                    due_date: invoice.due_date,
                    total: invoice.total,
                    settled: invoice::Money::new(
                        invoice.total.minor - invoice.amount_due.minor,
                        invoice.total.currency,
                    ),
                    balance: invoice.amount_due,
                })
                .collect(),
        };
        let file_name = format!("statement-{customer_id}-{date}.pdf");
        let pdf = tokio::task::spawn_blocking(move || invoice::pdf::render_statement(&statement))
            .await
            .map_err(|error| ServerError::Pdf(error.to_string()))?;
        Ok((file_name, pdf))
    }
}
