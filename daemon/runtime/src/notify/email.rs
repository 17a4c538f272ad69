//! E-mail over SMTP with `lettre` (rustls, no second TLS stack): plain for a trusted relay,
//! STARTTLS (required, not opportunistic) or TLS from the first byte, with authentication.
//! The password is read from its secret at every attempt, so a rotated file is picked up.

use driftvakt_config::model::{EmailSettings, SmtpSecurity};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio_util::sync::CancellationToken;

use crate::alarm::service::{AlarmHandle, Channel};
use crate::notify::render::Email;

/// Sends e-mails with the configured SMTP server.
#[derive(Debug, Clone)]
pub struct EmailSender {
    settings: EmailSettings,
}

impl EmailSender {
    /// A sender for `settings`.
    pub fn new(settings: EmailSettings) -> EmailSender {
        EmailSender { settings }
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let s = &self.settings;
        let tls = |s: &EmailSettings| -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(ca) = &s.ca_file {
                let pem = std::fs::read(ca).map_err(|e| format!("cannot read ca_file {}: {e}", ca.display()))?;
                b = b.add_root_certificate(Certificate::from_pem(&pem).map_err(|e| format!("ca_file {}: {e}", ca.display()))?);
            }
            b.build_rustls().map_err(|e| format!("TLS settings: {e}"))
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone()).port(s.port).timeout(Some(s.timeout));
        b = match s.security {
            SmtpSecurity::None => b.tls(Tls::None),
            SmtpSecurity::StartTls => b.tls(Tls::Required(tls(s)?)),
            SmtpSecurity::Tls => b.tls(Tls::Wrapper(tls(s)?)),
        };
        if let (Some(user), Some(secret)) = (&s.username, &s.password) {
            let pass = secret.resolve().map_err(|e| format!("SMTP password: {e}"))?;
            b = b.credentials(Credentials::new(user.clone(), pass));
        }
        Ok(b.build())
    }

    /// Send `email` to every address of `to`; the error names what failed.
    pub async fn send(&self, to: &[String], email: &Email) -> Result<(), String> {
        if to.is_empty() {
            return Err("the recipient group has no e-mail addresses".into());
        }
        let from: Mailbox = self.settings.from.parse().map_err(|e| format!("from address {:?}: {e}", self.settings.from))?;
        let mut m = Message::builder().from(from).subject(email.subject.clone()).header(ContentType::TEXT_PLAIN);
        for addr in to {
            m = m.to(addr.parse::<Mailbox>().map_err(|e| format!("address {addr:?}: {e}"))?);
        }
        let message = m.body(email.body.clone()).map_err(|e| format!("building the message: {e}"))?;
        let transport = self.transport()?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP {}:{}: {e}", self.settings.host, self.settings.port))
    }
}

/// Deliver due e-mails from the alarm outbox until `cancel`.
pub async fn run(handle: AlarmHandle, sender: EmailSender, cancel: CancellationToken) {
    let wake = handle.wake(Channel::Email);
    loop {
        let next = match handle.next_due(Channel::Email).await {
            Ok(n) => n,
            Err(_) => break,
        };
        match next {
            Some(out) => {
                let (email, to) = out.email.unwrap_or_else(|| (Email { subject: String::new(), body: String::new() }, Vec::new()));
                let result = tokio::select! {
                    r = sender.send(&to, &email) => r,
                    _ = cancel.cancelled() => Err("daemon stopping".to_string()),
                };
                if result.is_ok() {
                    tracing::info!(subject = %email.subject, to = %to.join(", "), "e-mail sent");
                }
                handle.attempt(out.row.id, result);
                if cancel.is_cancelled() {
                    break;
                }
            }
            None => {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
                }
            }
        }
    }
}
