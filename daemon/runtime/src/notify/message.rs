//! What notifiers send: a [`Message`] about an alarm change, due at once, and a [`Letter`] — a
//! plan message rendered when it fell due.

/// A notification about one alarm change, due at once (it concerns the change's alarm and
/// incident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where it goes (MQTT topic).
    pub target: String,
    /// Its kind keyword (`state`, `event`).
    pub kind: String,
    /// What is sent.
    pub payload: String,
    /// Published retained (MQTT state).
    pub retain: bool,
}

/// A plan message rendered when it fell due: what the recipients read, and who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letter {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Recipient addresses.
    pub to: Vec<String>,
}

impl Letter {
    /// The text the outbox and the journal keep: subject, blank line, body.
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.subject, self.body)
    }
}
