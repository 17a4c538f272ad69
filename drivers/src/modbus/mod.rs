//! Modbus client: request planning, decoding, polling.
