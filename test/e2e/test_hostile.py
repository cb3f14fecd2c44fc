"""Hostile input and faults: every limit and every kind of bad input, over real sockets. Each test
also checks that a bystander on the same server keeps receiving lobby messages afterwards."""
import asyncio
import html
import json
import time

import websockets

from conftest import (Client, RawWS, assert_inert, assert_lobby_alive, assert_plain, assert_received_inert,
                      http_raw, logged_in, run, token)


async def room(server):
    """A bystander and a talker (a healthy client that keeps chatting), both in the lobby."""
    return await logged_in(server, "bystander", "talker")


async def closed_with(client, timeout=5):
    await asyncio.wait_for(client.ws.wait_closed(), timeout)
    return client.ws.close_code, client.ws.close_reason


# -- A. Limits ------------------------------------------------------------------------------------


@run
async def test_inbound_message_over_max_message_bytes_closes_1009(make_server):
    s = make_server(max_bytes=4096)
    bystander, talker = await room(s)
    (a,) = [await Client.connect(s)]
    await a.login("big")
    await a.send(action="message", channel="lobby", message="x" * 5000)
    assert (await closed_with(a))[0] == 1009
    await assert_lobby_alive(bystander, talker)


@run
async def test_text_over_max_text_length_gets_chatserver_error(server):
    bystander, talker = await room(server)
    a = await Client.connect(server)
    await a.login("wordy")
    await a.send(action="message", channel="lobby", message="y" * 4001)
    err = await a.notice("too long")
    assert err["username"] == "ChatServer"
    assert not [m for m in await bystander.drain(0.2) if m.get("action") == "message"]
    await assert_lobby_alive(bystander, talker)


@run
async def test_bad_usernames_are_refused_with_a_reason(server):
    bystander, talker = await room(server)
    cases = {"x" * 33: "too long", "@admin": "start with @", "a/b": "slash", "bell\x07": "control",
             "<b>bold</b>": "may not contain", "tom&jerry": "may not contain", 'say"hi': "may not contain"}
    for name, why in cases.items():
        c = await Client.connect(server)
        await c.send(action="login", username=name)
        err = await c.expect("error")
        assert why in err["message"], (name, err)
        assert_inert(err["message"])
        assert not [m for m in await c.drain(0.1) if m["action"] == "me"]
        await c.close()
    await assert_lobby_alive(bystander, talker)


@run
async def test_rate_limit_warns_then_disconnects_sustained_abuse(make_server):
    s = make_server(rate_limit=2, rate_burst=3)
    bystander, talker = await room(s)
    spammer = await Client.connect(s)
    await spammer.login("spammer")
    for i in range(40):
        try:
            await spammer.send(action="message", channel="lobby", message=f"spam {i}")
        except websockets.ConnectionClosed:
            break
    assert await spammer.until_closed() == (1008, "rate limit exceeded")
    assert any("too quickly" in m["message"] for m in spammer.inbox if m.get("action") == "error")
    got = [m for m in await bystander.drain(0.3) if m.get("action") == "message"]
    assert 1 <= len(got) <= 4  # the burst got through, the rest did not
    await asyncio.sleep(0.6)   # the talker's own bucket is unaffected
    await assert_lobby_alive(bystander, talker)


@run
async def test_max_connections_per_ip_closes_the_extra_socket_1008(make_server):
    s = make_server(limits={"MaxConnectionsPerIP": 4})
    bystander, talker = await room(s)
    a = await Client.connect(s)
    b = await Client.connect(s)
    extra = await Client.connect(s)  # the upgrade succeeds; the close tells the page why
    assert await closed_with(extra) == (1008, "too many connections from your address")
    await a.close()
    await asyncio.sleep(0.2)
    again = await Client.connect(s)  # a freed slot can be used again
    await again.login("again")
    assert (await bystander.expect("presence", username="again"))["message"] == "has joined the room!"
    await b.login("b")
    await assert_lobby_alive(bystander, talker)


@run
async def test_max_connections_per_ip_counts_the_forwarded_address_behind_a_proxy(make_server):
    s = make_server(top={"UseXForwardedFor": True}, limits={"MaxConnectionsPerIP": 1})
    bystander = await Client.connect(s, extra_headers={"X-Real-IP": "10.0.0.1"})
    await bystander.login("bystander")
    talker = await Client.connect(s, extra_headers={"X-Forwarded-For": "10.0.0.2, 127.0.0.1"})
    await talker.login("talker")
    again = await Client.connect(s, extra_headers={"X-Real-IP": "10.0.0.2"})
    assert await closed_with(again) == (1008, "too many connections from your address")
    other = await Client.connect(s, extra_headers={"X-Real-IP": "10.0.0.3"})
    await other.login("other")
    await bystander.expect("presence", username="other")
    await assert_lobby_alive(bystander, talker)


@run
async def test_login_timeout_tells_and_closes_1008(make_server):
    s = make_server(login_timeout=1)
    bystander, talker = await room(s)
    lurker = await Client.connect(s)
    assert await lurker.until_closed(timeout=4) == (1008, "login timeout")
    assert any("did not log in in time" in m["message"] for m in lurker.inbox if m["action"] == "error")
    await assert_lobby_alive(bystander, talker)


@run
async def test_idle_timeout_cuts_off_a_peer_that_answers_nothing(make_server):
    s = make_server(limits={"IdleTimeout": 1}, ping=60)
    bystander, talker = await room(s)
    start = time.monotonic()

    def silent_peer():
        ws = RawWS(s)
        assert ws.status == 101
        frames = []
        try:
            while True:
                frames.append(ws.recv_frame())  # never answers, not even the ping
        except EOFError:
            return frames, time.monotonic() - start
    frames, after = await asyncio.to_thread(silent_peer)
    assert (0x9, b"") in frames  # it was pinged first
    assert 1.5 <= after <= 6, after
    # A client that answers pings (as browsers do) stays connected while silent.
    quiet = await Client.connect(s)
    await quiet.login("quiet")
    await asyncio.sleep(3.5)
    assert quiet.ws.open
    await quiet.drain(0.1)
    await assert_lobby_alive(bystander, talker)
    await assert_lobby_alive(quiet, talker, "quiet one still here")


@run
async def test_http_headers_over_max_header_bytes_get_431(make_server):
    s = make_server(limits={"MaxHeaderBytes": 2048})
    bystander, talker = await room(s)
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"j" * 4000 + b"\r\n\r\n"
    status, body = await asyncio.to_thread(http_raw, s, req)
    assert status == 431 and "MaxHeaderBytes" in body and "2048" in body
    assert (await asyncio.to_thread(http_raw, s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))[0] == 200
    await assert_lobby_alive(bystander, talker)


@run
async def test_http_body_over_max_body_bytes_gets_413(make_server):
    s = make_server(limits={"MaxBodyBytes": 1000})
    bystander, talker = await room(s)
    body = b"jwt=" + b"a" * 5000
    req = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    status, text = await asyncio.to_thread(http_raw, s, req)
    assert status == 413 and "MaxBodyBytes" in text and "1000" in text
    chunked = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
               b"".join(b"200\r\n" + b"b" * 0x200 + b"\r\n" for _ in range(4)) + b"0\r\n\r\n")
    assert (await asyncio.to_thread(http_raw, s, chunked))[0] == 413
    await assert_lobby_alive(bystander, talker)


@run
async def test_missing_wrong_typed_and_unknown_fields_get_chatserver_errors(server):
    bystander, talker = await room(server)
    a = await Client.joined(server, "alice")
    cases = [
        ({"action": "message", "message": "no channel"}, "needs a channel"),
        ({"action": "message", "channel": "lobby"}, "empty"),
        ({"action": "message", "channel": "nowhere", "message": "x"}, "no channel called"),
        ({"action": "message", "channel": 5, "message": "x"}, "'channel' must be a string"),
        ({"action": "message", "channel": "lobby", "message": {"nested": 1}}, "'message' must be a string"),
        ({"action": "message", "channel": "@", "message": "x"}, "Name a user"),
        ({"action": "message", "channel": "@nobody", "message": "x"}, "appears not to be online"),
        ({"action": "open"}, "needs a username"),
        ({"action": "open", "username": "nobody"}, "appears to be offline"),
        ({"action": "open", "username": "bystander"}, "not currently enabled"),
        ({"action": "sdp", "username": "nobody", "description": "v=0"}, "appear to be offline"),
        ({"action": "candidate"}, "needs a username"),
        ({"action": "watch", "username": ["x"]}, "'username' must be a string"),
        ({"action": "me", "video": "lots"}, "whole number"),
        ({"action": "me", "dnd": "yes"}, "true or false"),
        ({"action": "me", "video": 1e300}, "whole number"),
        ({"action": 7}, "'action' must be a string"),
        ({}, "Unsupported message type"),
        ({"action": "login", "username": "again"}, "already logged in"),
        ({"action": "message", "channel": "lobby", "message": "x", "usernames": [1, 2]}, "array of strings"),
    ]
    for msg, why in cases:
        await a.send_raw(json.dumps(msg))
        err = await a.expect("error")
        assert err["username"] == "ChatServer" and why in html.unescape(err["message"]), (msg, err)
        assert_inert(err["message"])
    # A login with the wrong type, on a fresh connection.
    b = await Client.connect(server)
    await b.send_raw(json.dumps({"action": "login", "username": 12}))
    assert "'username' must be a string" in html.unescape((await b.expect("error"))["message"])
    # Nothing leaked into the lobby, and alice still works.
    assert not [m for m in await bystander.drain(0.2) if m.get("action") == "message"]
    await a.send(action="message", channel="lobby", message="fine")
    assert (await bystander.expect("message", username="alice"))["message"] == "<p>fine</p>"
    await assert_lobby_alive(bystander, talker)


@run
async def test_commands_before_login_are_refused(server):
    bystander, talker = await room(server)
    c = await Client.connect(server)
    for action in ("message", "me", "open", "sdp", "candidate", "watch", "unwatch"):
        await c.send(action=action, channel="lobby", username="talker", message="x")
        assert (await c.expect("error"))["message"] == "You must log in first."
    await assert_lobby_alive(bystander, talker)


@run
async def test_binary_frames_get_a_chatserver_error_and_the_connection_stays(server):
    bystander, talker = await room(server)
    a = await Client.joined(server, "binary")
    await a.ws.send(b"\x00\x01\x02binary")
    await a.ws.send(json.dumps({"action": "message", "channel": "lobby", "message": "as bytes"}).encode())
    for _ in range(2):
        err = await a.expect("error")
        assert err["username"] == "ChatServer" and "Binary frames are not supported" in err["message"]
    assert not [m for m in await bystander.drain(0.2) if m.get("action") == "message"]
    await a.send(action="message", channel="lobby", message="after binary")
    assert (await bystander.expect("message", username="binary"))["message"] == "<p>after binary</p>"
    await assert_lobby_alive(bystander, talker)


@run
async def test_invalid_utf8_in_a_text_frame_closes_1007(server):
    bystander, talker = await room(server)

    def send_bad(payload, fragments=False):
        ws = RawWS(server)
        ws.send_json(action="login", username="utf8")
        if fragments:
            ws.send_frame(0x1, payload[:3], fin=False)
            ws.send_frame(0x0, payload[3:])
        else:
            ws.send_frame(0x1, payload)
        code = ws.close_frame()
        ws.close()
        return code
    for bad in [b'{"action":"message","channel":"lobby","message":"\xff\xfe"}', b"\xc0\xaf", b"\xed\xa0\x80",
                b'{"action":"message","channel":"lobby","message":"\xf4\x90\x80\x80"}']:
        code, reason = await asyncio.to_thread(send_bad, bad)
        assert code == 1007 and "UTF-8" in reason, bad
    assert (await asyncio.to_thread(send_bad, b'{"a":"\xe2\x82', True))[0] == 1007
    msgs = [m for m in await bystander.drain(0.3) if m.get("action") == "message"]
    assert not msgs
    await assert_lobby_alive(bystander, talker)


@run
async def test_a_lone_surrogate_escape_is_refused_and_never_relayed(server):
    # RapidJSON refuses a lone high surrogate, but would turn a lone low one ("\udd23") into bytes
    # that are not UTF-8; relayed in a text frame, every browser that received them would have to
    # drop its connection.
    bystander, talker = await room(server)
    a = await Client.joined(server, "mallory")
    for text in ["a\\udd23b", "\\udfff", "\\ud800\\u0041"]:
        await a.send_raw('{"action":"message","channel":"lobby","message":"' + text + '"}')
        err = await a.expect("error")
        assert err["username"] == "ChatServer" and "Invalid JSON" in err["message"], (text, err)
    assert not [m for m in await bystander.drain(0.3) if m.get("action") == "message"]
    # A proper pair still goes through, and the sender's connection stays.
    await a.send_raw('{"action":"message","channel":"lobby","message":"\\ud83d\\ude00"}')
    assert (await bystander.expect("message", username="mallory"))["message"] == "<p>\U0001F600</p>"
    await assert_lobby_alive(bystander, talker)


@run
async def test_deeply_nested_json_does_not_overflow_the_stack(make_server):
    s = make_server(max_bytes=4 * 1024 * 1024)
    bystander, talker = await room(s)
    a = await Client.joined(s, "nester")
    for deep, why in [("[" * 100000, "Invalid JSON"), ("[" * 100000 + "]" * 100000, "expected a JSON object"),
                      ('{"a":' * 100000 + "1" + "}" * 100000, "Unsupported message type"),
                      ('{"action":"message","channel":"lobby","message":"x","whoList":' + "[" * 200000 +
                       "]" * 200000 + "}", "array of objects"),
                      ('{"action":"dance","messages":' + '[{"messages":' * 50000 + "[]" + "}]" * 50000 + "}",
                       "Unsupported message type")]:
        await a.send_raw(deep)
        err = await a.expect("error", timeout=10)
        assert err["username"] == "ChatServer" and why in err["message"], (why, err)
    assert s.proc.poll() is None
    await a.send(action="message", channel="lobby", message="survived")
    assert (await bystander.expect("message", username="nester"))["message"] == "<p>survived</p>"
    await assert_lobby_alive(bystander, talker)


@run
async def test_huge_json_is_handled(make_server):
    s = make_server(max_bytes=4 * 1024 * 1024)
    bystander, talker = await room(s)
    a = await Client.connect(s)
    await a.login("huge")
    # Three megabytes of text: over MaxTextLength.
    await a.send(action="message", channel="lobby", message="h" * 3_000_000)
    await a.notice("too long", timeout=10)
    # A million array elements and a hundred thousand unknown keys: read, ignored, answered.
    await a.send_raw(json.dumps({"action": "message", "channel": "lobby", "message": "ok",
                                 "usernames": ["u"] * 500000}))
    assert (await bystander.expect("message", username="huge", timeout=10))["message"] == "<p>ok</p>"
    await a.send_raw(json.dumps({"action": "me", **{f"k{i}": i for i in range(100000)}}))
    await a.send_raw(json.dumps({"action": "message", "channel": "lobby", "message": "x", "bytes": [256] * 100000}))
    await a.notice("array of bytes", timeout=10)
    await a.send_raw('{"action":"message","channel":"lobby","message":"' + "\\u0000" * 200000 + '"}')
    await a.drain(0.5)
    assert s.proc.poll() is None
    await assert_lobby_alive(bystander, talker)


# -- C. HTML and script injection -------------------------------------------------------------------

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](data:image/png;base64,iVBORw0KGgo=)",
    "![pic](x\" onerror=\"alert(1))",
    "![pic](javascript:alert(1))",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<javascript:alert(1)>",
    "<https://ok.example/\"onmouseover=\"alert(1)>",
    "www.example.com/\"><svg/onload=alert(1)>",
    "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "<details open ontoggle=alert(1)>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"data:text/html,<script>alert(1)</script>\">",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<<script>script>alert(1)<</script>/script>",
    "<!--><script>alert(1)</script>-->",
    "`code` <img src=`x` onerror=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
]


NOTHING_LEFT = "nothing left to show once unsafe HTML was taken out"


async def delivered_or_refused(sender, receiver, **fields):
    """The receiver's copy of what the sender just sent, or None when the sanitiser left nothing
    of it (the sender alone is told, and nothing reaches the receiver)."""
    while True:
        m = await sender.expect()
        if m.get("action") == "error" and not m.get("channel"):  # (welcome notices carry a channel)
            assert NOTHING_LEFT in m["message"], m
            return None
        if m.get("action") == "message" and m.get("username") == sender.name:
            return await receiver.expect("message", **fields)


@run
async def test_injection_in_public_messages_reaches_others_inert(server):
    bystander, talker = await room(server)
    mallory = await Client.connect(server)
    await mallory.login("mallory")
    assert len(VECTORS) >= 20
    refused = 0
    for v in VECTORS:
        await mallory.send(action="message", channel="lobby", message=v)
        got = await delivered_or_refused(mallory, bystander, username="mallory")
        if got is None:
            refused += 1
        else:
            assert_inert(got["message"], v)
    assert 0 < refused < len(VECTORS)  # "<script>…" alone leaves nothing; most leave inert text
    assert not [m for m in await bystander.drain(0.2) if m.get("action") == "message"]
    # Legitimate links still work.
    await mallory.send(action="message", channel="lobby", message="[site](https://ok.example/a?b=1)")
    got = await bystander.expect("message", username="mallory")
    assert 'href="https://ok.example/a?b=1"' in got["message"]
    await assert_lobby_alive(bystander, talker)


@run
async def test_injection_in_direct_messages_reaches_the_recipient_inert(server):
    bystander, talker = await room(server)
    mallory = await Client.connect(server)
    await mallory.login("mallory")
    for v in VECTORS:
        await mallory.send(action="message", channel="@bystander", message=v)
        got = await delivered_or_refused(mallory, bystander, username="mallory", channel="@mallory")
        if got is not None:
            assert_inert(got["message"], v)
    await assert_lobby_alive(bystander, talker)


@run
async def test_injection_in_usernames_is_refused_or_plain(server):
    bystander, talker = await room(server)
    for v in VECTORS + ["x<y", "a>b", "&lt;script&gt;"]:
        c = await Client.connect(server)
        await c.send(action="login", username=v[:32])
        got = await c.drain(0.15)
        assert_received_inert(got, f"login {v!r}")
        if any(m["action"] == "me" for m in got):  # accepted: shown to others as plain text
            assert_plain(next(m for m in got if m["action"] == "me")["username"])
        await c.close()
    seen = await bystander.drain(0.3)
    assert_received_inert(seen, "bystander")
    await assert_lobby_alive(bystander, talker)


@run
async def test_injection_in_channel_and_target_fields_is_escaped(make_server):
    # Mallory sends ~200 frames before she reads an answer: a send queue that holds them all, so a
    # slow test machine (or a sanitizer build) does not see her dropped as a slow reader instead.
    server = make_server(queue_limit=4096)
    bystander, talker = await room(server)
    mallory = await Client.connect(server)
    await mallory.login("mallory")
    for v in VECTORS:
        await mallory.send(action="message", channel=v, message="hello")
        await mallory.send(action="message", channel="@" + v, message="hello")
        await mallory.send(action="open", username=v)
        await mallory.send(action="sdp", username=v, description="v=0")
        await mallory.send(action="me", status=v)
    got = await mallory.drain(0.5)
    assert len([m for m in got if m["action"] == "error"]) >= 4 * len(VECTORS)
    assert_received_inert(got, "mallory")
    seen = await bystander.drain(0.3)
    assert not [m for m in seen if m.get("action") == "message"]
    assert_received_inert(seen, "bystander")
    await assert_lobby_alive(bystander, talker)


BAD_URLS = [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", "  javascript:alert(1)", "\tjavascript:alert(1)",
    "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "data:image/svg+xml,<svg onload=alert(1)>",
    "//evil.example/a.png", "/\\evil.example/a.png", "https://ok.example/a.png\" onerror=\"alert(1)",
    "/avatar.png\"><script>alert(1)</script>", "https://ok.example/<svg onload=alert(1)>",
    "&#106;avascript:alert(1)", "file:///etc/passwd", "java\nscript:alert(1)",
]


@run
async def test_injection_in_token_claims_avatar_profile_nick(make_server):
    s = make_server(jwt=True, strict=False)
    bystander, talker = await room(s)
    for i, (url, v) in enumerate(zip(BAD_URLS * 3, VECTORS)):
        c = await Client.connect(s)
        name = f"tok{i}"
        await c.login("ignored", jwt=token(name, img=url, url=url, nick=v, emoji=v, gender=v[:20]))
        who = await bystander.who_until(lambda w: name in w)
        entry = who[name]
        assert "avatar" not in entry and "profileURL" not in entry, (url, entry)
        assert_received_inert([{"whoList": [entry]}], f"claims {url!r} / {v!r}")
        await c.close()
        await bystander.who_until(lambda w: name not in w)
    # A subject that is markup is refused like any other name.
    c = await Client.connect(s)
    await c.send(action="login", jwt=token("<img src=x onerror=alert(1)>"))
    await c.notice("may not contain")
    # Good URLs are kept.
    ok = await Client.connect(s)
    await ok.login("x", jwt=token("goodurls", img="/a.png", url="https://ok.example/u"))
    entry = (await bystander.who_until(lambda w: "goodurls" in w))["goodurls"]
    assert entry["avatar"] == "https://www.example.com/a.png" and entry["profileURL"] == "https://ok.example/u"
    assert_received_inert(await bystander.drain(0.2), "bystander")
    await assert_lobby_alive(bystander, talker)

