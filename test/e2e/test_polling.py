"""The polling transport, POST /poll (protocol.md B.8): sessions, chat with WebSocket users, errors,
the timeout and the full queue, over the real server."""
import asyncio
import json
import re
import urllib.error
import urllib.request

from conftest import Client, run

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def post_poll(server, body, content_type="application/json", method="POST"):
    """One request to /poll; (status, decoded JSON body). `body` is an object or raw bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/poll", data=data,
                                 headers={"Content-Type": content_type}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Poller:
    """A polling client: keeps every message its polls return, in order."""

    def __init__(self, server):
        self.server = server
        self.username = ""
        self.session_id = ""
        self.inbox = []

    async def request(self, body, **kw):
        return await asyncio.to_thread(post_poll, self.server, body, **kw)

    async def login(self, name, **extra):
        status, r = await self.request({"msg": {"action": "login", "username": name, **extra}})
        assert status == 200, r
        assert UUID.match(r["session_id"]), r
        self.session_id = r["session_id"]
        self.inbox += r["messages"]
        me = await self.expect("me")
        self.username = me["username"]
        return me, r

    async def poll(self, msg=None):
        status, r = await self.request({"username": self.username, "session_id": self.session_id,
                                        "msg": msg or {"action": "ping"}})
        assert status == 200, r
        self.inbox += r["messages"]
        return r

    async def expect(self, action, timeout=5.0, **fields):
        """The first message (already received or from further polls) that matches."""
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        while True:
            for i, m in enumerate(self.inbox):
                if m.get("action") == action and all(m.get(k) == v for k, v in fields.items()):
                    return self.inbox.pop(i)
            if loop.time() > deadline:
                raise AssertionError(f"no {action} {fields} within {timeout}s; got {self.inbox}")
            if self.username:
                await self.poll()
            else:
                await asyncio.sleep(0.05)

    async def who_until(self, predicate, timeout=5.0):
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        while True:
            who = await self.expect("who", timeout=max(deadline - loop.time(), 0.01))
            entries = {e["username"]: e for e in who["whoList"]}
            if predicate(entries):
                return entries


@run
async def test_login_over_poll_gets_a_session_me_and_who(server):
    p = Poller(server)
    me, first = await p.login("pollster")
    assert me["username"] == "pollster" == p.username
    assert first["username"] == "pollster"
    await p.who_until(lambda e: "pollster" in e)
    # The welcome notices come the same way as over a WebSocket.
    await p.expect("error", username="ChatServer", channel="lobby")
    # Later polls return the same session.
    r = await p.poll()
    assert r["session_id"] == p.session_id and r["username"] == "pollster"


@run
async def test_polling_and_websocket_users_chat_both_ways(server):
    p = Poller(server)
    await p.login("poller")
    ws = await Client.connect(server)
    await ws.login("socket")
    await ws.who_until(lambda e: {"poller", "socket"} <= set(e))
    await p.who_until(lambda e: {"poller", "socket"} <= set(e))

    # Public messages, both ways.
    await p.poll({"action": "message", "channel": "lobby", "message": "hello from *polling*"})
    m = await ws.expect("message", channel="lobby", username="poller")
    assert m["message"] == "<p>hello from <em>polling</em></p>"
    await p.expect("message", channel="lobby", username="poller")  # the sender's own copy
    await ws.send(action="message", channel="lobby", message="hello back")
    m = await p.expect("message", channel="lobby", username="socket")
    assert m["message"] == "<p>hello back</p>"

    # DMs, both ways.
    await p.poll({"action": "message", "channel": "@socket", "message": "psst"})
    m = await ws.expect("message", channel="@poller")
    assert m["message"] == "<p>psst</p>" and m["username"] == "poller"
    await ws.send(action="message", channel="@poller", message="hi there")
    m = await p.expect("message", channel="@socket", username="socket")
    assert m["message"] == "<p>hi there</p>"


async def watched_poller(make_server, name, timeout):
    """A server with PollTimeout = `timeout`, a WebSocket user, and a polling user `name`."""
    server = make_server(limits={"PollTimeout": timeout})
    ws = await Client.joined(server, "watcher")
    p = Poller(server)
    await p.login(name)
    return ws, p


@run
async def test_polling_user_leaving_by_silence_has_timed_out(make_server):
    ws, p = await watched_poller(make_server, "sleepy", 2)
    await ws.expect("presence", username="sleepy", message="has joined the room!")
    # No more polls: the session is removed and the others are told.
    await ws.expect("presence", timeout=8, username="sleepy", message="has timed out!")
    await ws.who_until(lambda e: "sleepy" not in e)
    # A poll after that finds no session.
    r = await p.poll()
    assert [m["action"] for m in r["messages"]] == ["error", "disconnect"]


@run
async def test_a_polling_session_kept_alive_by_pings_stays(make_server):
    ws, p = await watched_poller(make_server, "awake", 3)
    for _ in range(10):  # about 5 s of polls, longer than the timeout (a poll is held 1 s at most)
        await p.poll()
        await asyncio.sleep(0.3)
    assert not [m for m in await ws.drain(0.2) if m.get("action") == "presence" and m["username"] == "awake"
                and m["message"] != "has joined the room!"]
    await p.poll({"action": "message", "channel": "lobby", "message": "still here"})
    await ws.expect("message", username="awake")


@run
async def test_wrong_session_pair_gets_chatserver_error_and_disconnect(server):
    p = Poller(server)
    await p.login("owner")
    for body in ({"username": "intruder", "session_id": p.session_id, "msg": {"action": "ping"}},
                 {"username": "owner", "session_id": "00000000-0000-4000-8000-000000000000", "msg": {"action": "ping"}}):
        status, r = await p.request(body)
        assert status == 200, r
        actions = [m["action"] for m in r["messages"]]
        assert actions == ["error", "disconnect"], r
        assert r["messages"][0]["username"] == "ChatServer"
    # The real owner's session is untouched.
    r = await p.poll({"action": "message", "channel": "lobby", "message": "mine"})
    await p.expect("message", username="owner")


@run
async def test_only_one_of_username_and_session_id_is_a_400(server):
    p = Poller(server)
    await p.login("half")
    for body in ({"username": "half", "msg": {"action": "ping"}},
                 {"session_id": p.session_id, "msg": {"action": "ping"}}):
        status, r = await p.request(body)
        assert status == 400 and r["OK"] is False
        assert "username" in r["Error"] and "session_id" in r["Error"]


@run
async def test_bad_requests_get_clear_errors(server):
    status, r = post_poll(server, {"msg": {"action": "login", "username": "x"}}, content_type="text/plain")
    assert status == 400 and "application/json" in r["Error"]
    status, r = post_poll(server, {"msg": {"action": "login", "username": "x"}},
                          content_type="application/json; charset=utf-8")
    assert status == 400 and "application/json" in r["Error"]
    status, r = post_poll(server, b"{not json")
    assert status == 400 and r["Error"].startswith("Invalid JSON")
    status, r = post_poll(server, b"[1, 2]")
    assert status == 400 and "object" in r["Error"]
    status, r = post_poll(server, {"username": 5, "session_id": "x"})
    assert status == 400 and "'username' must be a string" in r["Error"]
    status, r = post_poll(server, {"msg": "login"})
    assert status == 400 and "'msg'" in r["Error"]
    # The first request must be a login.
    status, r = post_poll(server, {"msg": {"action": "message", "channel": "lobby", "message": "hi"}})
    assert status == 400 and "login" in r["Error"]
    # Only POST.
    status, r = post_poll(server, b"", method="GET")
    assert status == 405
    # A body over MaxBodyBytes (1 MiB by default) is refused in JSON, and the server goes on.
    status, r = post_poll(server, json.dumps({"msg": {"action": "login", "username": "big",
                                                      "message": "x" * (2 << 20)}}).encode())
    assert status == 413 and "MaxBodyBytes" in r["Error"]
    p = Poller(server)
    await p.login("afterwards")


@run
async def test_a_full_queue_removes_the_session(make_server):
    server = make_server(limits={"PollQueueLimit": 12})
    p = Poller(server)
    await p.login("lagging")
    await p.who_until(lambda e: "lagging" in e)
    ws = await Client.connect(server)
    await ws.login("chatty")
    await ws.who_until(lambda e: "lagging" in e)
    # The poller stops polling while more than its queue holds arrives.
    for i in range(20):
        await ws.send(action="message", channel="lobby", message=f"line {i}")
    await ws.expect("presence", username="lagging", message="has exited the room!")
    await ws.who_until(lambda e: "lagging" not in e)
    # Its next poll hears why, then the session is gone.
    r = await p.poll()
    actions = [m["action"] for m in r["messages"]]
    assert actions == ["error", "disconnect"], r
    assert "poll" in r["messages"][0]["message"]
    r = await p.poll()
    assert [m["action"] for m in r["messages"]] == ["error", "disconnect"]
    assert "not found" in r["messages"][0]["message"]


@run
async def test_jwt_polling_user_gets_a_fresh_token_in_pings(make_server):
    from conftest import token
    server = make_server(jwt=True, ping=1)
    p = Poller(server)
    me, _ = await p.login("", jwt=token("tokenuser"))
    assert p.username == "tokenuser"
    ping = await p.expect("ping", timeout=5)
    assert ping["jwt"] and "IsNoVideoRule" in ping["jwtRules"]


@run
async def test_server_stops_cleanly_with_polling_sessions_open(server):
    import signal
    p = Poller(server)
    await p.login("lastone")
    held = asyncio.ensure_future(p.request({"username": p.username, "session_id": p.session_id}))
    await asyncio.sleep(0.1)  # a poll is held, waiting for news
    server.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(server.proc.wait, 10) == 0
    try:
        await held  # answered or cut off; either way the client is not left hanging
    except OSError:
        pass
