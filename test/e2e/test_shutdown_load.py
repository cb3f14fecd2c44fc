"""Shutdown under load: SIGTERM while hundreds of users are connected, some flooding the lobby and
one not reading at all (README "Running under systemd": SIGTERM closes every WebSocket with 1001
and exits 0 within 2 s)."""
import asyncio
import os
import re
import signal
import socket
import time

import websockets

from conftest import Client, run, stalled_client

USERS = 300
FLOODERS = 10
# Messages per second per flooder (three times the default RateLimit; the test runs with none):
# 300 deliveries per message, so 90 k frames a second for the Python clients to read. Much more
# and these clients fall seconds behind: their close frame then still sits in the server's kernel
# send buffer when the process exits, and the exit resets the connection (see the comment at the
# end). A flooder also waits while IN_FLIGHT of its messages have not come back to it, so a slow
# server (a sanitizer build) is not buried either.
FLOOD_RATE = 30
IN_FLIGHT = 5


async def connect_and_login(server, name):
    c = await Client.connect(server)
    await c.login(name)
    return c


async def read_until_closed(client, counts):
    """Reads (and drops) everything, as a browser would, until the server closes the socket.
    Counts the frames, and the client's own lobby messages coming back (client.back)."""
    own = f'"username":"{client.name}"'
    client.back = 0
    try:
        async for raw in client.ws:
            counts[client] = counts.get(client, 0) + 1
            if raw.startswith('{"action":"message"') and own in raw:
                client.back += 1
    except websockets.ConnectionClosed:
        pass


async def flood(client, stop):
    """Posts lobby messages at up to FLOOD_RATE per second, at most IN_FLIGHT unanswered."""
    i = 0
    start = time.monotonic()
    try:
        while not stop.is_set():
            if i - client.back >= IN_FLIGHT:
                await asyncio.sleep(0.005)
                continue
            await client.send(action="message", channel="lobby", message=f"flood {client.name} {i}")
            i += 1
            await asyncio.sleep(max(0, start + i / FLOOD_RATE - time.monotonic()))
    except websockets.ConnectionClosed:
        pass
    return i


@run
async def test_sigterm_under_load_closes_every_websocket_with_1001_and_exits_0(make_server):
    # Queues big enough that nobody is dropped as "too slow" (1008) before the signal: this test is
    # about what shutdown does to full queues, not about the slow-client limit.
    s = make_server(queue_limit=1_000_000, queue_bytes=512 * 1024 * 1024)
    clients = []
    for start in range(0, USERS, 50):
        clients += await asyncio.gather(*(connect_and_login(s, f"user{i}") for i in range(start, start + 50)))

    # One client that stops reading after login.
    stuck = await stalled_client(s, "stuck")

    counts = {}
    readers = [asyncio.create_task(read_until_closed(c, counts)) for c in clients]
    # Fill its pipe: 2000 DMs of 4000 characters (8 MB) is more than the kernel buffers between
    # the server and it hold (4 MiB of send buffer at most), so the server's write to it blocks
    # and the rest waits in its send queue.
    for i in range(2000):
        await clients[-1].send(action="message", channel="@stuck", message=f"{i} " + "z" * 3990)
    backlog = 0
    for _ in range(200):
        metrics = s.http("/metrics")[2]
        backlog = int(re.search(r"^barertc_send_queue_high_water (\d+)", metrics, re.M).group(1))
        if backlog >= 500:
            break
        await asyncio.sleep(0.05)
    if "TSAN_OPTIONS" in os.environ:
        # A ThreadSanitizer build renders these DMs about a hundred times more slowly; the client
        # is then merely slow, and the rest of the test still holds.
        print(f"the never-reading client's queue reached {backlog} frames before the signal")
    else:
        assert backlog >= 500, f"the stuck client's send queue did not back up ({backlog} frames)"
    stop = asyncio.Event()
    flooders = [asyncio.create_task(flood(c, stop)) for c in clients[:FLOODERS]]
    # Let the flood build up backlogs in the server's send queues.
    await asyncio.sleep(1.5)
    assert all(not r.done() for r in readers), "someone was disconnected before the signal"
    assert sum(counts.values()) > USERS * FLOODERS, f"the flood did not get going: {sum(counts.values())} frames"

    signalled = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    done, pending = await asyncio.wait(readers, timeout=5)
    closed_at = time.monotonic() - signalled
    stop.set()
    sent = sum(await asyncio.gather(*flooders))
    assert not pending, f"{len(pending)} of {USERS} reading clients not closed 5 s after SIGTERM"
    codes = {}
    for c in clients:
        codes[c.ws.close_code] = codes.get(c.ws.close_code, 0) + 1
    # Every client that reads, flooders included, is told why: 1001 "going away".
    assert codes == {1001: USERS}, f"close codes of the reading clients: {codes}"
    assert all(c.ws.close_reason == "server shutting down" for c in clients)

    # The server process is gone within a few seconds, with status 0.
    status = await asyncio.get_running_loop().run_in_executor(None, s.proc.wait, 5)
    exited_at = time.monotonic() - signalled
    assert status == 0, s.output()[-3000:]
    assert exited_at < 4, f"exited {exited_at:.1f} s after SIGTERM"
    print(f"{sent} flood messages sent; all {USERS} readers closed with 1001 within {closed_at:.2f} s; "
          f"server exited 0 after {exited_at:.2f} s")

    # The client that never read cannot be sent a close frame: its socket buffers are full, the
    # server's write to it never completes, and its 1001 waits behind that write. The server gives
    # up on it after its 1.5 s grace period and exits; the kernel then closes the socket. Once that
    # client reads again it gets what was already in the pipe and then the end of the connection,
    # without a close frame (1006), or a reset if the kernel gave up on the orphaned socket. That is
    # all anyone can promise a client that does not read (the same holds for one that has fallen
    # seconds behind). What matters is that it neither delays the exit past the grace period nor
    # keeps the others from getting their 1001.
    async def drain_stuck():
        try:
            while True:
                await stuck.ws.recv()
        except websockets.ConnectionClosed:
            pass
    await asyncio.wait_for(drain_stuck(), 10)
    assert stuck.ws.close_code in (1001, 1006), stuck.ws.close_code
    print(f"the client that never read saw close code {stuck.ws.close_code}")
