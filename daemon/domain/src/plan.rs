//! Which e-mails to send, and when: pure, driven by alarm changes and time.
//!
//! Notifications are per incident and recipient group, never per alarm: the incident's first
//! e-mail waits `gather` for the rest of the cause; alarms joining later give one update (while
//! an e-mail of the incident is still waiting, they simply appear in it, since its text is made
//! at sending time); when every alarm of the incident has cleared, one "cleared" e-mail.
//! Unacknowledged alarms are repeated at `opened + k × repeat_every` and escalated once at
//! `opened + escalate_after`.

use std::collections::{HashMap, HashSet};

use driftvakt_config::model::{AlarmClass, Route, System};

use crate::alarm::{AlarmRecord, AlarmState, Change, ChangeKind};

/// What an e-mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    /// The incident's first e-mail.
    Incident,
    /// Alarms joined after the first e-mail.
    Update,
    /// Every alarm of the incident has cleared.
    Cleared,
    /// Still unacknowledged.
    Repeat,
    /// Still unacknowledged after the escalation time: to the second group.
    Escalation,
}

impl EmailKind {
    /// Stable keyword (outbox, journal).
    pub fn key(self) -> &'static str {
        match self {
            EmailKind::Incident => "incident",
            EmailKind::Update => "update",
            EmailKind::Cleared => "cleared",
            EmailKind::Repeat => "repeat",
            EmailKind::Escalation => "escalation",
        }
    }

    /// Inverse of [`EmailKind::key`].
    pub fn from_key(s: &str) -> Option<EmailKind> {
        Some(match s {
            "incident" => EmailKind::Incident,
            "update" => EmailKind::Update,
            "cleared" => EmailKind::Cleared,
            "repeat" => EmailKind::Repeat,
            "escalation" => EmailKind::Escalation,
            _ => return None,
        })
    }
}

/// An e-mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailIntent {
    /// Incident it is about.
    pub incident: i64,
    /// Recipient group id.
    pub group: String,
    /// What it says.
    pub kind: EmailKind,
    /// When to send it, UTC ms.
    pub due_ms: i64,
}

/// An incident with the current records of its alarms.
#[derive(Debug, Clone)]
pub struct IncidentView<'a> {
    /// Incident id.
    pub id: i64,
    /// When its first alarm started, UTC ms.
    pub opened_ms: i64,
    /// Its alarms' records (current state).
    pub alarms: Vec<&'a AlarmRecord>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct GroupState {
    /// An incident or update e-mail is queued and not delivered yet.
    queued: bool,
    /// The cleared e-mail was queued.
    cleared_sent: bool,
    /// Repeats queued so far.
    repeats: u32,
}

/// What has been queued per incident and group (rebuilt from the outbox after a restart).
#[derive(Debug, Clone, Default)]
pub struct PlanState {
    groups: HashMap<(i64, String), GroupState>,
    escalated: HashSet<(i64, usize)>,
}

/// One row of the e-mail outbox, for rebuilding [`PlanState`].
#[derive(Debug, Clone)]
pub struct SentRow {
    /// Incident.
    pub incident: i64,
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: EmailKind,
    /// Whether it was delivered.
    pub delivered: bool,
}

/// The routing rules.
#[derive(Debug, Clone)]
pub struct Planner {
    routes: Vec<Route>,
    gather_ms: i64,
}

fn system_of(key: &str) -> System {
    System::ALL.into_iter().find(|s| s.key() == key).unwrap_or(System::Ovrigt)
}

fn routed(r: &Route, rec: &AlarmRecord) -> bool {
    r.matches(rec.class, system_of(&rec.system))
}

impl Planner {
    /// Routes and the gather time.
    pub fn new(routes: Vec<Route>, gather_ms: i64) -> Planner {
        Planner { routes, gather_ms }
    }

    /// Rebuild what was queued from the outbox rows of e-mails.
    pub fn rebuild(&self, rows: &[SentRow]) -> PlanState {
        let mut st = PlanState::default();
        for row in rows {
            let g = st.groups.entry((row.incident, row.group.clone())).or_default();
            match row.kind {
                EmailKind::Incident | EmailKind::Update => g.queued |= !row.delivered,
                EmailKind::Cleared => g.cleared_sent = true,
                EmailKind::Repeat => g.repeats += 1,
                EmailKind::Escalation => {
                    for (ri, r) in self.routes.iter().enumerate() {
                        if r.escalate_to.contains(&row.group) {
                            st.escalated.insert((row.incident, ri));
                        }
                    }
                }
            }
        }
        st
    }

    /// E-mails caused by one alarm change; `inc` is the change's incident.
    pub fn on_change(&self, st: &mut PlanState, change: &Change, inc: Option<&IncidentView<'_>>, now_ms: i64) -> Vec<EmailIntent> {
        let Some(inc) = inc else { return Vec::new() };
        let rec = &change.record;
        let mut out = Vec::new();
        match change.kind {
            // An expected alarm (explained by a running exercise) is shown, never e-mailed.
            ChangeKind::Activated if !rec.is_shelved(now_ms) && !rec.is_expected() => {
                for r in self.routes.iter().filter(|r| routed(r, rec)) {
                    for g in &r.to {
                        let key = (inc.id, g.clone());
                        match st.groups.get_mut(&key) {
                            None => {
                                st.groups.insert(key, GroupState { queued: true, ..GroupState::default() });
                                let due = (inc.opened_ms + self.gather_ms).max(now_ms);
                                out.push(EmailIntent { incident: inc.id, group: g.clone(), kind: EmailKind::Incident, due_ms: due });
                            }
                            Some(gs) => {
                                gs.cleared_sent = false;
                                if !gs.queued {
                                    gs.queued = true;
                                    out.push(EmailIntent { incident: inc.id, group: g.clone(), kind: EmailKind::Update, due_ms: now_ms + self.gather_ms });
                                }
                            }
                        }
                    }
                }
            }
            ChangeKind::Cleared if inc.alarms.iter().all(|a| !a.state.is_active()) => {
                let mut groups: Vec<String> = Vec::new();
                for r in self.routes.iter().filter(|r| r.notify_clear && inc.alarms.iter().any(|a| routed(r, a))) {
                    for g in r.to.iter().chain(&r.escalate_to) {
                        if !groups.contains(g) {
                            groups.push(g.clone());
                        }
                    }
                }
                for g in groups {
                    if let Some(gs) = st.groups.get_mut(&(inc.id, g.clone()))
                        && !gs.cleared_sent
                    {
                        gs.cleared_sent = true;
                        out.push(EmailIntent { incident: inc.id, group: g, kind: EmailKind::Cleared, due_ms: now_ms });
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Repeats and escalations due at `now_ms` for the incidents given.
    pub fn tick(&self, st: &mut PlanState, incidents: &[IncidentView<'_>], now_ms: i64) -> Vec<EmailIntent> {
        let mut out = Vec::new();
        for inc in incidents {
            for (ri, r) in self.routes.iter().enumerate() {
                let unacked = inc
                    .alarms
                    .iter()
                    .any(|a| a.state == AlarmState::ActiveUnacked && !a.is_shelved(now_ms) && !a.is_expected() && routed(r, a));
                if !unacked {
                    continue;
                }
                if let Some(every) = r.repeat_every {
                    let every = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
                    for g in &r.to {
                        let Some(gs) = st.groups.get_mut(&(inc.id, g.clone())) else { continue };
                        let due_count = u32::try_from((now_ms - inc.opened_ms) / every).unwrap_or(u32::MAX);
                        if due_count > gs.repeats {
                            // After a long outage of the daemon: one repeat, not a burst.
                            gs.repeats = due_count;
                            out.push(EmailIntent { incident: inc.id, group: g.clone(), kind: EmailKind::Repeat, due_ms: now_ms });
                        }
                    }
                }
                if let Some(after) = r.escalate_after {
                    let after = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
                    if now_ms - inc.opened_ms >= after && st.escalated.insert((inc.id, ri)) {
                        for g in &r.escalate_to {
                            st.groups.entry((inc.id, g.clone())).or_default();
                            out.push(EmailIntent { incident: inc.id, group: g.clone(), kind: EmailKind::Escalation, due_ms: now_ms });
                        }
                    }
                }
            }
        }
        out
    }

    /// An e-mail was delivered: a later alarm of the incident needs an update of its own.
    pub fn delivered(&self, st: &mut PlanState, incident: i64, group: &str, kind: EmailKind) {
        if matches!(kind, EmailKind::Incident | EmailKind::Update)
            && let Some(gs) = st.groups.get_mut(&(incident, group.to_string()))
        {
            gs.queued = false;
        }
    }

    /// The class an incident is announced with: the most urgent of its alarms.
    pub fn incident_class(alarms: &[&AlarmRecord]) -> AlarmClass {
        alarms.iter().map(|a| a.class).min().unwrap_or(AlarmClass::B)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MIN: i64 = 60_000;

    fn route() -> Route {
        Route {
            classes: vec![AlarmClass::A],
            systems: vec![],
            to: vec!["jour".into()],
            repeat_every: Some(Duration::from_secs(15 * 60)),
            escalate_after: Some(Duration::from_secs(30 * 60)),
            escalate_to: vec!["chef".into()],
            notify_clear: true,
        }
    }

    fn rec(id: &str, class: AlarmClass, state: AlarmState) -> AlarmRecord {
        let mut r = AlarmRecord::normal(id, class, System::Reservkraft, "Nät bortfall", "Mains lost");
        r.state = state;
        r.incident = Some(1);
        r
    }

    fn activated(r: &AlarmRecord) -> Change {
        Change { kind: ChangeKind::Activated, from: AlarmState::Normal, record: r.clone(), at_ms: 0, by: None, comment: None, opened_incident: true }
    }

    #[test]
    fn one_email_per_incident_then_repeat_and_escalation_at_the_configured_times() {
        let p = Planner::new(vec![route()], 1000);
        let mut st = PlanState::default();
        let a = rec("mains", AlarmClass::A, AlarmState::ActiveUnacked);
        let b = rec("ups", AlarmClass::A, AlarmState::ActiveUnacked);
        let view = IncidentView { id: 1, opened_ms: 0, alarms: vec![&a, &b] };
        let first = p.on_change(&mut st, &activated(&a), Some(&view), 0);
        assert_eq!(first, [EmailIntent { incident: 1, group: "jour".into(), kind: EmailKind::Incident, due_ms: 1000 }]);
        assert!(p.on_change(&mut st, &activated(&b), Some(&view), 200).is_empty(), "joins the queued e-mail");

        // Walk synthetic time minute by minute for an hour, unacknowledged.
        let mut sent = Vec::new();
        for m in 0..=60 {
            for i in p.tick(&mut st, std::slice::from_ref(&view), m * MIN) {
                sent.push((m, i.group, i.kind));
            }
        }
        let expect = [
            (15, "jour".to_string(), EmailKind::Repeat),
            (30, "jour".to_string(), EmailKind::Repeat),
            (30, "chef".to_string(), EmailKind::Escalation),
            (45, "jour".to_string(), EmailKind::Repeat),
            (60, "jour".to_string(), EmailKind::Repeat),
        ];
        assert_eq!(sent, expect);

        // Acknowledged: no more repeats.
        let acked = rec("mains", AlarmClass::A, AlarmState::ActiveAcked);
        let acked_b = rec("ups", AlarmClass::A, AlarmState::ActiveAcked);
        let view = IncidentView { id: 1, opened_ms: 0, alarms: vec![&acked, &acked_b] };
        assert!(p.tick(&mut st, std::slice::from_ref(&view), 75 * MIN).is_empty());
    }

    #[test]
    fn a_late_alarm_gives_one_update_and_the_last_clear_one_cleared_email() {
        let p = Planner::new(vec![route()], 1000);
        let mut st = PlanState::default();
        let a = rec("mains", AlarmClass::A, AlarmState::ActiveUnacked);
        let view = IncidentView { id: 1, opened_ms: 0, alarms: vec![&a] };
        assert_eq!(p.on_change(&mut st, &activated(&a), Some(&view), 0).len(), 1);
        p.delivered(&mut st, 1, "jour", EmailKind::Incident);
        let late = rec("water", AlarmClass::A, AlarmState::ActiveUnacked);
        let got = p.on_change(&mut st, &activated(&late), Some(&view), 5000);
        assert_eq!(got.iter().map(|i| i.kind).collect::<Vec<_>>(), [EmailKind::Update]);
        // One alarm clears while another is active: nothing; the last clear: one e-mail.
        let cleared = rec("water", AlarmClass::A, AlarmState::ClearedUnacked);
        let mut ch = activated(&cleared);
        ch.kind = ChangeKind::Cleared;
        let half = IncidentView { id: 1, opened_ms: 0, alarms: vec![&a, &cleared] };
        assert!(p.on_change(&mut st, &ch, Some(&half), 6000).is_empty());
        let a_cleared = rec("mains", AlarmClass::A, AlarmState::ClearedUnacked);
        let all = IncidentView { id: 1, opened_ms: 0, alarms: vec![&a_cleared, &cleared] };
        let got = p.on_change(&mut st, &ch, Some(&all), 7000);
        assert_eq!(got.iter().map(|i| (i.group.as_str(), i.kind)).collect::<Vec<_>>(), [("jour", EmailKind::Cleared)]);
        // A B alarm takes no A route.
        let b = rec("fan", AlarmClass::B, AlarmState::ActiveUnacked);
        assert!(p.on_change(&mut PlanState::default(), &activated(&b), Some(&view), 0).is_empty());
    }

    #[test]
    fn after_a_restart_nothing_queued_is_queued_again() {
        let p = Planner::new(vec![route()], 1000);
        let rows = [
            SentRow { incident: 1, group: "jour".into(), kind: EmailKind::Incident, delivered: false },
            SentRow { incident: 1, group: "jour".into(), kind: EmailKind::Repeat, delivered: true },
            SentRow { incident: 1, group: "chef".into(), kind: EmailKind::Escalation, delivered: true },
        ];
        let mut st = p.rebuild(&rows);
        let a = rec("mains", AlarmClass::A, AlarmState::ActiveUnacked);
        let view = IncidentView { id: 1, opened_ms: 0, alarms: vec![&a] };
        let b = rec("ups", AlarmClass::A, AlarmState::ActiveUnacked);
        assert!(p.on_change(&mut st, &activated(&b), Some(&view), 100).is_empty());
        assert!(p.tick(&mut st, std::slice::from_ref(&view), 31 * MIN).iter().all(|i| i.kind == EmailKind::Repeat));
    }

    #[test]
    fn an_expected_alarm_is_neither_emailed_nor_repeated_nor_escalated_but_others_are() {
        let p = Planner::new(vec![route()], 1000);
        let mut st = PlanState::default();
        let mut drill = rec("mains", AlarmClass::A, AlarmState::ActiveUnacked);
        drill.expected_run = Some(3);
        let view = IncidentView { id: 1, opened_ms: 0, alarms: vec![&drill] };
        assert!(p.on_change(&mut st, &activated(&drill), Some(&view), 0).is_empty(), "no incident e-mail");
        assert!(p.tick(&mut st, std::slice::from_ref(&view), 60 * MIN).is_empty(), "no repeat, no escalation");
        let mut cleared = drill.clone();
        cleared.state = AlarmState::ClearedUnacked;
        let mut ch = activated(&cleared);
        ch.kind = ChangeKind::Cleared;
        let done = IncidentView { id: 1, opened_ms: 0, alarms: vec![&cleared] };
        assert!(p.on_change(&mut st, &ch, Some(&done), 61 * MIN).is_empty(), "no cleared e-mail for what was never sent");
        // An alarm the exercise does not explain escalates as usual, even in the same incident.
        let pump = rec("pump", AlarmClass::A, AlarmState::ActiveUnacked);
        let both = IncidentView { id: 2, opened_ms: 0, alarms: vec![&drill, &pump] };
        let mut st = PlanState::default();
        assert_eq!(p.on_change(&mut st, &activated(&pump), Some(&both), 0).len(), 1);
        let kinds: Vec<EmailKind> = p.tick(&mut st, std::slice::from_ref(&both), 30 * MIN).into_iter().map(|i| i.kind).collect();
        assert!(kinds.contains(&EmailKind::Escalation), "{kinds:?}");
    }
}
