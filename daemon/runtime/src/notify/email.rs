//! E-mail over SMTP with `lettre` (rustls, no second TLS stack): plain for a trusted relay,
//! STARTTLS (required, not opportunistic) or TLS from the first byte, with authentication.
//! The password is read from its secret at every attempt, so a rotated file is picked up.
//! As a [`Notifier`] it carries the plan's incident e-mails, rendered when they fall due.

use std::collections::HashMap;
use std::sync::Arc;

use driftvakt_config::model::{Config, EmailSettings, Language, RecipientGroup, SmtpSecurity};
use driftvakt_domain::plan::{EmailKind, IncidentView};
use jiff::tz::TimeZone;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::render::{self, Email};
use super::{Letter, Notifier, Queue, deliver};

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

/// The notifier kind's key.
pub const KEY: &str = "email";

/// The e-mail notifier, when `config` turns it on.
pub fn configured(config: &Config) -> Option<Arc<dyn Notifier>> {
    let settings = config.notify.email.clone().filter(|e| e.enabled)?;
    Some(Arc::new(EmailNotifier {
        sender: EmailSender::new(settings),
        site: config.site.name.clone(),
        tz: TimeZone::get(&config.site.timezone).unwrap_or(TimeZone::UTC),
        groups: config.notify.groups.iter().map(|g| (g.id.clone(), g.clone())).collect(),
    }))
}

/// The plan's incident e-mails to recipient groups, in each group's language.
struct EmailNotifier {
    sender: EmailSender,
    site: String,
    tz: TimeZone,
    groups: HashMap<String, RecipientGroup>,
}

impl Notifier for EmailNotifier {
    fn key(&self) -> &'static str {
        KEY
    }

    fn carries_plan(&self) -> bool {
        true
    }

    fn render(&self, target: &str, kind: &str, incident: Option<&IncidentView<'_>>, now_ms: i64) -> Result<Letter, String> {
        let (Some(inc), Some(kind)) = (incident, EmailKind::from_key(kind)) else {
            return Err("e-post utan innehåll (händelsen finns inte längre)".to_string());
        };
        let group = self.groups.get(target);
        let lang = group.map_or(Language::Sv, |g| g.language);
        let to = group.map(|g| g.email.clone()).unwrap_or_default();
        let Email { subject, body } = render::email(kind, inc.id, inc.opened_ms, &inc.alarms, &self.site, &self.tz, lang, now_ms);
        Ok(Letter { subject, body, to })
    }

    fn describe(&self, target: &str, kind: &str) -> String {
        let to = self.groups.get(target).map(|g| g.email.join(", ")).unwrap_or_default();
        format!("e-post ({kind}) till {target} <{to}>")
    }

    fn spawn(&self, queue: Queue, cancel: CancellationToken) -> JoinHandle<()> {
        let sender = self.sender.clone();
        tracing::info!(host = %sender.settings.host, port = sender.settings.port, "e-mail notification on");
        tokio::spawn(async move {
            let sender = &sender;
            deliver::one_at_a_time(queue, cancel, |out| async move {
                let letter = out.letter.unwrap_or_default();
                let email = Email { subject: letter.subject, body: letter.body };
                let result = sender.send(&letter.to, &email).await;
                if result.is_ok() {
                    tracing::info!(subject = %email.subject, to = %letter.to.join(", "), "e-mail sent");
                }
                result
            })
            .await;
        })
    }
}
