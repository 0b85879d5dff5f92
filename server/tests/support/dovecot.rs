//! A throw-away Dovecot (Debian's `dovecot-imapd`) for the tests, as
//! `.ci/postgres.sh` makes a throw-away Postgres: its own folder with a
//! minimal standalone configuration (IMAP on a free loopback port, plain
//! text allowed there only, users from a passwd-file, Maildir homes), run in
//! the foreground and stopped (by its own process id) when dropped. As root
//! its processes run as Debian's `dovecot` and `dovenull` users, since
//! Dovecot's login process refuses root; otherwise all as the current user.
//!
//! It also plays SdI and the PEC provider: [`Dovecot::append`] puts a
//! message in a mailbox, [`pec_envelope`] wraps a receipt file as a PEC
//! provider delivers it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use server::db::random_id;
use tokio::net::TcpStream;

pub struct Dovecot {
    pub port: u16,
    dir: PathBuf,
    master: Child,
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl Dovecot {
    /// Starts a Dovecot whose users are `users` (name, password); each has
    /// an empty INBOX.
    pub async fn start(users: &[(&str, &str)]) -> Self {
        // Not under TMPDIR: the test wrapper's scratch folder is private to
        // its user, and Dovecot's unprivileged processes must reach this one.
        let dir = PathBuf::from(format!("/tmp/invio-dovecot-{}", &random_id()[..8]));
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot folders");
        }
        let passwd: String = users
            .iter()
            .map(|(name, password)| format!("{name}:{{PLAIN}}{password}::::::\n"))
            .collect();
        std::fs::write(dir.join("passwd"), passwd).expect("passwd-file");
        let root = output("id", &["-u"]) == "0";
        let (internal_user, login_user, mail_user) = if root {
            (
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "dovecot".to_owned(),
            )
        } else {
            let me = output("id", &["-un"]);
            (me.clone(), me.clone(), me)
        };
        let mail_group = output("id", &["-gn", &mail_user]);
        if root {
            // The unprivileged processes must reach their folders.
            Command::new("chmod")
                .args(["755", dir.to_str().unwrap_or_default()])
                .status()
                .expect("chmod");
            Command::new("chown")
                .args([
                    "-R",
                    &format!("{mail_user}:{mail_group}"),
                    dir.join("home").to_str().unwrap_or_default(),
                ])
                .status()
                .expect("chown");
        }
        let port = free_port();
        let dir_text = dir.display();
        let config = format!(
            r#"base_dir = {dir_text}/run
state_dir = {dir_text}/state
log_path = {dir_text}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir_text}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={dir_text}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"#
        );
        std::fs::write(dir.join("dovecot.conf"), config).expect("dovecot.conf");
        let binary = if std::path::Path::new("/usr/sbin/dovecot").exists() {
            "/usr/sbin/dovecot"
        } else {
            "dovecot"
        };
        let master = Command::new(binary)
            .args(["-F", "-c"])
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Dovecot (Debian's dovecot-imapd; `make setup` installs it)");
        let dovecot = Dovecot { port, dir, master };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return dovecot;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "Dovecot did not start: {}",
            std::fs::read_to_string(dovecot.dir.join("dovecot.log")).unwrap_or_default()
        );
    }

    /// Puts `raw` (an RFC 5322 message) in `user`'s INBOX, unread.
    pub async fn append(&self, user: &str, password: &str, raw: &[u8]) {
        let stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to Dovecot");
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.expect("greeting");
        let mut session = client
            .login(user, password)
            .await
            .map_err(|(error, _)| error)
            .expect("signed in to Dovecot");
        session
            .append("INBOX", None, None, raw)
            .await
            .expect("appended");
        session.logout().await.expect("logged out");
    }

    /// How many of `user`'s messages are still unread.
    pub async fn unseen(&self, user: &str, password: &str) -> usize {
        let stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to Dovecot");
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.expect("greeting");
        let mut session = client
            .login(user, password)
            .await
            .map_err(|(error, _)| error)
            .expect("signed in to Dovecot");
        session.select("INBOX").await.expect("INBOX");
        let unseen = session.search("UNSEEN").await.expect("search").len();
        session.logout().await.expect("logged out");
        unseen
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop the processes it started.
        let _ = Command::new("kill")
            .args(["-TERM", &self.master.id().to_string()])
            .status();
        for _ in 0..50 {
            if matches!(self.master.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A receipt file as it reaches a PEC mailbox: SdI's message (from its PEC
/// address, the receipt attached under `file_name`) wrapped by the provider
/// as `postacert.eml`, beside `daticert.xml`, in a signed multipart (the
/// signature's bytes are a stand-in: Invio does not verify PEC signatures).
pub fn pec_envelope(file_name: &str, xml: &str) -> Vec<u8> {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    let encoded: Vec<String> = encoded
        .as_bytes()
        .chunks(76)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    let encoded = encoded.join("\r\n");
    let id = random_id();
    let original = format!(
        "From: sdi01@pec.fatturapa.it\r\nTo: bottega@pec.example.it\r\nSubject: {file_name}\r\nMessage-ID: <{id}@pec.fatturapa.it>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sdi-{id}\"\r\n\r\n--sdi-{id}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nNotifica del Sistema di Interscambio\r\n--sdi-{id}\r\nContent-Type: application/xml; name=\"{file_name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{file_name}\"\r\n\r\n{encoded}\r\n--sdi-{id}--\r\n"
    );
    let daticert = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><postacert tipo=\"posta-certificata\" errore=\"nessuno\"><intestazione><mittente>sdi01@pec.fatturapa.it</mittente></intestazione></postacert>";
    format!(
        "From: \"Per conto di: sdi01@pec.fatturapa.it\" <posta-certificata@pec.example.it>\r\nTo: bottega@pec.example.it\r\nSubject: POSTA CERTIFICATA: {file_name}\r\nMessage-ID: <opec.{id}@pec.example.it>\r\nX-Trasporto: posta-certificata\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"signed-{id}\"\r\n\r\n--signed-{id}\r\nContent-Type: multipart/mixed; boundary=\"pec-{id}\"\r\n\r\n--pec-{id}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nMessaggio di posta certificata\r\n--pec-{id}\r\nContent-Type: application/xml; name=\"daticert.xml\"\r\nContent-Disposition: inline; filename=\"daticert.xml\"\r\n\r\n{daticert}\r\n--pec-{id}\r\nContent-Type: message/rfc822; name=\"postacert.eml\"\r\nContent-Disposition: inline; filename=\"postacert.eml\"\r\n\r\n{original}\r\n--pec-{id}--\r\n\r\n--signed-{id}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==\r\n--signed-{id}--\r\n"
    )
    .into_bytes()
}
