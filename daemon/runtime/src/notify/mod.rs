//! Notification: which e-mails to send and when (`driftvakt_domain::plan`, pure), their texts
//! ([`render`]), and the notifiers that deliver the alarm actor's outbox — e-mail over SMTP
//! ([`email`]) and MQTT ([`mqtt_out`]). A notifier takes one due notification at a time,
//! delivers it, and reports the outcome; a failure is retried with backoff and journalled,
//! never dropped.

pub mod email;
pub mod mqtt_out;
pub mod render;
