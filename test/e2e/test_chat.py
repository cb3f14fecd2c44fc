"""Public channels, DMs, Markdown safety, webcam signalling (protocol.md B.2, B.5)."""
import json

from conftest import Client, logged_in, run


@run
async def test_public_message_reaches_everyone_with_one_msgid(server):
    a, b, c = await logged_in(server, "alice", "bob", "carol")
    await a.send(action="message", channel="lobby", message="hello *all*")
    got = [await x.expect("message") for x in (a, b, c)]
    assert all(m == got[0] for m in got)
    m = got[0]
    assert m["channel"] == "lobby" and m["username"] == "alice"
    assert m["message"] == "<p>hello <em>all</em></p>"
    assert isinstance(m["msgID"], int) and m["msgID"] > 0
    await b.send(action="message", channel="offtopic", message="second")
    m2 = await c.expect("message")
    assert m2["channel"] == "offtopic" and m2["msgID"] > m["msgID"]


@run
async def test_message_to_unknown_channel_is_an_error_for_the_sender_only(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="nowhere", message="hi")
    err = await a.expect("error")
    assert err["username"] == "ChatServer" and "nowhere" in err["message"]
    assert not [m for m in await b.drain(0.3) if m["action"] == "message"]


@run
async def test_dm_goes_to_both_parties_only(server):
    a, b, c = await logged_in(server, "alice", "bob", "carol")
    await a.send(action="message", channel="@bob", message="secret")
    mine = await a.expect("message")
    theirs = await b.expect("message")
    assert mine["channel"] == "@bob" and theirs["channel"] == "@alice"
    assert mine["username"] == theirs["username"] == "alice"
    assert mine["message"] == theirs["message"] == "<p>secret</p>"
    assert mine["msgID"] == theirs["msgID"]
    # The reply comes back on the same thread, and carol sees none of it.
    await b.send(action="message", channel="@alice", message="got it")
    assert (await a.expect("message"))["channel"] == "@bob"
    assert (await b.expect("message"))["channel"] == "@alice"
    assert not [m for m in await c.drain(0.4) if m["action"] == "message"]


@run
async def test_dm_to_offline_user_gets_chatserver_error(server):
    (a,) = await logged_in(server, "alice")
    await a.send(action="message", channel="@ghost", message="are you there?")
    copy = await a.expect("message")
    assert copy["channel"] == "@ghost"
    err = await a.expect("error")
    assert err["message"] == "Could not deliver your message: @ghost appears not to be online."


@run
async def test_dm_thread_survives_partner_reconnect(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="@bob", message="one")
    await b.expect("message")
    await b.close()
    await a.expect("presence", username="bob")
    b2 = await Client.connect(server)
    await b2.login("bob")
    await a.send(action="message", channel="@bob", message="two")
    got = await b2.expect("message")
    assert got["message"] == "<p>two</p>" and got["channel"] == "@alice"


@run
async def test_script_injection_in_messages_stays_inert(server):
    a, b = await logged_in(server, "alice", "bob")
    vectors = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "![x](javascript:alert(1))",
        "<svg onload=alert(1)>",
        "<iframe src=//evil></iframe>",
        "[x](vbscript:msgbox(1))",
        "<div style=\"background:url(javascript:alert(1))\">",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ]
    for v in vectors:
        await a.send(action="message", channel="lobby", message=v)
        first = await a.expect()
        while first["action"] not in ("error", "message"):
            first = await a.expect()
        if first["action"] == "error":  # nothing was left: only the sender is told
            assert "nothing left to show" in first["message"]
            continue
        html = (await b.expect("message"))["message"].lower()
        for bad in ("<script", "<img src=x", "javascript:", "vbscript:", "<svg", "<iframe", "onerror", "onload",
                    "<div"):
            assert bad not in html, (v, html)


@run
async def test_links_open_in_new_tab_with_nofollow(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="lobby", message="see https://example.com/x and [y](https://y.example)")
    html = (await b.expect("message"))["message"]
    assert html.count('target="_blank" rel="nofollow noopener"') == 2
    assert 'href="https://example.com/x"' in html


@run
async def test_long_message_is_refused(server):
    (a,) = await logged_in(server, "alice")
    await a.send(action="message", channel="lobby", message="x" * 4001)
    assert "too long" in (await a.expect("error"))["message"]


@run
async def test_open_rings_the_broadcaster_and_answers_the_viewer(server):
    viewer, cam = await logged_in(server, "viewer", "cam")
    await cam.send(action="me", video=1)
    await viewer.expect("who")
    await viewer.send(action="open", username="cam")
    ring = await cam.expect("ring")
    opened = await viewer.expect("open")
    assert ring["username"] == "viewer" and opened["username"] == "cam"
    assert ring["openSecret"] == opened["openSecret"]
    assert len(ring["openSecret"]) == 16 and ring["openSecret"].isalpha() and ring["openSecret"].islower()


@run
async def test_open_refused_when_camera_off_or_user_offline(server):
    viewer, cam = await logged_in(server, "viewer", "cam")
    await viewer.send(action="open", username="cam")
    assert (await viewer.expect("error"))["message"] == \
        "Could not open that video: Their video is not currently enabled."
    await viewer.send(action="open", username="nobody")
    assert "appears to be offline" in (await viewer.expect("error"))["message"]
    assert not [m for m in await cam.drain(0.3) if m["action"] == "ring"]


@run
async def test_signalling_is_relayed_byte_for_byte_with_sender_name(server):
    a, b = await logged_in(server, "alice", "bob")
    # Key order and unicode must survive: Safari breaks when the candidate JSON is rewritten.
    candidate = json.dumps({"sdpMid": "0", "candidate": "candidate:1 1 UDP 2122 10.0.0.1 5000 typ host",
                            "usernameFragment": "ü→x", "sdpMLineIndex": 0}, ensure_ascii=False)
    description = json.dumps({"type": "offer", "sdp": "v=0\r\no=- 46 2 IN IP4 127.0.0.1\r\ns=-\r\n"})
    await a.send(action="candidate", username="bob", candidate=candidate)
    got = await b.expect("candidate")
    assert got == {"action": "candidate", "username": "alice", "candidate": candidate}
    await b.send(action="sdp", username="alice", description=description)
    got = await a.expect("sdp")
    assert got == {"action": "sdp", "username": "bob", "description": description}
    await a.send(action="watch", username="bob")
    assert await b.expect("watch") == {"action": "watch", "username": "alice"}
    await a.send(action="unwatch", username="bob")
    assert await b.expect("unwatch") == {"action": "unwatch", "username": "alice"}
    # Unknown targets are dropped silently.
    await a.send(action="candidate", username="nobody", candidate=candidate)
    assert not [m for m in await a.drain(0.3) if m["action"] == "error"]
