#!/usr/bin/env python3
"""A real SMTP server for driftvakt's tests (aiosmtpd, pinned in tests/run.sh).

    smtp_server.py --port P --maildir DIR [--host 127.0.0.1]

Accepts every message and writes it to DIR as one JSON file per message
({"mail_from", "rcpt_tos", "subject", "body", "received"}: subject and body decoded), written
atomically (temp file, then rename) so a test never reads half a message. Prints
"LISTENING <port>" once it accepts connections; runs until killed.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Saver:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "subject": str(msg.get("subject", "")),
            "body": body.get_content() if body is not None else "",
            "received": time.time(),
        }
        with self.lock:
            self.count += 1
            name = "%.6f-%04d.json" % (time.time(), self.count)
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.maildir, name))
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    args = ap.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    controller = Controller(Saver(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print("LISTENING %d" % args.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            stop.wait(1.0)
    except KeyboardInterrupt:
        pass
    controller.stop()


if __name__ == "__main__":
    main()
