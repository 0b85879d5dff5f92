//! A small SMTP server on loopback that keeps what it receives and can be
//! told to misbehave as real servers do: stop listening (down), answer
//! `421` (busy, try later), or refuse a mailbox with `550`.
//!
//! Just enough SMTP for lettre: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
//!
//! Invio's own emails about accounts (from "Invio": address confirmation,
//! password reset) are kept apart from the stores' emails (a store's
//! requests to confirm its copy addresses included), which the delivery
//! tests count: `account_emails`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mail_parser::{Message, MessageParser, MimeHeaders};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    /// The message as sent, headers and body, dot-unstuffed.
    pub data: String,
}

impl Received {
    fn parsed(&self) -> Message<'_> {
        MessageParser::default()
            .parse(self.data.as_bytes())
            .expect("a MIME message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The plain-text alternative, decoded.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|text| text.into_owned())
            .unwrap_or_default()
    }

    /// The HTML alternative, decoded.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|html| html.into_owned())
            .unwrap_or_default()
    }

    /// A header's value as sent (`Message-ID`, `Content-Type`…).
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed()
            .header_raw(name)
            .map(|value| value.trim().to_owned())
    }

    /// The display name and address of `From` or `Reply-To`.
    pub fn mailbox(&self, header: &str) -> Option<(Option<String>, String)> {
        let message = self.parsed();
        let address = match header {
            "From" => message.from(),
            "Reply-To" => message.reply_to(),
            other => panic!("no mailbox header {other}"),
        }?;
        let first = address.first()?;
        Some((
            first.name().map(str::to_owned),
            first.address().unwrap_or_default().to_owned(),
        ))
    }

    /// Each attachment's file name, MIME type and size in bytes.
    pub fn attachments(&self) -> Vec<(String, String, usize)> {
        self.parsed()
            .attachments()
            .map(|part| {
                let mime = part
                    .content_type()
                    .map(|kind| format!("{}/{}", kind.ctype(), kind.subtype().unwrap_or_default()))
                    .unwrap_or_default();
                (
                    part.attachment_name().unwrap_or_default().to_owned(),
                    mime,
                    part.contents().len(),
                )
            })
            .collect()
    }

    /// Every customer-link token in the text part, in order of appearance.
    pub fn link_tokens(&self, edge_url: &str) -> Vec<String> {
        let marker = format!("{edge_url}/i/");
        self.text()
            .split(marker.as_str())
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect()
            })
            .collect()
    }
}

#[derive(Default)]
struct Behaviour {
    received: Mutex<Vec<Received>>,
    account_emails: Mutex<Vec<Received>>,
    /// Recipients answered `550` at RCPT TO.
    refused: Mutex<Vec<String>>,
    /// How many more transactions are answered `421` at MAIL FROM.
    busy_for: AtomicUsize,
    /// Every MAIL FROM seen, accepted or not.
    transactions: AtomicUsize,
    /// How long the reply to a message's data waits after the message is
    /// kept: a sender that dies meanwhile has had it delivered, unconfirmed.
    reply_delay_ms: AtomicU64,
}

/// The sink and the port it listens on (kept across a stop and a start).
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    behaviour: Arc<Behaviour>,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let sink = SmtpSink {
            port,
            behaviour: Arc::default(),
            server: Arc::default(),
        };
        sink.serve(listener);
        sink
    }

    /// A port where nothing listens, as an SMTP server that is down.
    pub fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    }

    fn serve(&self, listener: TcpListener) {
        let behaviour = self.behaviour.clone();
        let task = tokio::spawn(async move {
            // Connections live in this set, so stopping the server drops them.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve_connection(stream, behaviour.clone()));
            }
        });
        *self.server.lock().expect("lock") = Some(task);
    }

    /// Stops listening and drops every open connection: the server is down.
    pub async fn stop(&self) {
        let task = self.server.lock().expect("lock").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the same port again");
        self.serve(listener);
    }

    /// Answers `550` to this recipient from now on.
    pub fn refuse(&self, address: &str) {
        self.behaviour
            .refused
            .lock()
            .expect("lock")
            .push(address.to_ascii_lowercase());
    }

    /// Answers `421` to the next `transactions` messages.
    pub fn busy_for(&self, transactions: usize) {
        self.behaviour
            .busy_for
            .store(transactions, Ordering::SeqCst);
    }

    /// Waits this long before confirming each message it has kept.
    pub fn delay_replies(&self, delay: std::time::Duration) {
        self.behaviour
            .reply_delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// How many distinct messages arrived (by Message-ID), and how many
    /// arrived more than once.
    pub fn distinct_and_doubled(&self) -> (usize, usize) {
        let received = self.received();
        let distinct: std::collections::HashSet<String> = received
            .iter()
            .map(|message| message.header("Message-ID").unwrap_or_default())
            .collect();
        (distinct.len(), received.len() - distinct.len())
    }

    pub fn received(&self) -> Vec<Received> {
        self.behaviour.received.lock().expect("lock").clone()
    }

    /// Invio's own emails about accounts to `address`, oldest first.
    pub fn account_emails_to(&self, address: &str) -> Vec<Received> {
        self.behaviour
            .account_emails
            .lock()
            .expect("lock")
            .iter()
            .filter(|message| message.recipients.iter().any(|to| to == address))
            .cloned()
            .collect()
    }

    /// The messages received for `address`.
    pub fn received_by(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|message| message.recipients.iter().any(|to| to == address))
            .collect()
    }

    /// How many transactions were started, accepted or not.
    pub fn transactions(&self) -> usize {
        // Invio's account emails (sign-up's confirmation) are not the stores'.
        self.behaviour.transactions.load(Ordering::SeqCst)
            - self.behaviour.account_emails.lock().expect("lock").len()
    }
}

async fn serve_connection(stream: TcpStream, behaviour: Arc<Behaviour>) {
    // Replies go out at once, as a real server's do, not after a delayed ACK.
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut recipients = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: String = if command.starts_with("EHLO") || command.starts_with("HELO") {
            "250 sink\r\n".into()
        } else if command.starts_with("MAIL FROM:") {
            behaviour.transactions.fetch_add(1, Ordering::SeqCst);
            recipients.clear();
            let busy = behaviour
                .busy_for
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_ok();
            if busy {
                let _ = write
                    .write_all(b"421 4.3.2 sink busy, try again later\r\n")
                    .await;
                // 421 closes the transmission channel.
                return;
            }
            "250 OK\r\n".into()
        } else if command.starts_with("RCPT TO:") {
            let address = line[8..].trim().trim_matches(['<', '>']).to_owned();
            let refused = behaviour
                .refused
                .lock()
                .expect("lock")
                .contains(&address.to_ascii_lowercase());
            if refused {
                format!("550 5.1.1 <{address}>: mailbox unavailable\r\n")
            } else {
                recipients.push(address);
                "250 OK\r\n".into()
            }
        } else if command.starts_with("DATA") {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            let mut complete = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    complete = true;
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            // A client gone before the final dot (a killed server) sent no
            // message: a real SMTP server discards what it had.
            if !complete {
                return;
            }
            let message = Received {
                recipients: std::mem::take(&mut recipients),
                data,
            };
            // A store's request to confirm a copy or failure address is
            // part of its sending, which the delivery tests count.
            let about_an_account = message
                .mailbox("From")
                .is_some_and(|(name, _)| name.as_deref() == Some("Invio"))
                && !message.text().contains("/confirm-recipient/");
            let kept = if about_an_account {
                &behaviour.account_emails
            } else {
                &behaviour.received
            };
            kept.lock().expect("lock").push(message);
            let delay = behaviour.reply_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            "250 2.0.0 queued\r\n".into()
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            "250 OK\r\n".into()
        };
        let _ = write.write_all(reply.as_bytes()).await;
    }
}
