//! What the coordinator asks of the exercise actor — from the CLI through the HTTP API, or from
//! the MQTT command topic — and the handle every front end sends it through.

use driftvakt_config::model::ExerciseKind;
use std::sync::Arc;

use driftvakt_domain::exercise::{Run, Timeline};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot, watch};

/// A request to the exercise actor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// Start an exercise (refused while another run, or an outage, is running).
    Start {
        /// `monthly`, `island` or `loadbank` (never `outage`).
        kind: String,
        /// The coordinator's name for it.
        name: String,
        /// Who starts it.
        by: String,
    },
    /// Stop the running exercise (an outage too, by hand).
    Stop {
        /// Who stops it.
        by: String,
    },
    /// Write an observation into the running run's timeline.
    Note {
        /// Who writes it.
        by: String,
        /// The observation.
        text: String,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// The command does not fit the state (nothing running, already running, bad kind).
    #[error("{0}")]
    Refused(String),
    /// The store could not record it.
    #[error("could not record it: {0}")]
    Store(String),
    /// The actor has stopped (the daemon is shutting down).
    #[error("the exercise service has stopped")]
    Stopped,
}

/// A command with the place its answer goes.
#[derive(Debug)]
pub struct Request {
    /// What is asked.
    pub command: Command,
    /// The run as it is after the command, or why not.
    pub reply: oneshot::Sender<Result<Run, CommandError>>,
}

/// The front ends' end of the exercise actor: send commands, watch the running run.
#[derive(Debug, Clone)]
pub struct ExerciseHandle {
    /// Commands to the actor.
    pub tx: mpsc::Sender<Request>,
    /// The running run (`None` when none runs), updated by the actor after every change.
    pub active: watch::Receiver<Option<Run>>,
    /// The running run's timeline as the actor's monitor sees it (`None` when none runs),
    /// published every [`super::service::FAILURES_EVERY`] and at every start, note and stop.
    pub timeline: watch::Receiver<Option<Arc<Timeline>>>,
}

impl ExerciseHandle {
    /// Send a command and wait for its answer.
    pub async fn send(&self, command: Command) -> Result<Run, CommandError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Request { command, reply }).await.map_err(|_| CommandError::Stopped)?;
        answer.await.map_err(|_| CommandError::Stopped)?
    }

    /// The running run now.
    pub fn active(&self) -> Option<Run> {
        self.active.borrow().clone()
    }

    /// The running run and its live timeline now, when one runs (the timeline of the same run).
    pub fn live(&self) -> Option<(Run, Arc<Timeline>)> {
        let run = self.active()?;
        let timeline = self.timeline.borrow().clone()?;
        Some((run, timeline))
    }
}

/// The kind a `start` command names, refusing `outage` and unknown words.
pub fn exercise_kind(key: &str) -> Result<ExerciseKind, CommandError> {
    match ExerciseKind::from_key(key) {
        Some(k) if k.is_exercise() => Ok(k),
        _ => Err(CommandError::Refused(format!("unknown exercise kind {key:?}; expected monthly, island or loadbank"))),
    }
}
