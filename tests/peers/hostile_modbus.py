#!/usr/bin/env python3
"""A hostile Modbus TCP server (raw sockets, no Modbus library): each unit id misbehaves its own way.

Prints `LISTENING <port>` once it accepts connections. Answers read requests (function 3 and 4)
by unit id:

  1  short      byte count for the whole read, but only the first register's data
  2  wrong-tid  a correct reply carrying another transaction id
  3  silent     never answers
  4  good       a correct reply (register n holds n)
  5  few        a well-formed reply with one register fewer than asked for

Every request is counted per unit; `--counts FILE` rewrites FILE as JSON {"1": n, ...} after each.
"""

import argparse
import asyncio
import json
import struct

counts = {}
counts_path = None


def reply(tid, unit, fc, start, count):
    """The bytes to send for one request, or None for silence."""
    regs = [(start + k) & 0xFFFF for k in range(count)]
    if unit == 1:
        pdu = struct.pack(">BB", fc, 2 * count) + struct.pack(">H", regs[0])
    elif unit == 2:
        pdu = struct.pack(">BB", fc, 2 * count) + struct.pack(f">{count}H", *regs)
        tid = (tid + 1000) & 0xFFFF
    elif unit == 3:
        return None
    elif unit == 5:
        pdu = struct.pack(">BB", fc, 2 * (count - 1)) + struct.pack(f">{count - 1}H", *regs[:-1])
    else:
        pdu = struct.pack(">BB", fc, 2 * count) + struct.pack(f">{count}H", *regs)
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


async def serve(reader, writer):
    try:
        while True:
            head = await reader.readexactly(7)
            tid, _proto, length, unit = struct.unpack(">HHHB", head)
            pdu = await reader.readexactly(length - 1)
            counts[unit] = counts.get(unit, 0) + 1
            if counts_path:
                with open(counts_path, "w") as f:
                    json.dump({str(k): v for k, v in counts.items()}, f)
            fc = pdu[0]
            if fc not in (3, 4) or len(pdu) < 5:
                continue
            start, count = struct.unpack(">HH", pdu[1:5])
            out = reply(tid, unit, fc, start, count)
            if out is not None:
                writer.write(out)
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    global counts_path
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counts", default=None)
    args = parser.parse_args()
    counts_path = args.counts
    server = await asyncio.start_server(serve, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
