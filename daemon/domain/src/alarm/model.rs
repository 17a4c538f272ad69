//! What the engine tells the world: alarm records, their life-cycle states, and changes.

use driftvakt_config::model::{AlarmClass, Language, System};
use serde::{Deserialize, Serialize};

use crate::text::alarm::Alarms;

/// Life-cycle state of one alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// Not in alarm, nothing to acknowledge.
    Normal,
    /// In alarm, not acknowledged yet.
    ActiveUnacked,
    /// In alarm, acknowledged.
    ActiveAcked,
    /// Back to normal, but the class requires an acknowledgement first.
    ClearedUnacked,
}

impl AlarmState {
    /// Stable keyword (store, API, MQTT).
    pub fn key(self) -> &'static str {
        match self {
            AlarmState::Normal => "normal",
            AlarmState::ActiveUnacked => "active_unacked",
            AlarmState::ActiveAcked => "active_acked",
            AlarmState::ClearedUnacked => "cleared_unacked",
        }
    }

    /// The state in words.
    pub fn label(self, lang: Language) -> &'static str {
        let t = Alarms::of(lang);
        match self {
            AlarmState::Normal => t.normal,
            AlarmState::ActiveUnacked => t.active_unacked,
            AlarmState::ActiveAcked => t.active_acked,
            AlarmState::ClearedUnacked => t.cleared_unacked,
        }
    }

    /// Whether the condition is present.
    pub fn is_active(self) -> bool {
        matches!(self, AlarmState::ActiveUnacked | AlarmState::ActiveAcked)
    }

    /// Whether an acknowledgement is outstanding.
    pub fn is_unacked(self) -> bool {
        matches!(self, AlarmState::ActiveUnacked | AlarmState::ClearedUnacked)
    }
}

/// Who acknowledged, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    /// Operator name.
    pub by: String,
    /// When, UTC ms.
    pub at_ms: i64,
    /// Optional comment.
    pub comment: Option<String>,
}

/// A shelved alarm: silenced until a time, with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shelve {
    /// Silenced until, UTC ms.
    pub until_ms: i64,
    /// Why.
    pub reason: String,
    /// Who shelved it.
    pub by: String,
}

/// The current record of one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    /// Alarm id, e.g. `ats.mains_available.state`.
    pub id: String,
    /// Life-cycle state.
    pub state: AlarmState,
    /// A or B.
    #[serde(with = "class_serde")]
    pub class: AlarmClass,
    /// System key (`reservkraft`, …).
    pub system: String,
    /// Swedish text with the value filled in (at activation).
    pub text: String,
    /// English text with the value filled in.
    pub text_en: String,
    /// The value at activation, formatted with unit (Swedish), if any.
    pub value: Option<String>,
    /// When it last became active, UTC ms.
    pub active_since_ms: Option<i64>,
    /// When it last cleared, UTC ms.
    pub cleared_ms: Option<i64>,
    /// The acknowledgement of the current activation, if any.
    pub ack: Option<Ack>,
    /// Shelving in force, if any.
    pub shelved: Option<Shelve>,
    /// Incident of the current activation.
    pub incident: Option<i64>,
    /// Last change, UTC ms.
    pub changed_ms: i64,
    /// The exercise run that explains the current activation (an expected alarm: shown and
    /// journalled, never e-mailed or escalated); `None` for an ordinary alarm.
    #[serde(default)]
    pub expected_run: Option<i64>,
}

impl AlarmRecord {
    /// A fresh record in the normal state.
    pub fn normal(id: &str, class: AlarmClass, system: System, text: &str, text_en: &str) -> AlarmRecord {
        AlarmRecord {
            id: id.to_string(),
            state: AlarmState::Normal,
            class,
            system: system.key().to_string(),
            text: text.to_string(),
            text_en: text_en.to_string(),
            value: None,
            active_since_ms: None,
            cleared_ms: None,
            ack: None,
            shelved: None,
            incident: None,
            changed_ms: 0,
            expected_run: None,
        }
    }

    /// Whether the current activation is expected (explained by a running exercise).
    pub fn is_expected(&self) -> bool {
        self.expected_run.is_some()
    }

    /// Whether it is shelved at `now_ms`.
    pub fn is_shelved(&self, now_ms: i64) -> bool {
        self.shelved.as_ref().is_some_and(|s| s.until_ms > now_ms)
    }

    /// The alarm's text in `lang` (filled in at activation).
    pub fn text_in(&self, lang: Language) -> &str {
        match lang {
            Language::Sv => &self.text,
            Language::En => &self.text_en,
        }
    }

    /// The status in words (state, who acknowledged, the exercise that explains it, a shelving
    /// with its end in `tz` and reason): the alarm lists' status column.
    pub fn status_in(&self, lang: Language, tz: &jiff::tz::TimeZone) -> String {
        let t = Alarms::of(lang);
        let mut s = self.state.label(lang).to_string();
        if let Some(a) = &self.ack {
            s = crate::text::fill(t.status_acked, &[("state", s.as_str()), ("by", &a.by)]);
        }
        if let Some(run) = self.expected_run.filter(|_| self.state != AlarmState::Normal) {
            s = crate::text::fill(t.status_expected, &[("status", s), ("run", run.to_string())]);
        }
        if let Some(sh) = &self.shelved {
            let until = crate::fmt::local_datetime(sh.until_ms, tz);
            s = crate::text::fill(t.status_shelved, &[("status", s), ("until", until), ("reason", sh.reason.clone())]);
        }
        s
    }

    /// The system's label in `lang` (the key itself if it is not a known system).
    pub fn system_label(&self, lang: Language) -> &str {
        System::from_key(&self.system).map_or(self.system.as_str(), |s| s.label(lang))
    }
}

/// What happened to an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The condition appeared (after its on-delay).
    Activated,
    /// The condition went away (after its off-delay).
    Cleared,
    /// An operator acknowledged it.
    Acked,
    /// An operator shelved it.
    Shelved,
    /// Shelving ended (expired or lifted).
    Unshelved,
}

impl ChangeKind {
    /// Stable keyword (journal, MQTT events).
    pub fn key(self) -> &'static str {
        match self {
            ChangeKind::Activated => "activated",
            ChangeKind::Cleared => "cleared",
            ChangeKind::Acked => "acked",
            ChangeKind::Shelved => "shelved",
            ChangeKind::Unshelved => "unshelved",
        }
    }
}

/// The alarms an operator's list shows at `now_ms`: every one not normal (active, or cleared
/// but unacknowledged) or shelved, most urgent class first, newest first within a class.
pub fn operator_list<'a>(records: impl Iterator<Item = &'a AlarmRecord>, now_ms: i64) -> Vec<AlarmRecord> {
    let mut list: Vec<AlarmRecord> = records.filter(|r| r.state != AlarmState::Normal || r.is_shelved(now_ms)).cloned().collect();
    list.sort_by_key(|r| (r.class, std::cmp::Reverse(r.active_since_ms)));
    list
}

/// One change of one alarm, with its record afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// State before.
    pub from: AlarmState,
    /// The record after the change.
    pub record: AlarmRecord,
    /// When, UTC ms.
    pub at_ms: i64,
    /// Operator, for acknowledgements and shelving.
    pub by: Option<String>,
    /// Comment or reason.
    pub comment: Option<String>,
    /// Whether this activation opened its incident.
    pub opened_incident: bool,
}

/// Serialize an [`AlarmClass`] as `"A"` / `"B"`.
pub mod class_serde {
    use driftvakt_config::model::AlarmClass;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize.
    pub fn serialize<S: Serializer>(c: &AlarmClass, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.key())
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AlarmClass, D::Error> {
        let s = String::deserialize(d)?;
        AlarmClass::from_key(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown alarm class {s:?}")))
    }
}
