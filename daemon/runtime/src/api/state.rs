//! What the API's handlers share: the alarm actor, the token, the exercise actor.

use std::path::PathBuf;
use std::sync::Arc;

use crate::alarm::service::AlarmHandle;
use crate::exercise::command::ExerciseHandle;

/// What the handlers need.
#[derive(Clone)]
pub struct ApiState {
    /// The alarm actor.
    pub alarms: AlarmHandle,
    /// Bearer token for state-changing calls; `None` refuses them.
    pub token: Option<Arc<str>>,
    /// The exercise actor and where its runs are stored; `None` without `[exercise]`.
    pub exercise: Option<ExerciseApi>,
}

/// The exercise actor and the data directory its runs are stored in.
#[derive(Clone, Debug)]
pub struct ExerciseApi {
    /// The actor.
    pub handle: ExerciseHandle,
    /// The data directory (runs are read from its store, read-only).
    pub data_dir: PathBuf,
}
