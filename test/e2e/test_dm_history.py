"""Optional DM history (server.md A.4 [DirectMessageHistory], D.3 /api/message/*): off by default
and then nothing is stored; when on, DMs go to SQLite, survive a restart, page back through
/api/message/history, are listed, cleared, taken back and purged; a broken database is logged and
the chat goes on."""
import asyncio
import os
import re
import shutil
import signal
import sqlite3
import tempfile
import time

import pytest

from conftest import Client, Server, post_json, run, settings_text, token

API_KEY = "dm-history-api-key"
DISCLAIMER = "<strong>Heads up:</strong> DMs are kept for a while."


def history_settings(db_path=None, retention=90, enabled=True):
    text = settings_text(jwt=True, strict=False, top={"AdminAPIKey": API_KEY})
    if db_path is not None:
        text += (f'\n[DirectMessageHistory]\nEnabled = {"true" if enabled else "false"}\n'
                 f'SQLiteDatabase = "{db_path}"\nRetentionDays = {retention}\nDisclaimerMessage = "{DISCLAIMER}"\n')
    return text


@pytest.fixture
def db_dir():
    d = tempfile.mkdtemp(prefix="barertc-dm-history-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


async def signed_in(server, *names):
    """Users signed in by token (the history APIs take the caller's chat token), seeing each other."""
    clients = []
    for n in names:
        c = await Client.connect(server)
        await c.login(n, jwt=token(n))
        clients.append(c)
    for c in clients:
        await c.who_until(lambda e: all(x.name in e for x in clients))
        await c.drain(0.05)
    return clients


async def dm(sender, to, text):
    """Sends a DM; returns its msgID (from the sender's own copy)."""
    await sender.send(action="message", channel="@" + to, message=text)
    return (await sender.expect("message", channel="@" + to, username=sender.name))["msgID"]


def history(server, caller, partner, before=0):
    return post_json(server, "/api/message/history", {"JWTToken": token(caller), "Username": partner, "BeforeID": before})


async def history_until(server, caller, partner, count, timeout=5.0):
    """The first page once `count` messages are stored (writes are batched off the chat)."""
    deadline = time.time() + timeout
    while True:
        status, body = await asyncio.to_thread(history, server, caller, partner)
        assert status == 200, body
        if len(body["Messages"]) + body["Remaining"] >= count or time.time() > deadline:
            return body
        await asyncio.sleep(0.05)


def stored_rows(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT message_id, channel_id, username, message, timestamp FROM direct_messages "
                          "ORDER BY message_id").fetchall()


@run
async def test_off_by_default_nothing_is_stored_and_the_apis_say_so():
    with Server(history_settings()) as s:
        alice, bob = await signed_in(s, "alice", "bob")
        await dm(alice, "bob", "not kept")
        await bob.expect("message", channel="@alice")
        assert not os.path.exists(os.path.join(s.dir, "database.sqlite"))
        assert [f for f in os.listdir(s.dir) if "sqlite" in f] == []
        for path, body in [("/api/message/history", {"JWTToken": token("alice"), "Username": "bob"}),
                           ("/api/message/usernames", {"JWTToken": token("alice")}),
                           ("/api/message/clear", {"JWTToken": token("alice")}),
                           ("/api/message/clear", {"APIKey": API_KEY, "Username": "alice"})]:
            status, reply = post_json(s, path, body)
            assert status == 400 and reply == {"OK": False, "Error": "Direct message history is not enabled on this server"}
        _, _, page = s.http("/")
        assert '"DirectMessageHistory":{"Enabled":false,"DisclaimerMessage":""}' in page


@run
async def test_dms_survive_a_restart_and_page_back(db_dir):
    db = os.path.join(db_dir, "history.sqlite")
    with Server(history_settings(db)) as s:
        alice, bob, carol = await signed_in(s, "alice", "bob", "carol")
        sent = []
        for i in range(25):
            sender, to = (alice, "bob") if i % 2 == 0 else (bob, "alice")
            sent.append(await dm(sender, to, f"line **{i}**"))
        await dm(carol, "alice", "from carol")
        await history_until(s, "alice", "bob", 25)
        _, _, page = s.http("/")
        assert '"DirectMessageHistory":{"Enabled":true' in page and "Heads up:" in page
    assert len(stored_rows(db)) == 26
    assert stored_rows(db)[0][1:3] == ("@alice:@bob", "alice")

    with Server(history_settings(db)) as s:
        alice, = await signed_in(s, "alice")
        status, first = await asyncio.to_thread(history, s, "alice", "bob")
        assert status == 200 and first["OK"] is True and "Error" not in first
        assert [m["msgID"] for m in first["Messages"]] == sent[::-1][:20]  # newest first
        assert first["Remaining"] == 5
        newest = first["Messages"][0]
        assert set(newest) == {"username", "message", "msgID", "timestamp"}
        assert newest["username"] == "alice" and "<strong>24</strong>" in newest["message"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", newest["timestamp"])
        status, second = await asyncio.to_thread(history, s, "alice", "bob", first["Messages"][-1]["msgID"])
        assert [m["msgID"] for m in second["Messages"]] == sent[4::-1] and second["Remaining"] == 0
        assert (await asyncio.to_thread(history, s, "alice", "nobody"))[1] == {"OK": True, "Messages": [], "Remaining": 0}

        # New msgIDs come after the stored ones, whatever the clock says.
        bob, = await signed_in(s, "bob")
        assert await dm(alice, "bob", "after the restart") > max(sent)

        status, names = post_json(s, "/api/message/usernames", {"JWTToken": token("alice"), "Sort": "a-z", "Page": 1})
        assert status == 200 and names == {"OK": True, "Usernames": ["bob", "carol"], "Count": 2, "Pages": 1}
        _, names = post_json(s, "/api/message/usernames", {"JWTToken": token("alice"), "Sort": "oldest"})
        assert names["Usernames"] == ["carol", "bob"]  # bob's thread had the newest message
        _, names = post_json(s, "/api/message/usernames", {"JWTToken": token("alice"), "Page": 2})
        assert names == {"OK": True, "Usernames": [], "Count": 2, "Pages": 1}


@run
async def test_clear_by_the_user_or_by_the_website(db_dir):
    db = os.path.join(db_dir, "history.sqlite")
    with Server(history_settings(db)) as s:
        alice, bob, carol = await signed_in(s, "alice", "bob", "carol")
        for _ in range(3):
            await dm(alice, "bob", "ab")
        await dm(carol, "bob", "cb")
        await dm(carol, "alice", "ca")
        await history_until(s, "carol", "alice", 1)
        await history_until(s, "bob", "carol", 1)
        await history_until(s, "bob", "alice", 3)
        # The user's own token: every DM they sent or received. They need not be online.
        await alice.close()
        status, reply = post_json(s, "/api/message/clear", {"JWTToken": token("alice")})
        assert status == 200 and reply == {"OK": True, "MessagesErased": 4}
        assert (await asyncio.to_thread(history, s, "bob", "alice"))[1]["Messages"] == []
        _, names = post_json(s, "/api/message/usernames", {"JWTToken": token("bob")})
        assert names["Usernames"] == ["carol"]
        # The website's APIKey and a username.
        status, reply = post_json(s, "/api/message/clear", {"APIKey": API_KEY, "Username": "carol"})
        assert status == 200 and reply == {"OK": True, "MessagesErased": 1}
        assert stored_rows(db) == []


@run
async def test_takeback_deletes_the_stored_message_even_after_a_restart(db_dir):
    db = os.path.join(db_dir, "history.sqlite")
    with Server(history_settings(db)) as s:
        alice, bob = await signed_in(s, "alice", "bob")
        gone = await dm(alice, "bob", "oops")
        kept = await dm(alice, "bob", "fine")
        old = await dm(alice, "bob", "regretted later")
        await history_until(s, "bob", "alice", 3)
        await alice.send(action="takeback", msgID=gone)
        await bob.expect("takeback", msgID=gone)
        body = await history_until(s, "bob", "alice", 0)
        for _ in range(50):
            if gone not in [m["msgID"] for m in body["Messages"]]:
                break
            await asyncio.sleep(0.05)
            body = (await asyncio.to_thread(history, s, "bob", "alice"))[1]
        assert [m["msgID"] for m in body["Messages"]] == [old, kept]

    with Server(history_settings(db)) as s:
        alice, bob = await signed_in(s, "alice", "bob")
        # A new session owns none of its old msgIDs: the database says whose they are.
        await bob.send(action="takeback", msgID=old)
        await bob.notice("That is not your message to take back")
        await alice.send(action="takeback", msgID=old)
        await bob.expect("takeback", msgID=old)
        for _ in range(50):
            if [r[0] for r in stored_rows(db)] == [kept]:
                break
            await asyncio.sleep(0.05)
        assert [r[0] for r in stored_rows(db)] == [kept]


@run
async def test_bad_calls_get_clear_json_errors(db_dir):
    with Server(history_settings(os.path.join(db_dir, "history.sqlite"))) as s:
        await signed_in(s, "alice")
        cases = [
            ("/api/message/clear", {"APIKey": "wrong", "Username": "alice"}, 401, "Authentication denied"),
            ("/api/message/clear", {"APIKey": API_KEY}, 400, "'Username' is missing"),
            ("/api/message/clear", {}, 400, "'JWTToken' is missing"),
            ("/api/message/history", {"JWTToken": token("alice")}, 400, "'Username' is missing"),
            ("/api/message/history", {"JWTToken": token("alice"), "Username": "bob", "BeforeID": "x"}, 400,
             "'BeforeID' must be a whole number of at least 0"),
            ("/api/message/history", {"JWTToken": token("alice"), "Username": "bob", "BeforeID": -1}, 400,
             "'BeforeID' must be a whole number of at least 0"),
            ("/api/message/usernames", {"JWTToken": token("alice"), "Sort": "up"}, 400,
             "'Sort' must be one of newest, oldest, a-z, z-a"),
            ("/api/message/usernames", {"JWTToken": token("alice"), "Page": 0}, 400,
             "'Page' must be a whole number of at least 1"),
            ("/api/message/usernames", {"JWTToken": token("alice", key="not-the-secret")}, 401, None),
            ("/api/message/history", {"JWTToken": token("mallory"), "Username": "alice"}, 403,
             "You are not logged into the chat room"),
            ("/api/message/usernames", {"JWTToken": token("mallory")}, 403, "You are not logged into the chat room"),
            ("/api/message/history", b"{not json", 400, "The request body is not a JSON object"),
        ]
        for path, body, status, error in cases:
            got_status, reply = post_json(s, path, body)
            assert (got_status, reply["OK"]) == (status, False), (path, body, reply)
            if error:
                assert reply["Error"] == error, (path, body, reply)
            else:
                assert reply["Error"].startswith("Invalid JWT token")
        status, reply = post_json(s, "/api/message/history", {"JWTToken": token("alice"), "Username": "bob"},
                                  content_type="text/plain")
        assert status == 400 and reply["Error"] == "Only application/json content-types allowed"


@run
async def test_retention_days_purge_old_messages_at_start_up(db_dir):
    db = os.path.join(db_dir, "history.sqlite")
    now = int(time.time())
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE direct_messages (message_id INTEGER PRIMARY KEY, channel_id TEXT, username TEXT, "
                  "message TEXT, timestamp INTEGER)")
        c.executemany("INSERT INTO direct_messages VALUES (?, ?, ?, ?, ?)", [
            (1, "@alice:@bob", "alice", "a year ago", now - 365 * 86400),
            (2, "@alice:@bob", "bob", "a month ago", now - 30 * 86400),
            (3, "@alice:@bob", "alice", "yesterday", now - 86400),
        ])
    with Server(history_settings(db, retention=7)) as s:
        assert [r[0] for r in stored_rows(db)] == [3]
        await signed_in(s, "alice")
        _, body = await asyncio.to_thread(history, s, "alice", "bob")
        assert [m["message"] for m in body["Messages"]] == ["yesterday"]
        assert "purged 2 message(s) older than 7 days" in s.output()
    with Server(history_settings(db, retention=0)) as s:  # 0 keeps everything
        assert [r[0] for r in stored_rows(db)] == [3]


@pytest.mark.parametrize("broken", ["corrupt file", "missing directory"])
@run
async def test_a_broken_database_is_logged_and_the_chat_goes_on(db_dir, broken):
    if broken == "corrupt file":
        db = os.path.join(db_dir, "history.sqlite")
        with open(db, "wb") as f:
            f.write(b"this is not a database" * 200)
    else:
        db = os.path.join(db_dir, "no", "such", "dir", "history.sqlite")
    with Server(history_settings(db)) as s:
        alice, bob = await signed_in(s, "alice", "bob")
        await dm(alice, "bob", "still delivered")
        assert (await bob.expect("message", channel="@alice"))["message"].startswith("<p>still delivered")
        await alice.send(action="message", channel="lobby", message="and the room works")
        await bob.expect("message", channel="lobby")
        status, reply = await asyncio.to_thread(history, s, "alice", "bob")
        assert status == 500 and reply["OK"] is False
        assert reply["Error"].startswith("The DM history database is not available: ")
        assert "cannot open the DM history database" in s.output()
        assert s.proc.poll() is None


@run
async def test_a_reload_turns_history_on_or_off_only_at_the_next_start(db_dir):
    db = os.path.join(db_dir, "history.sqlite")
    with Server(history_settings(db)) as s:
        with open(s.config, "w") as f:
            f.write(history_settings(db, enabled=False))
        s.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if "settings reloaded" in s.output():
                break
            await asyncio.sleep(0.05)
        assert "[DirectMessageHistory] Enabled and SQLiteDatabase apply at the next restart" in s.output()
        alice, bob = await signed_in(s, "alice", "bob")
        await dm(alice, "bob", "still kept")
        assert len((await history_until(s, "bob", "alice", 1))["Messages"]) == 1
        _, _, page = s.http("/")
        assert '"DirectMessageHistory":{"Enabled":true' in page
