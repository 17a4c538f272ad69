#!/usr/bin/env python3
"""Holds the write lock of a SQLite database, like an operator's `sqlite3` shell left in a write
transaction or a backup tool: the store becomes unable to commit until this process is killed.

    sqlite_lock.py DB_FILE

Uses Python's own sqlite3 module (not driftvakt's SQLite). Prints "LISTENING 0" (the start line
every peer prints, see tests/support/mod.rs) once it holds the lock; holds it until killed.
"""

import sqlite3
import sys
import time


def main():
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
    conn.execute("BEGIN IMMEDIATE")
    print("LISTENING 0", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
