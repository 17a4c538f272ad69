//! `driftvakt probe`: raw registers and every plausible decoding, for commissioning.

use std::time::Duration;

use anyhow::Result;
use driftvakt_config::model::{Framing, Table};
use driftvakt_drivers::modbus::probe;

use crate::cli::{ProbeArgs, TableArg};
use driftvakt_runtime::out::outln;

/// Read and print; exit code 0 on a successful read, 1 otherwise.
pub async fn run(args: &ProbeArgs) -> Result<i32> {
    let table = match args.table {
        TableArg::Coil => Table::Coil,
        TableArg::Discrete => Table::DiscreteInput,
        TableArg::Input => Table::InputRegister,
        TableArg::Holding => Table::HoldingRegister,
    };
    let framing = if args.rtu_over_tcp { Framing::RtuOverTcp } else { Framing::Tcp };
    let timeout = Duration::from_millis(args.timeout_ms);
    let result =
        probe::read_raw(&args.host, args.port, framing, args.unit, table, args.address, args.count, timeout).await;
    for hint in probe::address_hints(args.address, &result) {
        outln!("hint: {hint}")?;
    }
    match result {
        Ok(regs) => {
            if table.is_bits() {
                for (i, b) in regs.iter().enumerate() {
                    outln!("{:>5}  {}", u32::from(args.address) + i as u32, b)?;
                }
            } else {
                for i in probe::interpretations(args.address, &regs) {
                    outln!("{i}")?;
                }
                for hint in probe::sentinel_hints(args.address, &regs) {
                    println!("hint: {hint}");
                }
            }
            Ok(0)
        }
        Err(e) => {
            eprintln!("probe failed: {e}");
            Ok(1)
        }
    }
}
