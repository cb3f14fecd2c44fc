"""Bad input, oversized frames, slow readers (issue 2 limits)."""
import asyncio
import json
import socket

import websockets

from conftest import Client, logged_in, run, stalled_client


@run
async def test_malformed_json_gets_error_and_connection_stays(server):
    a, b = await logged_in(server, "alice", "bob")
    for bad in ["{not json", "[1,2,3]", '"just a string"', '{"action": "message"} trailing', "\xff\xfe"]:
        await a.send_raw(bad)
        err = await a.expect("error")
        assert err["username"] == "ChatServer" and "Invalid" in err["message"], (bad, err)
    await a.send(action="message", channel="lobby", message="still here")
    assert (await b.expect("message"))["message"] == "<p>still here</p>"


@run
async def test_wrong_field_type_gets_error(server):
    (a,) = await logged_in(server, "alice")
    await a.send(action="me", video="lots")
    err = await a.expect("error")
    assert "video" in err["message"] and "whole number" in err["message"]
    await a.send(action="message", channel=["lobby"], message="x")
    assert "channel" in (await a.expect("error"))["message"]


@run
async def test_unknown_action_is_unsupported(server):
    (a,) = await logged_in(server, "alice")
    await a.send(action="dance")
    assert (await a.expect("error"))["message"] == "Unsupported message type: dance"


@run
async def test_oversized_frame_closes_only_that_connection_with_1009(make_server):
    s = make_server(max_bytes=4096)
    a, b = await logged_in(s, "alice", "bob")
    await a.send(action="message", channel="lobby", message="x" * 5000)
    await a.ws.wait_closed()
    assert a.ws.close_code == 1009
    assert (await b.expect("presence", username="alice"))["message"] == "has exited the room!"
    c = await Client.connect(s)
    await c.login("carol")
    await b.send(action="message", channel="lobby", message="fine")
    assert (await c.expect("message"))["message"] == "<p>fine</p>"


@run
async def test_client_that_never_reads_is_dropped_while_others_chat(make_server):
    s = make_server(queue_limit=64)
    sender, good = await logged_in(s, "sender", "good")
    slow = await stalled_client(s, "slow")
    await good.expect("presence", username="slow")
    text = "y" * 3900
    total = 2000

    progress = {}

    async def read_all(client):
        got = []
        while len(got) < total:
            m = await client.expect("message", timeout=10)
            got.append(m["message"])
            progress[client] = len(got)
        return got
    readers = [asyncio.create_task(read_all(c)) for c in (sender, good)]
    for i in range(total):
        await sender.send(action="message", channel="lobby", message=f"{i} {text}")
        # The readers keep up, as browsers would; only the slow client falls behind.
        while i - min(progress.get(sender, 0), progress.get(good, 0)) > 16:
            await asyncio.sleep(0.001)
    # The server let go of the slow client (it left the room) without waiting for it.
    for _ in range(100):
        stats = json.loads((await asyncio.to_thread(s.http, "/api/statistics"))[2])
        if "slow" not in stats["Usernames"]:
            break
        await asyncio.sleep(0.05)
    assert sorted(stats["Usernames"]) == ["good", "sender"]
    # The slow client, reading at last, finds its stream ended with a policy-violation close.
    received = 0
    try:
        while True:
            await asyncio.wait_for(slow.ws.recv(), 10)
            received += 1
    except websockets.ConnectionClosed:
        pass
    # Everyone else still got every message, in order, and saw the slow client leave.
    for got in await asyncio.gather(*readers):
        assert [g.split(" ")[0] for g in got] == [f"<p>{i}" for i in range(total)]
    assert (await good.expect("presence", username="slow", timeout=10))["message"] == "has exited the room!"
    assert slow.ws.close_code == 1008
    assert slow.ws.close_reason == "connection too slow"
    assert received < total


@run
async def test_out_of_file_descriptors_pauses_accepting_and_recovers():
    # A server allowed 64 open files: connections beyond that wait in the backlog while accept
    # fails; the server says so in its log, keeps serving the connections it has, and accepts
    # again once descriptors are free.
    from conftest import Server, settings_text
    server = Server(settings_text(), fd_limit=64)
    socks = []
    try:
        a, b = await logged_in(server, "alice", "bob")
        for _ in range(80):
            s = socket.create_connection(("127.0.0.1", server.port))
            socks.append(s)
        deadline = asyncio.get_running_loop().time() + 5
        while "accept failed" not in server.output():
            assert asyncio.get_running_loop().time() < deadline, server.output()
            await asyncio.sleep(0.05)
        await a.send(action="message", channel="lobby", message="still serving")
        assert (await b.expect("message"))["message"] == "<p>still serving</p>"
        for s in socks:
            s.close()
        socks.clear()
        c = await Client.connect(server)
        assert (await c.login("carol"))["username"] == "carol"
        assert "accepting connections again" in server.output()
    finally:
        for s in socks:
            s.close()
        server.stop()
