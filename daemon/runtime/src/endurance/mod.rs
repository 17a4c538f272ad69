//! Uthållighet: endurance of every reserve and function, live and in the report.
//!
//! `driftvakt_domain::endurance` is the pure arithmetic (consumption models, scenarios,
//! dependency chains), `live` turns readings into `endurance.<id>` readings inside the
//! pipeline, `report` writes the SSIK evidence report from the store. (Fast-forward, which drives
//! the simulator in simulated time, is the `fastforward` sub-command: `cmd/fastforward/`.)

pub mod live;
pub mod report;
