"""JWT sign-in: strict and mixed modes, claims, the page, takeover, refreshed tokens (issue 3)."""
import asyncio
import json
import re
import time
import urllib.parse

from conftest import Client, run, token


async def refused(server, tok, **extra):
    c = await Client.connect(server)
    await c.send(action="login", username="whoever", jwt=tok, **extra)
    err = await c.expect("error")
    assert not [m for m in await c.drain(0.2) if m["action"] == "me"]
    return err["message"]


@run
async def test_valid_token_with_every_claim(make_server):
    s = make_server(jwt=True)
    c = await Client.connect(s)
    tok = token("alice", op=True, img="/avatars/alice.png", url="https://site.example/u/alice", nick="Ally",
                vip=True, emoji="🦊 fox", gender="f", rules=["redcam"], iss="site.example")
    me = await c.login("ignored-name", jwt=tok)
    assert me["username"] == "alice"
    who = await c.who_until(lambda w: "alice" in w)
    a = who["alice"]
    assert a["op"] is True and a["vip"] is True and a["nickname"] == "Ally"
    assert a["avatar"] == "https://www.example.com/avatars/alice.png"
    assert a["profileURL"] == "https://site.example/u/alice"
    assert a["emoji"] == "🦊" and a["gender"] == "f"


@run
async def test_bad_avatar_schemes_are_dropped(make_server):
    s = make_server(jwt=True)
    c = await Client.connect(s)
    await c.login("x", jwt=token("mallory", img="javascript:alert(1)", url="data:text/html,<script>x</script>"))
    m = (await c.who_until(lambda w: "mallory" in w))["mallory"]
    assert "avatar" not in m and "profileURL" not in m


def bad_tokens():
    return [
        (token(key="another-key"), "signature does not match"),
        (token(alg="HS512"), "not signed with HS256"),
        (token(alg="none"), "not signed with HS256"),
        (token(expires_in=-60), "Your authentication has expired"),
        (token(nbf=int(time.time()) + 3600), "not valid yet"),
        (token(iat=int(time.time()) + 3600), "issued in the future"),
        (token(sub=None), "no subject"),
        ("garbage", "malformed"),
    ]


@run
async def test_strict_mode_refuses_each_bad_token_and_says_why(make_server):
    s = make_server(jwt=True, strict=True)
    for tok, why in bad_tokens() + [("", "no token was given")]:
        msg = await refused(s, tok)
        assert why in msg, (tok, msg)
    # Refused connections stay usable: the same socket can try again with a good token.
    c = await Client.connect(s)
    await c.send(action="login", jwt=token(key="wrong"))
    await c.expect("error")
    assert (await c.login("", jwt=token("bob")))["username"] == "bob"


@run
async def test_mixed_mode_tokens_get_claims_guests_get_no_flair(make_server):
    s = make_server(jwt=True, strict=False)
    a = await Client.connect(s)
    assert (await a.login("whatever", jwt=token("alice", op=True, img="/a.png")))["username"] == "alice"
    g = await Client.connect(s)
    assert (await g.login("guest"))["username"] == "guest"
    who = await g.who_until(lambda w: len(w) == 2)
    assert who["alice"]["op"] is True and who["alice"]["avatar"].endswith("/a.png")
    assert who["guest"]["op"] is False and "avatar" not in who["guest"]
    # The same bad tokens are refused in mixed mode too (the visitor can come back as a guest).
    for tok, why in bad_tokens():
        msg = await refused(s, tok)
        assert why in msg, (tok, msg)


@run
async def test_jwt_disabled_means_guests_only(server):
    c = await Client.connect(server)
    me = await c.login("guestname", jwt=token("alice", op=True))
    assert me["username"] == "guestname"
    who = await c.who_until(lambda w: "guestname" in w)
    assert who["guestname"]["op"] is False


def page_config(body):
    m = re.search(r"window\.BareRTC = (\{.*?\});</script>", body)
    assert m, body[:300]
    return json.loads(m.group(1))


def test_page_get_and_post_carry_the_verified_token(make_server):
    s = make_server(jwt=True, strict=True)
    tok = token("alice", op=True, nick="Ally")
    status, _, body = s.http("/?jwt=" + urllib.parse.quote(tok))
    assert status == 200
    cfg = page_config(body)
    assert cfg["JWT"]["Valid"] is True and cfg["JWT"]["Token"] == tok
    assert cfg["JWT"]["Claims"]["sub"] == "alice" and cfg["JWT"]["Claims"]["nick"] == "Ally"
    assert cfg["Title"] == "Test Chat" and [c["ID"] for c in cfg["PublicChannels"]] == ["lobby", "offtopic"]
    assert "e2e-secret-key" not in body
    status, _, body = s.http("/", method="POST", data=("jwt=" + urllib.parse.quote(tok)).encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and page_config(body)["JWT"]["Claims"]["sub"] == "alice"
    # Strict: no token, or a bad one, is refused at the page.
    status, _, body = s.http("/")
    assert status == 403 and "Authentication denied" in body
    status, _, body = s.http("/?jwt=" + token(key="other"))
    assert status == 403 and "signature" in body
    status, _, body = s.http("/?jwt=not-a-token")
    assert status == 403 and body.startswith("Error parsing your JWT token")


def test_strict_page_redirects_to_the_landing_page(make_server):
    s = make_server(jwt=True, strict=True, landing="https://www.example.com/login")
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"http://127.0.0.1:{s.port}/", timeout=5)
        assert False, "expected a redirect"
    except urllib.error.HTTPError as e:
        assert e.code == 302 and e.headers["Location"] == "https://www.example.com/login"


def test_mixed_page_serves_guests_and_script_safe_config(make_server):
    s = make_server(jwt=True, strict=False)
    status, _, body = s.http("/")
    assert status == 200 and page_config(body)["JWT"]["Valid"] is False
    # Claims cannot break out of the <script> element.
    status, _, body = s.http("/?jwt=" + urllib.parse.quote(token("x", nick="</script><script>alert(1)</script>")))
    assert status == 200 and "</script><script>alert(1)" not in body
    assert page_config(body)["JWT"]["Claims"]["nick"] == "</script><script>alert(1)</script>"


@run
async def test_second_login_with_token_takes_the_name_over(make_server):
    s = make_server(jwt=True)
    old = await Client.connect(s)
    await old.login("", jwt=token("alice"))
    watcher = await Client.connect(s)
    await watcher.login("", jwt=token("bob"))
    new = await Client.connect(s)
    assert (await new.login("", jwt=token("alice")))["username"] == "alice"
    note = await old.expect("error", message="You have been signed out of chat because you logged in from another "
                                             "location.")
    assert "channel" not in note
    await old.expect("disconnect")
    who = await watcher.who_until(lambda w: "alice" in w)
    assert sorted(who) == ["alice", "bob"]
    # The old session is no longer alice: its messages are refused, the new one chats.
    await old.send(action="message", channel="lobby", message="from the old tab")
    await old.expect("error", message="You must log in first.")
    await new.send(action="message", channel="lobby", message="from the new tab")
    assert (await watcher.expect("message"))["message"] == "<p>from the new tab</p>"
    # When the old socket finally closes, alice stays online.
    await old.close()
    await asyncio.sleep(0.3)
    assert not [m for m in await watcher.drain(0.2) if m.get("message") == "has exited the room!"]


@run
async def test_ping_carries_a_fresh_token_that_works_after_the_original_expired(make_server):
    s = make_server(jwt=True, ping=1)
    original = token("alice", expires_in=3, rules=["novideo"])
    c = await Client.connect(s)
    await c.login("", jwt=original)
    ping = await c.expect("ping", timeout=3)
    fresh = ping["jwt"]
    assert fresh != original
    assert ping["jwtRules"] == {"IsNoVideoRule": True, "IsNoImageRule": False, "IsNoBroadcastRule": True,
                                "IsRedCamRule": False, "IsNoDarkVideoRule": False}
    import jwt as pyjwt
    claims = pyjwt.decode(fresh, "e2e-secret-key", algorithms=["HS256"])  # independent check
    assert claims["sub"] == "alice" and claims["rules"] == ["novideo"]
    assert 280 <= claims["exp"] - time.time() <= 301
    await asyncio.sleep(3.5)
    assert "Your authentication has expired" in await refused(s, original)
    again = await Client.connect(s)
    assert (await again.login("", jwt=fresh))["username"] == "alice"
