"""Login sequence, names, who list, presence and leaving (protocol.md B.4)."""
from conftest import Client, logged_in, run


@run
async def test_login_sequence_me_who_presence_welcome(server):
    c = await Client.connect(server)
    await c.send(action="login", username="alice")
    msgs = []
    while len([m for m in msgs if m.get("action") == "error"]) < 3 or not any(m["action"] == "who" for m in msgs):
        msgs += [await c.expect(timeout=3)]
    actions = [m["action"] for m in msgs]
    assert actions[0] == "me" and msgs[0]["username"] == "alice"
    who = next(m for m in msgs if m["action"] == "who")
    entry = who["whoList"][0]
    assert entry["username"] == "alice" and entry["status"] == "online" and entry["video"] == 0
    assert entry["op"] is False and entry["loginAt"] > 1_600_000_000
    presence = next(m for m in msgs if m["action"] == "presence")
    assert presence == {"action": "presence", "username": "alice", "message": "has joined the room!"}
    welcome = [m for m in msgs if m["action"] == "error"]
    assert [(m["channel"], m["username"]) for m in welcome] == [
        ("lobby", "ChatServer"), ("lobby", "ChatServer"), ("offtopic", "ChatServer")]
    assert welcome[0]["message"] == "<p>Welcome to <strong>the lobby</strong>!</p>"
    # Welcome messages come after the presence line (protocol.md B.4 step 8).
    assert actions.index("presence") < actions.index("error")


@run
async def test_duplicate_names_are_numbered_and_empty_is_anonymous(server):
    a, b, c = [await Client.connect(server) for _ in range(3)]
    assert (await a.login("sam"))["username"] == "sam"
    assert (await b.login("sam"))["username"] == "sam 2"
    assert (await c.login("sam"))["username"] == "sam 3"
    d = await Client.connect(server)
    assert (await d.login("   "))["username"] == "anonymous"
    e = await Client.connect(server)
    assert (await e.login("  padded  "))["username"] == "padded"


@run
async def test_bad_names_are_refused_and_can_retry(server):
    c = await Client.connect(server)
    for bad, why in [("@root", "may not start with @"), ("a/b", "slash"), ("x" * 33, "too long"),
                     ("tab\u0007bell", "control characters")]:
        await c.send(action="login", username=bad)
        err = await c.expect("error")
        assert err["username"] == "ChatServer" and why in err["message"], err
    assert (await c.login("fine name"))["username"] == "fine name"


@run
async def test_username_length_limit_comes_from_settings(make_server):
    server = make_server(limits={"MaxUsernameLength": 8})
    c = await Client.connect(server)
    await c.send(action="login", username="ninechars")
    err = await c.expect("error")
    assert err["message"] == "Your username is too long: use at most 8 characters."
    assert (await c.login("eight888"))["username"] == "eight888"


@run
async def test_me_updates_everyones_who_list_including_old_booleans(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="me", video=1 | 2, status="away")
    alice = (await b.who_until(lambda w: w["alice"]["video"] != 0))["alice"]
    assert alice["video"] == 3 and alice["status"] == "away"
    assert alice["videoActive"] is True and alice["nsfw"] is True  # old clients read these
    # An old client sends the booleans instead of flags.
    await b.send(action="me", videoActive=True, nsfw=False)
    bob = (await a.who_until(lambda w: w["bob"]["video"] != 0))["bob"]
    assert bob["video"] == 1 and "nsfw" not in bob
    # A non-operator cannot go hidden: it becomes away.
    await b.send(action="me", status="hidden", video=1)
    bob = (await a.who_until(lambda w: w["bob"]["status"] != "online"))["bob"]
    assert bob["status"] == "away"


@run
async def test_leaving_broadcasts_exit_and_new_who_list(server):
    a, b = await logged_in(server, "alice", "bob")
    await b.close()
    assert (await a.expect("presence", username="bob"))["message"] == "has exited the room!"
    who = await a.expect("who")
    assert [e["username"] for e in who["whoList"]] == ["alice"]
    # The name is free again.
    c = await Client.connect(server)
    assert (await c.login("bob"))["username"] == "bob"


@run
async def test_who_list_is_sorted_and_converges_after_a_burst(server):
    names = [f"user{i:02d}" for i in range(30)]
    clients = [await Client.connect(server) for _ in names]
    for c, n in zip(clients, names):
        await c.send(action="login", username=n)
    for c in clients:
        while True:
            who = await c.expect("who", timeout=5)
            got = [e["username"] for e in who["whoList"]]
            if len(got) == len(names):
                assert got == sorted(names)
                break


@run
async def test_server_pings_on_its_interval(make_server):
    s = make_server(ping=1)
    c = await Client.connect(s)
    await c.login("pinged")
    assert await c.expect("ping", timeout=3) == {"action": "ping"}
    # The client may ping too; the server ignores it silently.
    await c.send(action="ping")
    assert not [m for m in await c.drain(0.3) if m["action"] == "error" and "channel" not in m]


@run
async def test_login_timeout_closes_idle_connections(make_server):
    s = make_server(login_timeout=1)
    c = await Client.connect(s)
    err = await c.expect("error", timeout=3)
    assert "did not log in in time" in err["message"]
    await c.ws.wait_closed()
    assert c.ws.close_code == 1008
