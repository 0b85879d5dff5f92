//! What can be wrong with a form field, said in Italian, Spanish and
//! English. Validation returns problems, not sentences, so the admin can show
//! each one in the merchant's language.

use serde::{Deserialize, Serialize};

use crate::Language;

/// A problem with one field of a form, shown beside that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's name, e.g. `email` or `lines[0].quantity`; `invoice`
    /// for a refusal about the whole record.
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }

    pub fn message(&self, language: Language) -> String {
        self.problem.message(language)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
    },
    TooManyLines {
        max: usize,
    },
    InvalidEmail {
        address: String,
    },
    InvalidAddressInList {
        address: String,
    },
    TooManyAddresses {
        max: usize,
    },
    HeaderInjection,
    ChooseLanguage,
    UnknownCurrency,
    /// A store's time zone that is not among those offered.
    UnknownTimeZone {
        name: String,
    },
    ChooseCustomer,
    ChooseStore,
    UnknownCustomer,
    UnknownStore,
    InvalidDate,
    DueBeforeIssue,
    NoLines,
    InvalidQuantity,
    QuantityNotPositive,
    QuantityTooLarge,
    InvalidPrice,
    PriceTooLarge,
    InvalidTaxRate,
    NegativeTotal,
    TotalTooLarge,
    InvalidAmount,
    AmountNotPositive,
    PaymentExceedsDue {
        due_minor: i64,
        currency: crate::Currency,
    },
    NothingDue,
    ChooseMethod,
    ChooseLayout,
    InvalidNumberFormat,
    InvalidReminderSchedule {
        entry: String,
    },
    EmailTaken,
    WrongCredentials,
    TooManyAttempts {
        minutes: u32,
    },
    PasswordTooShort {
        min: usize,
    },
    AutomaticEmailNeedsAddress,
    CustomerHasNoEmail,
    EditedElsewhere,
    NotEditable,
    AlreadyVoid,
    InvoiceIsDraft,
    SendingDisabled,
    NoDueDate,
    LinkUnknown,
    /// A send would take the organisation past its emails for the UTC day;
    /// `left` is what remains of `limit` today.
    DailySendingLimit {
        limit: i64,
        left: i64,
    },
    ConfirmationRecentlySent {
        minutes: u32,
    },
    ConfirmationLimitReached,
    /// The organisation sent all its confirmation requests for the UTC day.
    ConfirmationsUsedToday,
    ConfirmationLinkInvalid,
    UnknownRecipient,
    /// Too many password hashes are running: the sign-in is refused, not queued.
    SignInBusy,
    /// The organisation's owner has not confirmed their email address yet.
    EmailNotConfirmed,
    /// A confirmation or password-reset link that is unknown, used or expired.
    AccountLinkInvalid,
    /// An account email (reset link, confirmation) could not be sent.
    AccountEmailNotSent,
    /// An Italian fiscal identifier or code (`crate::italy`).
    Fiscal(crate::italy::FiscalProblem),
    /// A Spanish identifier or a store's VERI*FACTU data (`crate::spain`).
    Spanish(crate::spain::SpanishProblem),
    /// A rule of the Spanish AEAT that a VERI*FACTU record would break
    /// (`crate::verifactu`).
    Verifactu(crate::verifactu::AeatRule),
    /// A VERI*FACTU correction asked for an invoice whose last answer from
    /// the AEAT is neither a rejection nor an acceptance with errors.
    AeatNothingToCorrect,
    /// A credit note's line credits more than is left of the invoice's line.
    CreditExceedsLine {
        remaining_milli: i64,
    },
    /// The credit notes of an invoice would add up to more than its total.
    CreditExceedsInvoice {
        left_minor: i64,
        currency: crate::Currency,
    },
    /// A credit note with every quantity at zero.
    NothingToCredit,
    /// The invoice's credit notes already take back all of it.
    FullyCredited,
    /// Voiding an invoice that has credit notes.
    HasCreditNotes,
    /// Voiding an invoice a tax authority's channel already carried.
    TransmittedUseCreditNote,
    /// A credit note is corrected by nothing but another invoice.
    CreditNoteOfCreditNote,
    /// A credit note is never paid.
    CreditNoteTakesNoPayment,
    /// A credit note is final: it is neither voided nor credited.
    CreditNoteIsFinal,
    /// A bulk action on more invoices than it takes at once (`crate::bulk`).
    TooManySelected {
        max: usize,
    },
    /// A bulk action with no invoice ticked.
    NothingSelected,
    /// None of the invoices ticked for the ZIP has a PDF (drafts or unknown).
    NoPdfInSelection,
    /// An export period longer than `crate::export::MAX_PERIOD_DAYS`.
    PeriodTooLong {
        max_days: i64,
    },
    /// An export period that ends before it starts.
    PeriodEndsBeforeStart,
}

impl Problem {
    pub fn message(&self, language: Language) -> String {
        use Language::{En, Es, It};
        let pick = |en: &str, it: &str, es: &str| -> String {
            match language {
                En => en.to_owned(),
                It => it.to_owned(),
                Es => es.to_owned(),
            }
        };
        match self {
            Problem::Required => pick("Fill in this field.", "Compila questo campo.", "Rellena este campo."),
            Problem::TooLong { max } => match language {
                En => format!("Use at most {max} characters."),
                It => format!("Usa al massimo {max} caratteri."),
                Es => format!("Usa como máximo {max} caracteres."),
            },
            Problem::TooManyLines { max } => match language {
                En => format!("An invoice has at most {max} lines."),
                It => format!("Una fattura ha al massimo {max} righe."),
                Es => format!("Una factura tiene como máximo {max} líneas."),
            },
            Problem::InvalidEmail { address } => match language {
                En => format!("“{address}” is not a valid email address."),
                It => format!("“{address}” non è un indirizzo email valido."),
                Es => format!("“{address}” no es una dirección de email válida."),
            },
            Problem::InvalidAddressInList { address } => match language {
                En => format!("“{address}” is not a valid email address; separate addresses with ;"),
                It => format!("“{address}” non è un indirizzo email valido; separa gli indirizzi con ;"),
                Es => format!("“{address}” no es una dirección de email válida; separa las direcciones con ;"),
            },
            Problem::TooManyAddresses { max } => match language {
                En => format!("Enter at most {max} addresses."),
                It => format!("Inserisci al massimo {max} indirizzi."),
                Es => format!("Introduce como máximo {max} direcciones."),
            },
            Problem::HeaderInjection => pick(
                "Line breaks are not allowed here.",
                "Qui non sono ammessi a capo.",
                "Aquí no se permiten saltos de línea.",
            ),
            Problem::ChooseLanguage => pick(
                "Choose Italian, Spanish or English.",
                "Scegli italiano, spagnolo o inglese.",
                "Elige italiano, español o inglés.",
            ),
            Problem::UnknownCurrency => pick(
                "Choose one of the currencies offered.",
                "Scegli una delle valute proposte.",
                "Elige una de las monedas ofrecidas.",
            ),
            Problem::UnknownTimeZone { name } => match language {
                En => format!("“{name}” is not a time zone Invio knows. Choose one of those offered."),
                It => format!("“{name}” non è un fuso orario che Invio conosce. Scegline uno tra quelli proposti."),
                Es => format!("“{name}” no es una zona horaria que Invio conozca. Elige una de las ofrecidas."),
            },
            Problem::ChooseCustomer => pick("Choose a customer.", "Scegli un cliente.", "Elige un cliente."),
            Problem::ChooseStore => pick("Choose a store.", "Scegli un negozio.", "Elige una tienda."),
            Problem::UnknownCustomer => pick(
                "This customer does not exist.",
                "Questo cliente non esiste.",
                "Este cliente no existe.",
            ),
            Problem::UnknownStore => pick(
                "This store does not exist.",
                "Questo negozio non esiste.",
                "Esta tienda no existe.",
            ),
            Problem::InvalidDate => pick(
                "Enter a date, e.g. 2026-11-30.",
                "Inserisci una data, es. 2026-11-30.",
                "Introduce una fecha, p. ej. 2026-11-30.",
            ),
            Problem::DueBeforeIssue => pick(
                "The due date cannot be before the issue date.",
                "La scadenza non può precedere la data di emissione.",
                "El vencimiento no puede ser anterior a la fecha de emisión.",
            ),
            Problem::NoLines => pick("Add at least one line.", "Aggiungi almeno una riga.", "Añade al menos una línea."),
            Problem::InvalidQuantity => pick(
                "Enter a quantity, e.g. 1 or 2.5 (up to 3 decimals).",
                "Inserisci una quantità, es. 1 o 2,5 (fino a 3 decimali).",
                "Introduce una cantidad, p. ej. 1 o 2,5 (hasta 3 decimales).",
            ),
            Problem::QuantityNotPositive => pick(
                "The quantity must be more than zero.",
                "La quantità deve essere maggiore di zero.",
                "La cantidad debe ser mayor que cero.",
            ),
            Problem::QuantityTooLarge => pick("The quantity is too large.", "La quantità è troppo grande.", "La cantidad es demasiado grande."),
            Problem::InvalidPrice => pick(
                "Enter a price, e.g. 12.50.",
                "Inserisci un prezzo, es. 12,50.",
                "Introduce un precio, p. ej. 12,50.",
            ),
            Problem::PriceTooLarge => pick("The price is too large.", "Il prezzo è troppo grande.", "El precio es demasiado grande."),
            Problem::InvalidTaxRate => pick(
                "Enter a tax rate between 0 and 100 %, e.g. 22.",
                "Inserisci un'aliquota tra 0 e 100 %, es. 22.",
                "Introduce un tipo entre 0 y 100 %, p. ej. 21.",
            ),
            Problem::NegativeTotal => pick(
                "The invoice total cannot be negative.",
                "Il totale della fattura non può essere negativo.",
                "El total de la factura no puede ser negativo.",
            ),
            Problem::TotalTooLarge => pick(
                "The invoice total is too large.",
                "Il totale della fattura è troppo grande.",
                "El total de la factura es demasiado grande.",
            ),
            Problem::InvalidAmount => pick(
                "Enter an amount, e.g. 120.50.",
                "Inserisci un importo, es. 120,50.",
                "Introduce un importe, p. ej. 120,50.",
            ),
            Problem::AmountNotPositive => pick(
                "The amount must be more than zero.",
                "L'importo deve essere maggiore di zero.",
                "El importe debe ser mayor que cero.",
            ),
            Problem::PaymentExceedsDue { due_minor, currency } => {
                let due = crate::Money::new(*due_minor, *currency).format(language);
                match language {
                    En => format!("The amount due is {due}: the payment cannot be larger."),
                    It => format!("Restano da pagare {due}: il pagamento non può superarli."),
                    Es => format!("Quedan pendientes {due}: el pago no puede superarlos."),
                }
            }
            Problem::NothingDue => pick(
                "Nothing is left to pay on this invoice.",
                "Non resta nulla da pagare su questa fattura.",
                "No queda nada por pagar en esta factura.",
            ),
            Problem::ChooseMethod => pick("Choose a payment method.", "Scegli un metodo di pagamento.", "Elige un método de pago."),
            Problem::ChooseLayout => pick("Choose a layout.", "Scegli un formato.", "Elige un formato."),
            Problem::InvalidNumberFormat => pick(
                "Use one {N…} for the number (e.g. {NNNN}), optionally {YYYY} or {YY}, and at most 30 characters.",
                "Usa un solo {N…} per il numero (es. {NNNN}), eventualmente {YYYY} o {YY}, e al massimo 30 caratteri.",
                "Usa un solo {N…} para el número (p. ej. {NNNN}), opcionalmente {YYYY} o {YY}, y como máximo 30 caracteres.",
            ),
            Problem::InvalidReminderSchedule { entry } => match language {
                En => format!("“{entry}” is not a number of days between -60 and 365."),
                It => format!("“{entry}” non è un numero di giorni tra -60 e 365."),
                Es => format!("“{entry}” no es un número de días entre -60 y 365."),
            },
            Problem::EmailTaken => pick(
                "An account with this email already exists.",
                "Esiste già un account con questa email.",
                "Ya existe una cuenta con este email.",
            ),
            Problem::WrongCredentials => pick(
                "The email or the password is not right.",
                "L'email o la password non sono corrette.",
                "El email o la contraseña no son correctos.",
            ),
            Problem::TooManyAttempts { minutes } => match language {
                En => format!("Too many failed attempts. Try again in {minutes} minutes."),
                It => format!("Troppi tentativi falliti. Riprova tra {minutes} minuti."),
                Es => format!("Demasiados intentos fallidos. Inténtalo de nuevo en {minutes} minutos."),
            },
            Problem::PasswordTooShort { min } => match language {
                En => format!("Use at least {min} characters."),
                It => format!("Usa almeno {min} caratteri."),
                Es => format!("Usa al menos {min} caracteres."),
            },
            Problem::SendingDisabled => pick(
                "Sending by email is turned off for this store. Turn it on in the store's settings.",
                "L'invio via email è disattivato per questo negozio. Attivalo nelle impostazioni del negozio.",
                "El envío por email está desactivado para esta tienda. Actívalo en los ajustes de la tienda.",
            ),
            Problem::NoDueDate => pick(
                "This invoice has no due date, so there is nothing to remind.",
                "Questa fattura non ha una scadenza, quindi non c'è nulla da sollecitare.",
                "Esta factura no tiene vencimiento, así que no hay nada que recordar.",
            ),
            Problem::LinkUnknown => pick(
                "This link does not belong to this invoice.",
                "Questo link non appartiene a questa fattura.",
                "Este enlace no pertenece a esta factura.",
            ),
            Problem::DailySendingLimit { limit, left: 0 } => match language {
                En => format!("Today's sending limit ({limit} emails) is reached; sending resumes tomorrow (UTC)."),
                It => format!("Il limite di invio di oggi ({limit} email) è raggiunto; gli invii riprendono domani (UTC)."),
                Es => format!("Se ha alcanzado el límite de envío de hoy ({limit} emails); los envíos se reanudan mañana (UTC)."),
            },
            Problem::DailySendingLimit { limit, left } => match language {
                En => format!("This send has more emails than the {left} left of today's limit ({limit}). Send to fewer addresses, or tomorrow (UTC)."),
                It => format!("Questo invio ha più email delle {left} rimaste nel limite di oggi ({limit}). Invia a meno indirizzi, o domani (UTC)."),
                Es => format!("Este envío tiene más emails que los {left} que quedan del límite de hoy ({limit}). Envía a menos direcciones, o mañana (UTC)."),
            },
            Problem::ConfirmationRecentlySent { minutes } => match language {
                En => format!("A confirmation request went to this address recently. Ask again in {minutes} minutes."),
                It => format!("Una richiesta di conferma è stata inviata a questo indirizzo da poco. Riprova tra {minutes} minuti."),
                Es => format!("Se envió hace poco una solicitud de confirmación a esta dirección. Vuelve a intentarlo en {minutes} minutos."),
            },
            Problem::ConfirmationLimitReached => pick(
                "This address has had all the confirmation requests it can get. Ask its owner to use the last one.",
                "Questo indirizzo ha già ricevuto tutte le richieste di conferma possibili. Chiedi al destinatario di usare l'ultima.",
                "Esta dirección ya recibió todas las solicitudes de confirmación posibles. Pide a su titular que use la última.",
            ),
            Problem::ConfirmationsUsedToday => pick(
                "Today's confirmation requests are used up. Send again tomorrow (UTC).",
                "Le richieste di conferma di oggi sono esaurite. Invia di nuovo domani (UTC).",
                "Las solicitudes de confirmación de hoy se han agotado. Vuelve a enviar mañana (UTC).",
            ),
            Problem::ConfirmationLinkInvalid => pick(
                "This confirmation link is not valid or has expired. Ask the business for a new one.",
                "Questo link di conferma non è valido o è scaduto. Chiedine uno nuovo all'attività.",
                "Este enlace de confirmación no es válido o ha caducado. Pide uno nuevo al negocio.",
            ),
            Problem::UnknownRecipient => pick(
                "This address is not in this store's copies or failure notices.",
                "Questo indirizzo non è tra le copie o gli avvisi di errore di questo negozio.",
                "Esta dirección no está entre las copias o los avisos de error de esta tienda.",
            ),
            Problem::AutomaticEmailNeedsAddress => pick(
                "Add an email address to send invoices automatically.",
                "Aggiungi un indirizzo email per inviare le fatture automaticamente.",
                "Añade una dirección de email para enviar las facturas automáticamente.",
            ),
            Problem::CustomerHasNoEmail => pick(
                "This customer has no email address. Add one to the customer first.",
                "Questo cliente non ha un indirizzo email. Aggiungilo prima al cliente.",
                "Este cliente no tiene dirección de email. Añádela primero al cliente.",
            ),
            Problem::EditedElsewhere => pick(
                "Someone saved this draft after you opened it. Reload to see their changes.",
                "Qualcuno ha salvato questa bozza dopo che l'hai aperta. Ricarica per vedere le modifiche.",
                "Alguien guardó este borrador después de que lo abrieras. Recarga para ver los cambios.",
            ),
            Problem::NotEditable => pick(
                "This invoice is issued and can no longer be edited. Duplicate it to write a new one.",
                "Questa fattura è emessa e non si può più modificare. Duplicala per scriverne una nuova.",
                "Esta factura está emitida y ya no se puede editar. Duplícala para escribir una nueva.",
            ),
            Problem::AlreadyVoid => pick("This invoice is void.", "Questa fattura è annullata.", "Esta factura está anulada."),
            Problem::InvoiceIsDraft => pick(
                "Issue the invoice first.",
                "Prima emetti la fattura.",
                "Primero emite la factura.",
            ),
            Problem::SignInBusy => pick(
                "Too many sign-ins right now; try again in a moment.",
                "Troppi accessi in questo momento; riprova tra poco.",
                "Demasiados inicios de sesión en este momento; inténtalo de nuevo en un momento.",
            ),
            Problem::EmailNotConfirmed => pick(
                "Confirm the organisation's email address before sending invoices: the owner has to open the link we emailed when the account was created.",
                "Conferma l'indirizzo email dell'organizzazione prima di inviare fatture: il titolare deve aprire il link che abbiamo inviato alla creazione dell'account.",
                "Confirma la dirección de email de la organización antes de enviar facturas: el titular debe abrir el enlace que enviamos al crear la cuenta.",
            ),
            Problem::AccountLinkInvalid => pick(
                "This link has expired or was already used. Ask for a new one.",
                "Questo link è scaduto o è già stato usato. Richiedine uno nuovo.",
                "Este enlace ha caducado o ya se ha usado. Pide uno nuevo.",
            ),
            Problem::AccountEmailNotSent => pick(
                "We could not send the email. Please try again in a moment.",
                "Non siamo riusciti a inviare l'email. Riprova tra poco.",
                "No hemos podido enviar el email. Inténtalo de nuevo en un momento.",
            ),
            Problem::Fiscal(problem) => problem.message(language).to_owned(),
            Problem::Spanish(problem) => problem.message(language).to_owned(),
            Problem::Verifactu(rule) => rule.message(language),
            Problem::AeatNothingToCorrect => pick(
                "Only an invoice the AEAT rejected or accepted with errors can be corrected and sent again; if the invoice itself is wrong, issue a credit note.",
                "Si può correggere e rinviare solo una fattura che l'AEAT ha rifiutato o accettato con errori; se è sbagliata la fattura stessa, emetti una nota di credito.",
                "Solo se puede subsanar y reenviar una factura que la AEAT rechazó o aceptó con errores; si la factura en sí es incorrecta, expide una factura rectificativa.",
            ),
            Problem::CreditExceedsLine { remaining_milli } => {
                let left = crate::document::format_quantity(*remaining_milli, language);
                match language {
                    En => format!("Only {left} of this line is left to credit."),
                    It => format!("Di questa riga restano da stornare solo {left}."),
                    Es => format!("De esta línea solo quedan {left} por abonar."),
                }
            }
            Problem::CreditExceedsInvoice { left_minor, currency } => {
                let left = crate::Money::new(*left_minor, *currency).format(language);
                match language {
                    En => format!("Only {left} of this invoice is left to credit: credit notes cannot add up to more than its total."),
                    It => format!("Di questa fattura restano da stornare solo {left}: le note di credito non possono superarne il totale."),
                    Es => format!("De esta factura solo quedan {left} por abonar: las notas de crédito no pueden superar su total."),
                }
            }
            Problem::NothingToCredit => pick(
                "Enter a quantity to credit on at least one line.",
                "Inserisci una quantità da stornare in almeno una riga.",
                "Introduce una cantidad a abonar en al menos una línea.",
            ),
            Problem::FullyCredited => pick(
                "This invoice is already fully credited.",
                "Questa fattura è già stata stornata per intero.",
                "Esta factura ya está abonada por completo.",
            ),
            Problem::HasCreditNotes => pick(
                "This invoice has credit notes, so it cannot be voided. Issue a credit note for what is left instead.",
                "Questa fattura ha note di credito, quindi non si può annullare. Emetti invece una nota di credito per il resto.",
                "Esta factura tiene notas de crédito, así que no se puede anular. Emite en su lugar una nota de crédito por el resto.",
            ),
            Problem::TransmittedUseCreditNote => pick(
                "This invoice was transmitted to the tax authority, so it cannot be voided. Issue a credit note instead.",
                "Questa fattura è stata trasmessa all'amministrazione fiscale, quindi non si può annullare. Emetti invece una nota di credito.",
                "Esta factura se transmitió a la administración tributaria, así que no se puede anular. Emite en su lugar una nota de crédito.",
            ),
            Problem::CreditNoteOfCreditNote => pick(
                "A credit note corrects an invoice, not another credit note.",
                "Una nota di credito rettifica una fattura, non un'altra nota di credito.",
                "Una nota de crédito rectifica una factura, no otra nota de crédito.",
            ),
            Problem::CreditNoteTakesNoPayment => pick(
                "A credit note takes no payments: record them on the invoice.",
                "Una nota di credito non riceve pagamenti: registrali sulla fattura.",
                "Una nota de crédito no recibe pagos: regístralos en la factura.",
            ),
            Problem::CreditNoteIsFinal => pick(
                "A credit note is final and cannot be voided. Issue a new invoice if it was a mistake.",
                "Una nota di credito è definitiva e non si può annullare. Se era un errore, emetti una nuova fattura.",
                "Una nota de crédito es definitiva y no se puede anular. Si fue un error, emite una nueva factura.",
            ),
            Problem::TooManySelected { max } => match language {
                En => format!("Select at most {max} invoices at once."),
                It => format!("Seleziona al massimo {max} fatture alla volta."),
                Es => format!("Selecciona como máximo {max} facturas a la vez."),
            },
            Problem::NothingSelected => pick(
                "Select at least one invoice.",
                "Seleziona almeno una fattura.",
                "Selecciona al menos una factura.",
            ),
            Problem::NoPdfInSelection => pick(
                "None of the selected invoices has a PDF yet: drafts have none.",
                "Nessuna delle fatture selezionate ha ancora un PDF: le bozze non ne hanno.",
                "Ninguna de las facturas seleccionadas tiene PDF todavía: los borradores no tienen.",
            ),
            Problem::PeriodTooLong { max_days } => match language {
                En => format!("Export at most {max_days} days at once."),
                It => format!("Esporta al massimo {max_days} giorni alla volta."),
                Es => format!("Exporta como máximo {max_days} días a la vez."),
            },
            Problem::PeriodEndsBeforeStart => pick(
                "The period ends before it starts.",
                "Il periodo finisce prima di iniziare.",
                "El periodo termina antes de empezar.",
            ),
        }
    }
}

/// Checks a required single-line text: trimmed, not empty, without line
/// breaks or control characters (names end up in email headers), not too long.
pub(crate) fn required_text(
    field: &str,
    text: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.push(FieldError::new(field, Problem::Required));
    } else if text.chars().any(char::is_control) {
        errors.push(FieldError::new(field, Problem::HeaderInjection));
    } else if text.chars().count() > max {
        errors.push(FieldError::new(field, Problem::TooLong { max }));
    }
    text.to_owned()
}

/// Checks an optional text: trimmed, None when empty, not too long.
pub(crate) fn optional_text(
    field: &str,
    text: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let text = text.trim();
    if text.chars().any(char::is_control) {
        errors.push(FieldError::new(field, Problem::HeaderInjection));
    } else if text.chars().count() > max {
        errors.push(FieldError::new(field, Problem::TooLong { max }));
    }
    (!text.is_empty()).then(|| text.to_owned())
}

/// Splits an address block into at most `max_lines` trimmed, non-empty lines.
pub(crate) fn address_lines(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if lines.len() > 6 || lines.iter().any(|line| line.chars().count() > 100) {
        errors.push(FieldError::new(field, Problem::TooLong { max: 600 }));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sending_limit_says_what_is_left_and_when_sending_resumes() {
        let reached = Problem::DailySendingLimit {
            limit: 200,
            left: 0,
        };
        assert_eq!(
            reached.message(Language::En),
            "Today's sending limit (200 emails) is reached; sending resumes tomorrow (UTC)."
        );
        assert!(reached.message(Language::It).contains("200 email"));
        assert!(reached.message(Language::Es).contains("200 emails"));
        let too_big = Problem::DailySendingLimit {
            limit: 200,
            left: 3,
        };
        for language in Language::ALL {
            assert!(too_big.message(language).contains('3'));
            assert!(too_big.message(language).contains("UTC"));
        }
    }

    #[test]
    fn every_problem_is_said_in_each_language() {
        let problem = Problem::TooManyAttempts { minutes: 15 };
        assert_eq!(
            problem.message(Language::It),
            "Troppi tentativi falliti. Riprova tra 15 minuti."
        );
        assert!(problem.message(Language::Es).contains("15 minutos"));
        assert!(problem.message(Language::En).contains("15 minutes"));
    }

    #[test]
    fn single_line_fields_refuse_line_breaks() {
        let mut errors = Vec::new();
        required_text("name", "Shop\r\nBcc: x@y.z", 200, &mut errors);
        optional_text("tax_id", "IT1\nIT2", 40, &mut errors);
        optional_text("reference", "CRO\t1", 40, &mut errors);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors
            .iter()
            .all(|error| error.problem == Problem::HeaderInjection));
    }

    #[test]
    fn the_amount_due_is_formatted_in_the_merchants_language() {
        let problem = Problem::PaymentExceedsDue {
            due_minor: 123_456,
            currency: crate::Currency::Eur,
        };
        assert!(problem.message(Language::It).contains("1.234,56\u{a0}€"));
        assert!(problem.message(Language::En).contains("€1,234.56"));
    }
}
