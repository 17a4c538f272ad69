#!/usr/bin/env python3
"""Self-test of pymodbus_server.py with a pymodbus client (no driftvakt code involved).

Starts the server on a free port, reads every point of gencomm_map.json back, decodes it here
(a second, Python implementation of the map's meaning) and compares with 'expected'/'quality'.
Also checks that addresses outside the blocks answer exception 2, that writes are refused, and
that --record logs the function codes. Exit status 0 = all good. Run by tests/run.sh.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymodbus.client import ModbusTcpClient

HERE = Path(__file__).resolve().parent
MAP = json.loads((HERE / "gencomm_map.json").read_text(encoding="utf-8"))

FORMATS = {"u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q", "f32": "f", "f64": "d"}
ALL_ONES = {"u16": 0xFFFF, "i16": 0x7FFF, "u32": 0xFFFFFFFF, "i32": 0x7FFFFFFF,
            "u64": 2**64 - 1, "i64": 2**63 - 1}
GENCOMM = {0: "not_available", 1: "out_of_range", 2: "out_of_range", 3: "device_fault", 4: "device_fault"}

failures: list[str] = []


def fail(msg: str) -> None:
    failures.append(msg)
    print("FAIL", msg)


def width(point: dict) -> int:
    typ = point["type"]
    if typ == "string":
        return point["registers"]
    return max(1, struct.calcsize(FORMATS.get(typ, "H")) // 2)


def unorder(regs: list[int], order: str) -> bytes:
    data = b"".join(r.to_bytes(2, "big") for r in regs)
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    return {
        "ABCD": data,
        "CDAB": b"".join(reversed(words)),
        "BADC": b"".join(w[::-1] for w in words),
        "DCBA": data[::-1],
    }[order]


def decode(point: dict, regs: list[int]) -> tuple[object, str]:
    typ, order = point["type"], point.get("order", "ABCD")
    if typ == "string":
        data = unorder(regs, "BADC" if order in ("BADC", "DCBA") else "ABCD")
        return data.decode("ascii").rstrip("\x00 "), "good"
    if typ == "bit":
        return bool((regs[0] >> point["bit"]) & 1), "good"
    if typ == "bool":
        return regs[0] != 0, "good"
    raw = struct.unpack(">" + FORMATS[typ], unorder(regs, order))[0]
    if point.get("sentinels") == "gencomm" and typ in ALL_ONES:
        for k, quality in GENCOMM.items():
            if raw == ALL_ONES[typ] - k:
                return None, quality
    return raw * point.get("scale", 1.0) + point.get("offset", 0.0), "good"


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(
            a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


def check_point(client: ModbusTcpClient, point: dict) -> None:
    unit, table, addr = point["unit_id"], point["table"], point["address"]
    name = f"{point['id']} (unit {unit} {table} {addr})"
    if table in ("coil", "discrete_input"):
        fn = client.read_coils if table == "coil" else client.read_discrete_inputs
        rsp = fn(addr, count=1, device_id=unit)
    else:
        fn = client.read_holding_registers if table == "holding" else client.read_input_registers
        rsp = fn(addr, count=width(point), device_id=unit)
    if rsp.isError():
        got = (None, "device_fault") if rsp.exception_code == 2 else (None, f"exception {rsp.exception_code}")
    elif table in ("coil", "discrete_input"):
        got = (rsp.bits[0], "good")
    else:
        got = decode(point, rsp.registers)
    want = (point["expected"], point["quality"])
    if not (same(got[0], want[0]) and got[1] == want[1]):
        fail(f"{name}: got {got!r}, map expects {want!r}")


def expect_exception(what: str, rsp, code: int) -> None:
    if not rsp.isError() or rsp.exception_code != code:
        fail(f"{what}: expected exception {code}, got {rsp!r}")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.jsonl"
        server = subprocess.Popen(
            [sys.executable, str(HERE / "pymodbus_server.py"), "--port", "0", "--record", str(record)],
            stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline() if server.stdout else ""
            if not line.startswith("LISTENING "):
                print(f"FAIL server did not report LISTENING, said {line!r}")
                return 1
            port = int(line.split()[1])
            client = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
            if not client.connect():
                print("FAIL cannot connect")
                return 1
            for point in MAP["points"]:
                check_point(client, point)
            # Outside the blocks: exception 2, also when a read only overlaps a block's end.
            expect_exception("holding 0 unit 1", client.read_holding_registers(0, count=1, device_id=1), 2)
            expect_exception("holding 1058 unit 1", client.read_holding_registers(1058, count=1, device_id=1), 2)
            expect_exception("holding 1050..1059 unit 1", client.read_holding_registers(1050, count=10, device_id=1), 2)
            expect_exception("holding 1407..1408 unit 1", client.read_holding_registers(1407, count=2, device_id=1), 2)
            expect_exception("holding 2100 unit 1", client.read_holding_registers(2100, count=1, device_id=1), 2)
            expect_exception("input 4 unit 1", client.read_input_registers(4, count=1, device_id=1), 2)
            expect_exception("coil 16 unit 1", client.read_coils(16, count=1, device_id=1), 2)
            expect_exception("discrete input 10..17 unit 1", client.read_discrete_inputs(10, count=8, device_id=1), 2)
            expect_exception("holding 10 unit 2", client.read_holding_registers(10, count=1, device_id=2), 2)
            # A whole block in one request works.
            rsp = client.read_holding_registers(2000, count=100, device_id=1)
            if rsp.isError() or len(rsp.registers) != 100:
                fail(f"holding 2000..2099 in one read: {rsp!r}")
            # Read-only device: writes are refused and change nothing.
            expect_exception("write holding 1024", client.write_register(1024, 1, device_id=1), 2)
            rsp = client.read_holding_registers(1024, count=1, device_id=1)
            if rsp.isError() or rsp.registers != [350]:
                fail(f"holding 1024 after refused write: {rsp!r}")
            client.close()
            # The recorder saw every request with its function code.
            deadline = time.monotonic() + 5
            while True:
                lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
                fcs = {json.loads(x)["fc"] for x in lines}
                if {1, 2, 3, 4, 6} <= fcs or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if not {1, 2, 3, 4, 6} <= fcs:
                fail(f"recorded function codes {sorted(fcs)} miss some of 1, 2, 3, 4, 6")
            units = {json.loads(x)["unit"] for x in lines}
            if units != {1, 2}:
                fail(f"recorded units {sorted(units)}, expected [1, 2]")
        finally:
            server.terminate()
            server.wait(timeout=10)
    if failures:
        print(f"pymodbus peer selftest FAILED ({len(failures)} problems)")
    else:
        print(f"pymodbus peer selftest ok ({len(MAP['points'])} points, exceptions, read-only, recorder)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
