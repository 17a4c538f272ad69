#!/usr/bin/env python3
"""An independent Modbus TCP device for driftvakt's end-to-end tests (pymodbus 3.16.1).

The register map comes from gencomm_map.json beside this script (the same file the Rust tests
read their expectations from). Values are encoded here with Python's struct module, independently
of driftvakt's decoder.

    pymodbus_server.py [--host 127.0.0.1] [--port 0] [--map FILE] [--record FILE]

Prints `LISTENING <port>` on stdout (flushed) once the socket accepts connections; with
`--port 0` the port is chosen by the kernel. `--record FILE` appends one JSON line per received
request: {"unit": .., "fc": .., "address": .., "count": ..}.

Every address outside the map's blocks answers exception 2 (illegal data address). The server is
read-only: write requests get exception 2 as well (all cells are marked read-only).

Uses pymodbus' SimData/SimDevice datastore (in 3.16 the old ModbusSequentialDataBlock and
ModbusDeviceContext are thin deprecated wrappers around it, limited to one block per table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import struct
import sys
from pathlib import Path

from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

TABLES = ("coil", "discrete_input", "holding", "input")  # SimDevice tuple order
BIT_TABLES = {"coil", "discrete_input"}

STRUCT_FORMATS = {
    "u16": ">H",
    "i16": ">h",
    "u32": ">I",
    "i32": ">i",
    "u64": ">Q",
    "i64": ">q",
    "f32": ">f",
    "f64": ">d",
}


class MapError(Exception):
    """The JSON map is inconsistent."""


def reorder(big_endian: bytes, order: str) -> bytes:
    """Rearrange big-endian bytes (ABCD...) into the wire order named by `order`."""
    words = [big_endian[i : i + 2] for i in range(0, len(big_endian), 2)]
    if order == "ABCD":
        return big_endian
    if order == "CDAB":  # words reversed, bytes big-endian in each word
        return b"".join(reversed(words))
    if order == "BADC":  # bytes swapped inside each word
        return b"".join(w[::-1] for w in words)
    if order == "DCBA":  # little-endian
        return big_endian[::-1]
    raise MapError(f"unknown order {order!r}")


def to_registers(data: bytes) -> list[int]:
    """Pairs of bytes to 16-bit register values (first byte is the register's high byte)."""
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def encode_registers(point: dict) -> list[int]:
    """Registers of one register-table point, from its raw value."""
    typ = point["type"]
    raw = point["raw"]
    order = point.get("order", "ABCD")
    where = f"point {point['id']!r}"
    if typ == "string":
        size = 2 * point["registers"]
        data = raw.encode("ascii")
        if len(data) != size:
            raise MapError(f"{where}: string must be exactly {size} bytes, is {len(data)}")
        if order in ("BADC", "DCBA"):
            data = b"".join(data[i : i + 2][::-1] for i in range(0, size, 2))
        return to_registers(data)
    if typ in ("bit", "bool"):
        if not 0 <= int(raw) <= 0xFFFF:
            raise MapError(f"{where}: raw {raw!r} is not a 16-bit register")
        return [int(raw)]
    if typ not in STRUCT_FORMATS:
        raise MapError(f"{where}: unknown type {typ!r}")
    value = float(raw) if typ.startswith("f") else int(raw)
    try:
        packed = struct.pack(STRUCT_FORMATS[typ], value)
    except struct.error as exc:
        raise MapError(f"{where}: raw {raw!r} does not fit {typ}: {exc}") from exc
    if typ in ("u16", "i16"):
        return to_registers(packed)  # one register: the order has nothing to swap
    return to_registers(reorder(packed, order))


class UnitImage:
    """Cells of one unit id, table by table, built from the map."""

    def __init__(self, unit: str, blocks: dict) -> None:
        self.unit = unit
        self.blocks: dict[str, list[tuple[int, int]]] = {}
        self.cells: dict[str, dict[int, int | bool]] = {}
        for table in TABLES:
            ranges = blocks.get(table) or []
            if not ranges:
                raise MapError(f"unit {unit}: table {table!r} needs at least one block")
            self.blocks[table] = [(int(a), int(b)) for a, b in ranges]
            zero: int | bool = False if table in BIT_TABLES else 0
            self.cells[table] = {
                addr: zero for first, last in self.blocks[table] for addr in range(first, last + 1)
            }
        self.written: dict[tuple[str, int], str] = {}

    def put(self, table: str, address: int, value: int | bool, owner: str) -> None:
        """Set one cell; a cell outside the blocks or set twice to different values is an error."""
        cells = self.cells[table]
        if address not in cells:
            raise MapError(f"{owner}: {table} {address} of unit {self.unit} is outside every block")
        key = (table, address)
        if key in self.written and cells[address] != value:
            raise MapError(
                f"{owner}: {table} {address} already holds {cells[address]!r} from {self.written[key]}"
            )
        cells[address] = value
        self.written[key] = owner

    def simdata(self) -> tuple[list[SimData], ...]:
        """The SimDevice tuple: (coils, discrete inputs, holding, input registers)."""
        out = []
        for table in TABLES:
            entries = []
            for first, last in self.blocks[table]:
                values = [self.cells[table][a] for a in range(first, last + 1)]
                datatype = DataType.BITS if table in BIT_TABLES else DataType.REGISTERS
                entries.append(SimData(first, values=values, datatype=datatype, readonly=True))
            out.append(entries)
        return tuple(out)


def build_devices(doc: dict) -> list[SimDevice]:
    """One SimDevice per unit id of the map."""
    images = {unit: UnitImage(unit, blocks) for unit, blocks in doc["units"].items()}
    for point in doc["points"]:
        owner = f"point {point['id']!r}"
        if point.get("raw") is None:
            continue  # deliberately not served
        image = images.get(str(point["unit_id"]))
        if image is None:
            raise MapError(f"{owner}: unit {point['unit_id']} has no blocks")
        table = point["table"]
        if table in BIT_TABLES:
            if point["type"] != "bool":
                raise MapError(f"{owner}: {table} points must have type bool")
            image.put(table, point["address"], bool(point["raw"]), owner)
            continue
        for i, reg in enumerate(encode_registers(point)):
            image.put(table, point["address"] + i, reg, owner)
    return [SimDevice(int(unit), simdata=img.simdata()) for unit, img in images.items()]


def make_recorder(path: str | None):
    """A trace_pdu hook appending received requests to `path` as JSON lines."""
    if not path:
        return None
    out = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (lives as long as the process)

    def trace_pdu(sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if not sending:
            entry = {"unit": pdu.dev_id, "fc": pdu.function_code}
            for attr in ("address", "count"):
                value = getattr(pdu, attr, None)
                if isinstance(value, int):
                    entry[attr] = value
            out.write(json.dumps(entry) + "\n")
            out.flush()
        return pdu

    return trace_pdu


async def serve(args: argparse.Namespace) -> None:
    doc = json.loads(Path(args.map).read_text(encoding="utf-8"))
    devices = build_devices(doc)
    server = ModbusTcpServer(
        devices,
        address=(args.host, args.port),
        trace_pdu=make_recorder(args.record),
    )
    await server.serve_forever(background=True)
    sockets = getattr(server.transport, "sockets", None) or []
    if not sockets:
        raise SystemExit(f"could not listen on {args.host}:{args.port}")
    port = sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = let the kernel choose")
    parser.add_argument("--map", default=str(Path(__file__).with_name("gencomm_map.json")))
    parser.add_argument("--record", help="append received requests as JSON lines")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except MapError as exc:
        print(f"pymodbus_server: bad map {args.map}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
