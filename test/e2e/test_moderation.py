"""Operator commands typed as chat messages (issue 3, server.md C)."""
import asyncio

from conftest import Client, run, token


async def room(s, *guests):
    """alice is an operator (JWT op:true); the others are guests. Returns clients in that order."""
    op = await Client.connect(s)
    await op.login("", jwt=token("alice", op=True))
    out = [op]
    for g in guests:
        c = await Client.connect(s)
        await c.login(g)
        out.append(c)
    names = {"alice", *guests}
    for c in out:
        await c.who_until(lambda w: set(w) == names)
        await c.drain(0.05)
    return out


async def say(c, text):
    await c.send(action="message", channel="lobby", message=text)


async def reply(c):
    """The next ChatServer notice without a channel (command replies, not welcome messages)."""
    while True:
        m = await c.expect("error")
        if "channel" not in m:
            return m["message"]


@run
async def test_help_and_non_operators_slash_lines_are_ordinary_messages(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob = await room(s, "bob")
    await say(op, "/help")
    text = await reply(op)
    for cmd in ("/kick", "/ban", "/unban", "/bans", "/nsfw", "/cut"):
        assert cmd in text
    await say(op, "/help-advanced")
    assert "/kickall" in await reply(op)
    await say(bob, "/kick alice")
    m = await op.expect("message")
    assert m["username"] == "bob" and m["message"] == "<p>/kick alice</p>"
    # An operator's unknown command is an ordinary message too.
    await say(op, "/shrug hello")
    assert (await bob.expect("message", username="alice"))["message"] == "<p>/shrug hello</p>"


@run
async def test_kick(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob, carol, user2 = await room(s, "bob", "carol", "user 2")
    for bad in ("/kick", "/kick a b", "/kick @"):
        await say(op, bad)
        assert "Usage: <code>/kick &lt;username&gt;</code>" in await reply(op)
    await say(op, "/kick alice")
    assert await reply(op) == "You can not kick yourself."
    await say(op, "/kick ghost")
    assert await reply(op) == "User ghost is not online."
    await say(op, "/kick @bob")
    assert (await bob.expect("error"))["message"] == "You have been kicked from the chat room by alice."
    await bob.expect("disconnect")
    assert (await carol.expect("presence", username="bob"))["message"] == "has been kicked from the room!"
    assert "bob" not in await carol.who_until(lambda w: "bob" not in w)
    assert await reply(op) == "bob has been kicked from the room."
    await say(op, '/kick "user 2"')
    await user2.expect("disconnect")
    assert (await carol.expect("presence", username="user 2"))["message"] == "has been kicked from the room!"


@run
async def test_ban_outlives_reconnect_and_unban(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob, carol = await room(s, "bob", "carol")
    await say(op, "/ban bob lots")
    assert "Usage" in await reply(op)
    await say(op, "/ban bob 2")
    assert "You have been banned from the chat room by alice" in (await bob.expect("error"))["message"]
    await bob.expect("disconnect")
    assert (await carol.expect("presence", username="bob"))["message"] == "has been banned!"
    assert await reply(op) == "bob has been banned from the room for 2 hours."
    # Reconnecting does not help, and the message says how long remains.
    again = await Client.connect(s)
    await again.send(action="login", username="bob")
    msg = (await again.expect("error"))["message"]
    assert "You are currently banned" in msg and "1 hours and 59 minutes" in msg
    await again.expect("disconnect")
    # Offline users can be banned too; /bans lists both.
    await say(op, "/ban dave")
    assert await reply(op) == "dave has been banned from the room for 24 hours."
    await say(op, "/bans")
    listing = await reply(op)
    assert "<code>bob</code> banned until" in listing and "<code>dave</code> banned until" in listing
    await say(op, "/unban ghost")
    assert "could not find that user" in await reply(op)
    await say(op, "/unban bob")
    assert await reply(op) == "The ban on bob has been lifted."
    back = await Client.connect(s)
    assert (await back.login("bob"))["username"] == "bob"


@run
async def test_nsfw_and_cut(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob, carol = await room(s, "bob", "carol")
    for cmd in ("/nsfw", "/cut"):
        await say(op, cmd)  # the reference crashed here; we print usage
        assert "Usage" in await reply(op)
        await say(op, cmd + " bob")
        assert await reply(op) == "bob's camera is not on."
    await bob.send(action="me", video=1)
    await carol.who_until(lambda w: w["bob"]["video"] == 1)
    await say(op, "/nsfw bob")
    me = await bob.expect("me")
    assert me["username"] == "bob" and me["video"] == 3
    assert "marked as Explicit for you by @alice" in (await bob.expect("error"))["message"]
    assert (await carol.who_until(lambda w: w["bob"]["video"] == 3))["bob"]["nsfw"] is True
    assert await reply(op) == "bob's camera has been marked as Explicit."
    await say(op, "/nsfw bob")
    assert await reply(op) == "bob's camera is already marked as Explicit."
    await say(op, "/cut bob")
    assert await bob.expect("cut") == {"action": "cut"}
    assert await reply(op) == "Told bob to turn off their camera."


@run
async def test_op_and_deop(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob, carol = await room(s, "bob", "carol")
    await say(op, "/op bob")
    assert "granted operator rights" in (await bob.expect("error"))["message"]
    assert (await carol.who_until(lambda w: w["bob"]["op"]))["bob"]["op"] is True
    await say(bob, "/kick carol")
    await carol.expect("disconnect")
    await say(op, "/deop bob")
    await op.who_until(lambda w: not w["bob"]["op"])
    await say(bob, "/kick alice")
    assert (await op.expect("message", username="bob"))["message"] == "<p>/kick alice</p>"
    await say(op, "/deop alice")
    await op.expect("error", message="You can not remove your own operator rights.")


@run
async def test_kickall(make_server):
    s = make_server(jwt=True, strict=False, landing="https://www.example.com/chat")
    op, bob, carol = await room(s, "bob", "carol")
    await say(op, "/kickall")
    for c in (op, bob, carol):
        note = await c.expect("error", timeout=3)
        while "channel" in note:
            note = await c.expect("error")
        assert "Please reload the page" in note["message"] and "https://www.example.com/chat" in note["message"]
        await c.expect("disconnect")
    status, _, body = s.http("/api/statistics")
    assert '"UserCount":0' in body


@run
async def test_unclosed_quote_and_garbage_do_not_hurt(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob = await room(s, "bob")
    await say(op, '/kick "bob')
    assert await reply(op) == "That command has an unclosed quote."
    for junk in ("/ban", "/ban bob 0", "/ban bob 99999999999999999999", "/op", "/unban", "/kick \\"):
        await say(op, junk)
        await reply(op)
    await say(bob, "still fine")
    assert (await op.expect("message"))["message"] == "<p>still fine</p>"


@run
async def test_reconfigure_reports_a_broken_file_and_applies_a_good_one(make_server):
    s = make_server(jwt=True, strict=False)
    op, bob = await room(s, "bob")
    original = open(s.config).read()
    with open(s.config, "w") as f:
        f.write(original.replace('Title = "Test Chat"', "Title = [broken"))
    await say(op, "/reconfigure")
    report = await reply(op)
    assert report.startswith("Could not reload the settings; nothing was changed:") and "settings.toml:" in report
    assert '"Title":"Test Chat"' in s.http("/")[2]
    # A channel list change needs a restart and changes nothing.
    with open(s.config, "w") as f:
        f.write(original.replace('ID = "offtopic"', 'ID = "random"'))
    await say(op, "/reconfigure")
    assert "restart the server" in await reply(op)
    # A good file is applied: new welcome messages and title.
    with open(s.config, "w") as f:
        f.write(original.replace('Title = "Test Chat"', 'Title = "Renamed Chat"')
                        .replace('"Be kind."', '"Be very kind."'))
    await say(op, "/reconfigure")
    assert (await reply(op)).startswith("The settings were reloaded from")
    assert '"Title":"Renamed Chat"' in s.http("/")[2]
    late = await Client.connect(s)
    await late.login("late")
    welcome = await late.expect("error", channel="lobby", message="<p>Be very kind.</p>")
    assert welcome["username"] == "ChatServer"
    # Non-operators cannot reconfigure.
    await say(bob, "/reconfigure")
    assert (await op.expect("message", username="bob"))["message"] == "<p>/reconfigure</p>"


@run
async def test_sighup_reloads_settings(make_server):
    import signal
    s = make_server()
    original = open(s.config).read()
    with open(s.config, "w") as f:
        f.write(original.replace('Title = "Test Chat"', 'Title = "After HUP"'))
    s.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        if '"Title":"After HUP"' in s.http("/")[2]:
            break
        await asyncio.sleep(0.05)
    assert '"Title":"After HUP"' in s.http("/")[2]
    assert s.proc.poll() is None
