//! The daemon assembled: acquisition and store ([`Pipeline`]) plus the components that consume
//! readings. `run`, `demo` and the tests all start the daemon through [`Service::start`], so a new
//! component is wired in exactly one place.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use driftvakt_config::model::Config;

use crate::pipeline::{Live, Pipeline, Summary};

/// A running daemon.
pub struct Service {
    pipeline: Pipeline,
}

impl Service {
    /// Start everything `config` asks for, storing in `data_dir`.
    pub async fn start(config: &Config, data_dir: &Path) -> Result<Service> {
        let taps = Vec::new();
        let pipeline = Pipeline::start(config, data_dir, taps)?;
        Ok(Service { pipeline })
    }

    /// Latest values, for status screens.
    pub fn live(&self) -> Arc<Live> {
        self.pipeline.live()
    }

    /// Stop everything; every reading already taken is committed first.
    pub async fn shutdown(self) -> Summary {
        self.pipeline.shutdown().await
    }
}
