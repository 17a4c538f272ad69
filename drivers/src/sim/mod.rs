//! The reference-hospital plant simulator (server side).
