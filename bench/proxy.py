#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# proxy.py: a TCP proxy on 127.0.0.1 for the benchmarks (never for tests). Every chunk is
# forwarded --delay-ms later in its direction (so a round trip costs twice that), and per
# connection it counts: round trips (the server answering after the client sent: each is a
# client flight that waited for a reply; a last flight nobody answers, such as close_notify,
# is not one), the TLS records and bytes the client sent, and the chunks that arrived. One JSON line per
# connection is appended to --stats. Prints {"port": N}; stops when stdin closes.
import argparse
import asyncio
import json
import os
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--to", type=int, required=True)
ap.add_argument("--delay-ms", type=float, default=0)
ap.add_argument("--stats", required=True)
args = ap.parse_args()
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
DELAY = args.delay_ms / 1000.0


class Conn:
    def __init__(self):
        self.last = None  # "c" or "s": who sent last
        self.flights = 0
        self.records = 0
        self.bytes = 0
        self.chunks = 0
        self.rec_buf = b""
        self.rec_left = 0  # bytes of the current record body still to come

    def server_data(self):
        if self.last == "c":
            self.flights += 1
        self.last = "s"

    def client_data(self, data):
        self.last = "c"
        self.bytes += len(data)
        self.chunks += 1
        # Count TLS records: 5-byte headers, then the body.
        i = 0
        while i < len(data):
            if self.rec_left > 0:
                take = min(self.rec_left, len(data) - i)
                self.rec_left -= take
                i += take
                continue
            need = 5 - len(self.rec_buf)
            self.rec_buf += data[i:i + need]
            i += need
            if len(self.rec_buf) == 5:
                self.records += 1
                self.rec_left = int.from_bytes(self.rec_buf[3:5], "big")
                self.rec_buf = b""


async def pump(reader, writer, conn, side):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.create_task(sender())
    while True:
        data = await reader.read(1 << 20)
        if not data:
            break
        if side == "c":
            conn.client_data(data)
        else:
            conn.server_data()
        queue.put_nowait((loop.time() + DELAY, data))
    queue.put_nowait((0, None))
    await task


async def handle(creader, cwriter):
    conn = Conn()
    start = time.monotonic()
    sreader, swriter = await asyncio.open_connection("127.0.0.1", args.to)
    try:
        await asyncio.gather(pump(creader, swriter, conn, "c"), pump(sreader, cwriter, conn, "s"))
    except (OSError, ConnectionError):
        pass
    finally:
        for w in (cwriter, swriter):
            try:
                w.close()
            except OSError:
                pass
    with open(args.stats, "a") as f:
        f.write(json.dumps({"round_trips": conn.flights, "records": conn.records, "bytes": conn.bytes,
                            "chunks": conn.chunks, "seconds": time.monotonic() - start}) + "\n")


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
