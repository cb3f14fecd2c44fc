"""Scale-out (issue 14): three server processes and one redis-server on loopback act as one room.

One Redis and three nodes per module (CI time is limited); each test uses names of its own.
Skipped only when redis-server is missing (scripts/install-deps.sh installs it)."""
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Client, Server, free_port, post_json, run, settings_text, token

API_KEY = "cluster-admin-key"

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
REDIS = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (scripts/install-deps.sh installs it)")


class Redis:
    """A redis-server of our own: loopback, a free port, a temp dir, nothing saved."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="barertc-redis-")
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "redis.log"), "a")
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.log.close()


class Balancer:
    """HAProxy on loopback, round robin over the nodes, WebSockets passed through."""

    def __init__(self, nodes):
        self.dir = tempfile.mkdtemp(prefix="barertc-haproxy-")
        self.port = free_port()
        servers = "".join(f"  server n{i} 127.0.0.1:{n.port}\n" for i, n in enumerate(nodes, 1))
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("global\n  maxconn 2000\n"
                    "defaults\n  mode http\n  timeout connect 2s\n  timeout client 1h\n  timeout server 1h\n"
                    "  timeout tunnel 1h\n"
                    f"frontend chat\n  bind 127.0.0.1:{self.port}\n  default_backend nodes\n"
                    f"backend nodes\n  balance roundrobin\n{servers}")
        self.log = open(os.path.join(self.dir, "haproxy.log"), "w")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", cfg], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("haproxy did not start")

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.log.close()


class CuttableProxy:
    """A TCP proxy in front of Redis for one node: `cut` closes its connections and refuses new
    ones (that node alone loses Redis), `restore` lets it in again."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.conns = []
        self.restore()

    def restore(self):
        self.sock = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, sock):
        while True:
            try:
                client, _ = sock.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.conns = []


def node_settings(redis, name, prefix="e2e:", receiver=None, **kw):
    text = settings_text(jwt=True, strict=False, **kw).replace(
        'WelcomeMessages = ["Off topic here."]', 'WelcomeMessages = ["Off topic here."]\nEchoMessagesOnJoin = 5')
    text = text.replace('WebSocketSendTimeout = 10', f'WebSocketSendTimeout = 10\nAdminAPIKey = "{API_KEY}"')
    if receiver:
        text += f'\n[[WebhookURLs]]\nName = "report"\nEnabled = true\nURL = "http://127.0.0.1:{receiver.port}/report"\n'
    return text + (
        f'\n[Cluster]\nEnabled = true\nRedisURL = "redis://127.0.0.1:{redis.port}/0"\n'
        f'NodeName = "{name}"\nKeyPrefix = "{prefix}"\n')


@pytest.fixture(scope="module")
def redis():
    r = Redis()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def nodes(redis, receiver):
    started = [Server(node_settings(redis, f"n{i}", receiver=receiver)) for i in (1, 2, 3)]
    yield started
    for s in started:
        s.stop()


async def join(server, name, **extra):
    c = await Client.connect(server)
    await c.login(name, **extra)
    return c


async def see_all(clients, names=None, timeout=5.0):
    """Every client's who list shows every name (the cluster's roster has settled)."""
    names = names or [c.name for c in clients]
    for c in clients:
        await c.who_until(lambda e: all(n in e for n in names), timeout=timeout)
    for c in clients:
        await c.drain(0.05)


async def chat_message(c, text, timeout=5.0, **fields):
    return await c.expect("message", timeout=timeout, message=f"<p>{text}</p>", **fields)


def test_cluster_section_is_checked(tmp_path):
    bad = settings_text() + '\n[Cluster]\nEnabled = true\nRedisURL = "http://example.com"\nBogus = 1\n'
    path = tmp_path / "settings.toml"
    path.write_text(bad)
    from conftest import BINARY
    out = subprocess.run([BINARY, "--config", str(path), "--check-config"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "'Cluster.RedisURL' must be a Redis URL" in out.stderr
    assert "unknown key 'Cluster.Bogus'" in out.stderr


@run
async def test_who_list_and_lobby_across_nodes(nodes):
    n1, n2, n3 = nodes
    alice, bob, carol = await join(n1, "alice"), await join(n2, "bob"), await join(n3, "carol")
    await see_all([alice, bob, carol])
    await alice.send(action="message", channel="lobby", message="hello everyone")
    got = [await chat_message(c, "hello everyone", username="alice", channel="lobby") for c in (alice, bob, carol)]
    assert len({m["msgID"] for m in got}) == 1  # the same message, the same msgID on every node
    # /api/statistics counts the whole room.
    status, _, body = n2.http("/api/statistics")
    assert status == 200 and all(n in body for n in ("alice", "bob", "carol"))
    # Presence lines cross too: a fourth user joins on n3 and everyone hears of it.
    dave = await join(n3, "dave")
    for c in (alice, bob):
        await c.expect("presence", timeout=5, username="dave")
        await c.who_until(lambda e: "dave" in e, timeout=5)
    await dave.close()
    for c in (alice, bob, carol):
        await c.who_until(lambda e: "dave" not in e, timeout=5)


@pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (scripts/install-deps.sh installs it)")
@run
async def test_clients_spread_by_a_balancer_share_one_room(nodes):
    balancer = Balancer(nodes)
    try:
        # Round robin: three sign-ins land on three nodes (each node logs the token sign-ins it took).
        names = ["lb-a", "lb-b", "lb-c"]
        clients = [await join(balancer, n, jwt=token(n)) for n in names]
        await see_all(clients)
        homes = {n: [i for i, node in enumerate(nodes) if f"token sign-in for '{n}'" in node.output()] for n in names}
        assert sorted(h[0] for h in homes.values()) == [0, 1, 2], homes
        a, b, c = clients
        await a.send(action="message", channel="lobby", message="through the balancer")
        for x in clients:
            await chat_message(x, "through the balancer", username="lb-a")
        await c.send(action="message", channel="@lb-b", message="dm via balancer")
        await chat_message(b, "dm via balancer", channel="@lb-c")
    finally:
        balancer.stop()


@run
async def test_msg_ids_unique_across_nodes(nodes):
    clients = [await join(n, f"ider{i}") for i, n in enumerate(nodes)]
    await see_all(clients)
    for i, c in enumerate(clients):
        await c.send(action="message", channel="offtopic", message=f"id test {i}")
    ids = set()
    for i in range(3):
        ids.add((await chat_message(clients[0], f"id test {i}"))["msgID"])
    assert len(ids) == 3


@run
async def test_dm_between_nodes(nodes):
    n1, n2, _ = nodes
    erin, frank = await join(n1, "erin"), await join(n2, "frank")
    await see_all([erin, frank])
    await erin.send(action="message", channel="@frank", message="psst frank")
    mine = await chat_message(erin, "psst frank", channel="@frank", username="erin")
    theirs = await chat_message(frank, "psst frank", channel="@erin", username="erin")
    assert mine["msgID"] == theirs["msgID"]
    await frank.send(action="message", channel="@erin", message="hi erin")
    await chat_message(erin, "hi erin", channel="@frank", username="frank")


@run
async def test_dm_report_between_nodes_carries_the_recent_lines(nodes, receiver):
    n1, n2, _ = nodes
    ann, ben = await join(n1, "rc-ann"), await join(n2, "rc-ben")
    await see_all([ann, ben])
    await ben.send(action="message", channel="@rc-ann", message="first line from ben")
    await chat_message(ann, "first line from ben", channel="@rc-ben")
    await ann.send(action="message", channel="@rc-ben", message="a reply")
    await chat_message(ben, "a reply", channel="@rc-ann")
    # Each side's node kept the lines of the conversation for a report from that side.
    await ann.send(action="report", channel="@rc-ben", username="rc-ben", reason="Spam", message="x", comment="c")
    await ann.notice("delivered successfully", timeout=5)
    comment = (await receiver.report_about("rc-ben"))["Report"]["Comment"]
    assert comment.startswith("c\n\n") and "[rc-ben] first line from ben\n[rc-ann] a reply" in comment
    await ben.send(action="report", channel="@rc-ann", username="rc-ann", reason="Spam", message="y", comment="")
    await ben.notice("delivered successfully", timeout=5)
    comment = (await receiver.report_about("rc-ann"))["Report"]["Comment"]
    assert "[rc-ben] first line from ben\n[rc-ann] a reply" in comment


@run
async def test_webcam_signalling_between_nodes(nodes):
    _, n2, n3 = nodes
    gina, hank = await join(n2, "gina"), await join(n3, "hank")
    await see_all([gina, hank])
    await hank.send(action="me", video=1, status="online")
    await gina.who_until(lambda e: e.get("hank", {}).get("video") == 1, timeout=5)
    await gina.send(action="open", username="hank")
    opened = await gina.expect("open", timeout=5, username="hank")
    ring = await hank.expect("ring", timeout=5, username="gina")
    assert ring["openSecret"] == opened["openSecret"]
    candidate = '{"candidate":"candidate:1 1 udp 2122260223 10.0.0.1 54400 typ host","sdpMid":"0"}'
    offer = '{"type":"offer","sdp":"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n"}'
    await gina.send(action="candidate", username="hank", candidate=candidate)
    await gina.send(action="sdp", username="hank", description=offer)
    await gina.send(action="watch", username="hank")
    got = await hank.expect("candidate", timeout=5, username="gina")
    assert got["candidate"] == candidate  # byte-exact through Redis
    assert (await hank.expect("sdp", timeout=5, username="gina"))["description"] == offer
    await hank.expect("watch", timeout=5, username="gina")
    answer = '{"type":"answer","sdp":"v=0\\r\\n"}'
    await hank.send(action="sdp", username="gina", description=answer)
    assert (await gina.expect("sdp", timeout=5, username="hank"))["description"] == answer
    await gina.send(action="unwatch", username="hank")
    await hank.expect("unwatch", timeout=5, username="gina")


@run
async def test_names_unique_across_nodes(nodes):
    n1, n2, n3 = nodes
    ivy = await join(n1, "ivy")
    await see_all([ivy])
    other = await join(n2, "ivy")
    assert other.name == "ivy 2"  # a guest is renamed, as on one node
    # A token proves the name: signing in as "jack" on n3 takes it over from the session on n1.
    jack = await join(n1, "jack", jwt=token("jack"))
    watcher = await join(n2, "watcher")
    await see_all([jack, watcher])
    again = await join(n3, "jack", jwt=token("jack"))
    assert again.name == "jack"
    await jack.notice("logged in from another location", timeout=5)
    await jack.expect("disconnect", timeout=5)
    await watcher.who_until(lambda e: "jack" in e, timeout=5)


@run
async def test_kick_ban_and_mute_across_nodes(nodes):
    n1, n2, n3 = nodes
    boss = await join(n1, "boss", jwt=token("boss", op=True))
    kim, leo, mia = await join(n2, "kim"), await join(n3, "leo"), await join(n3, "mia")
    await see_all([boss, kim, leo, mia])
    # mia mutes kim (on another node): kim's lobby lines no longer reach her, leo still gets them.
    await mia.send(action="mute", username="kim")
    await asyncio.sleep(0.3)
    await kim.send(action="message", channel="lobby", message="can you hear me")
    await chat_message(leo, "can you hear me")
    await chat_message(boss, "can you hear me")
    assert not [m for m in await mia.drain(0.5) if m.get("message") == "<p>can you hear me</p>"]
    # A kick from n1 of a user on n2.
    await boss.send(action="message", channel="lobby", message="/kick kim")
    await kim.notice("kicked from the chat room by boss", timeout=5)
    await kim.expect("disconnect", timeout=5)
    await boss.notice("kim has been kicked", timeout=5)
    await leo.who_until(lambda e: "kim" not in e, timeout=5)
    # A ban from n1 of a user on n3: signed out there, and refused on every node.
    await boss.send(action="message", channel="lobby", message="/ban leo 2")
    await leo.notice("banned from the chat room by boss", timeout=5)
    await asyncio.sleep(0.3)
    again = await Client.connect(n2)
    await again.send(action="login", username="leo")
    await again.notice("banned", timeout=5)
    await boss.send(action="message", channel="lobby", message="/unban leo")
    await boss.notice("lifted", timeout=5)


@run
async def test_block_across_nodes(nodes):
    n1, n2, _ = nodes
    zed, amy, bea = await join(n1, "zed"), await join(n2, "amy"), await join(n2, "bea")
    await see_all([zed, amy, bea])
    await zed.send(action="block", username="amy")
    # Both sides lose each other from their who lists; a bystander still sees both.
    await zed.who_until(lambda e: "amy" not in e and "bea" in e, timeout=5)
    await amy.who_until(lambda e: "zed" not in e and "bea" in e, timeout=5)
    await bea.who_until(lambda e: "zed" in e and "amy" in e, timeout=5)
    await amy.send(action="message", channel="lobby", message="amy speaking")
    await chat_message(bea, "amy speaking")
    await zed.send(action="message", channel="lobby", message="zed speaking")
    await chat_message(bea, "zed speaking")
    assert not [m for m in await zed.drain(0.5) if m.get("username") == "amy"]
    assert not [m for m in await amy.drain(0.2) if m.get("username") == "zed"]


@run
async def test_operator_commands_run_on_the_users_node(nodes):
    n1, n2, _ = nodes
    chief = await join(n1, "chief", jwt=token("chief", op=True))
    vera = await join(n2, "vera")
    await see_all([chief, vera])
    await vera.send(action="me", video=1, status="online")
    await chief.who_until(lambda e: e.get("vera", {}).get("video") == 1, timeout=5)
    await chief.send(action="message", channel="lobby", message="/nsfw vera")
    await chief.notice("vera's camera has been marked as Explicit", timeout=5)
    assert (await vera.expect("me", timeout=5))["video"] & 2
    await chief.who_until(lambda e: e.get("vera", {}).get("video", 0) & 2, timeout=5)
    await chief.send(action="message", channel="lobby", message="/cut vera")
    await vera.expect("cut", timeout=5)
    await chief.notice("Told vera to turn off their camera", timeout=5)
    await chief.send(action="message", channel="lobby", message="/op vera")
    await vera.notice("granted operator rights by chief", timeout=5)
    await chief.who_until(lambda e: e.get("vera", {}).get("op") is True, timeout=5)


@run
async def test_website_apis_reach_other_nodes(nodes):
    n1, n2, n3 = nodes
    wes, xena = await join(n2, "wes"), await join(n3, "xena")
    await see_all([wes, xena])
    # /api/disconnect/now on n1 signs out users of n2.
    status, body = post_json(n1, "/api/disconnect/now", {"APIKey": API_KEY, "Usernames": ["wes"], "Message": "Bye"})
    assert (status, body) == (200, {"OK": True, "Removed": 1})
    await wes.notice("Bye", timeout=5)
    await wes.expect("disconnect", timeout=5)
    await xena.who_until(lambda e: "wes" not in e, timeout=5)
    # /api/blocklist on n1 applies when the user signs in on n3.
    assert post_json(n1, "/api/blocklist", {"APIKey": API_KEY, "Username": "yuri", "Blocklist": ["xena"]}) == (
        200, {"OK": True})
    await asyncio.sleep(0.3)
    yuri = await join(n3, "yuri")
    await yuri.expect("block", timeout=5, username="xena")
    # /api/amend-jwt on n1 for a user signed in by token on n2: the new claims apply there.
    zoe = await join(n2, "zoe", jwt=token("zoe"))
    await see_all([zoe, xena])
    status, body = post_json(n1, "/api/amend-jwt", {"APIKey": API_KEY, "Username": "zoe",
                                                    "JWTToken": token("zoe", nick="Zoe Z", vip=True)})
    assert (status, body) == (200, {"OK": True})
    await zoe.expect("ping", timeout=5)
    who = await xena.who_until(lambda e: e.get("zoe", {}).get("nickname") == "Zoe Z", timeout=5)
    assert who["zoe"].get("vip") is True
    # A rename by amend-jwt (API on n1, user on n2) to a name held on n3: the token proves the
    # name, so the session holding it on n3 is signed out, as a token sign-in would do.
    await zoe.drain(0.05)
    status, body = post_json(n1, "/api/amend-jwt", {"APIKey": API_KEY, "Username": "zoe",
                                                    "JWTToken": token("xena")})
    assert (status, body) == (200, {"OK": True})
    await xena.notice("logged in from another location", timeout=5)
    await xena.expect("disconnect", timeout=5)
    assert (await zoe.expect("me", timeout=5))["username"] == "xena"
    watcher = await join(n1, "amend-watcher")
    await watcher.who_until(lambda e: "xena" in e and "zoe" not in e, timeout=5)


@run
async def test_block_now_and_kickall_across_nodes(nodes):
    n1, n2, n3 = nodes
    ada, bo = await join(n1, "bn-ada"), await join(n2, "bn-bo")
    await see_all([ada, bo])
    assert post_json(n3, "/api/block/now", {"APIKey": API_KEY, "Usernames": ["bn-ada", "bn-bo"]}) == (
        200, {"OK": True})
    await ada.expect("block", timeout=5, username="bn-bo")
    await bo.expect("block", timeout=5, username="bn-ada")
    await ada.who_until(lambda e: "bn-bo" not in e, timeout=5)
    # /kickall from n2 signs out everyone on every node.
    op = await join(n2, "bn-op", jwt=token("bn-op", op=True))
    await op.send(action="message", channel="lobby", message="/kickall")
    for c in (ada, bo, op):
        await c.notice("about to go down for maintenance", timeout=5)
        await c.expect("disconnect", timeout=5)


@run
async def test_reactions_takeback_and_echo_across_nodes(nodes):
    n1, n2, n3 = nodes
    sam, tess = await join(n1, "sam"), await join(n2, "tess")
    await see_all([sam, tess])
    await sam.send(action="message", channel="offtopic", message="echo me")
    mine = await chat_message(sam, "echo me")
    await chat_message(tess, "echo me")
    await sam.send(action="message", channel="offtopic", message="take me back")
    gone = (await chat_message(tess, "take me back"))["msgID"]
    await tess.send(action="react", msgID=mine["msgID"], message="👍")
    got = await sam.expect("react", timeout=5, username="tess")
    assert got["msgID"] == mine["msgID"] and got["message"] == "👍"
    await sam.send(action="takeback", msgID=gone)
    await tess.expect("takeback", timeout=5, msgID=gone)
    await asyncio.sleep(0.3)
    # A late joiner on a third node is echoed what was said on the first, minus the taken-back line.
    late = await Client.connect(n3)
    await late.login("ulla")
    echo = await late.expect("echo", timeout=5)
    texts = [m["message"] for m in echo["messages"]]
    assert "<p>echo me</p>" in texts and "<p>take me back</p>" not in texts


def test_two_processes_with_one_node_name_are_told(redis):
    # Under a key prefix of their own, so the module's nodes do not see them.
    twins = [Server(node_settings(redis, "twin", prefix="twins:")) for _ in range(2)]
    try:
        deadline = time.time() + 10
        said = lambda: any("another process also calls itself node 'twin'" in t.output() for t in twins)
        while not said() and time.time() < deadline:
            time.sleep(0.1)
        assert said(), twins[0].output()
    finally:
        for t in twins:
            t.stop()


@run
async def test_node_killed_leaves_the_who_lists(redis, nodes):
    n1, n2, _ = nodes
    doomed = Server(node_settings(redis, "n4"))
    try:
        nora, oscar = await join(n1, "nora"), await join(n2, "oscar")
        victim = await join(doomed, "victim")
        await see_all([nora, oscar, victim])
        doomed.proc.send_signal(signal.SIGKILL)
        doomed.proc.wait(5)
        # Heartbeats stop: within 5 s the victim is gone from every other node's list.
        for c in (nora, oscar):
            await c.who_until(lambda e: "victim" not in e and "nora" in e and "oscar" in e, timeout=5)
        # A node that starts later learns the bans already in force, and the relations: a block
        # set on n1 towards a name that will sign in there.
        blocker = await join(n1, "rel-a")
        await blocker.send(action="blocklist", usernames=["latecomer-2"])
        await asyncio.sleep(0.3)
        nora_op = await join(n1, "nora-op", jwt=token("nora-op", op=True))
        await nora_op.send(action="message", channel="lobby", message="/ban latecomer 1")
        await nora_op.notice("banned from the room", timeout=5)
    finally:
        doomed.stop()
    late_node = Server(node_settings(redis, "n5"))
    try:
        late = await Client.connect(late_node)
        for _ in range(50):  # until the new node has heard the others (a second or two)
            await late.send(action="login", username="latecomer")
            got = await late.expect(timeout=5)
            if got.get("action") == "error" and "banned" in got.get("message", ""):
                break
            await late.close()
            await asyncio.sleep(0.2)
            late = await Client.connect(late_node)
        else:
            raise AssertionError("the new node never learned the ban")
        late2 = await join(late_node, "latecomer-2")
        await late2.who_until(lambda e: "nora-op" in e and "rel-a" not in e, timeout=5)
        await blocker.who_until(lambda e: "latecomer-2" not in e and "nora-op" in e, timeout=5)
    finally:
        late_node.stop()


async def login_refused(node, name, refused, tries=50):
    """Tries to sign in as `name` on `node` until the ban answer is `refused` (the nodes' ban lists
    converge a moment after the roster does)."""
    for _ in range(tries):
        c = await Client.connect(node)
        await c.send(action="login", username=name)
        got = await c.expect(timeout=5)
        await c.close()
        banned = got.get("action") == "error" and "banned" in got.get("message", "")
        if banned == refused:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"'{name}' on {node.port}: never {'refused' if refused else 'let in'}")


@run
async def test_redis_restart_mid_chat(redis, nodes):
    n1, n2, _ = nodes
    pat, quinn = await join(n1, "pat"), await join(n2, "quinn")
    rose = await join(n1, "rose")
    op1, op2 = await join(n1, "rr-op1", jwt=token("rr-op1", op=True)), await join(n2, "rr-op2", jwt=token("rr-op2", op=True))
    await see_all([pat, quinn, rose, op1, op2])
    await op1.send(action="message", channel="lobby", message="/ban rr-lifted 1")
    await op1.notice("banned from the room", timeout=5)
    await login_refused(n2, "rr-lifted", True)
    redis.stop()
    # Each node carries on as a room of its own and says so on /healthz (still 200).
    for n in (n1, n2):
        deadline = time.time() + 8
        while True:
            status, _, body = n.http("/healthz")
            if body.startswith("degraded") or time.time() > deadline:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and body.startswith("degraded"), body
    await pat.who_until(lambda e: "quinn" not in e and "rose" in e, timeout=5)
    await pat.send(action="message", channel="lobby", message="still here")
    await chat_message(rose, "still here")
    # Bans set and lifted while the nodes are cut off from each other: each knows only its own.
    await op1.send(action="message", channel="lobby", message="/unban rr-lifted")
    await op1.notice("lifted", timeout=5)
    await op2.send(action="message", channel="lobby", message="/ban rr-cutoff 1")
    await op2.notice("banned from the room", timeout=5)
    await login_refused(n2, "rr-lifted", True)
    await login_refused(n1, "rr-cutoff", False)
    redis.start()
    # Reconnected with back-off; the roster is rebuilt and messages cross again.
    for c in (pat, quinn, rose):
        await c.who_until(lambda e: all(n in e for n in ("pat", "quinn", "rose")), timeout=10)
    for n in (n1, n2):
        assert n.http("/healthz")[2] == "ok\n"
    await quinn.send(action="message", channel="lobby", message="back together")
    await chat_message(pat, "back together")
    await chat_message(rose, "back together")
    # The ban lists converged on the newest change of each name.
    await login_refused(n2, "rr-lifted", False)
    await login_refused(n1, "rr-cutoff", True)
    assert "Redis link down" in n1.output() and "Redis link up" in n1.output()


@run
async def test_ban_lifted_while_a_node_was_cut_off(redis, nodes):
    n1 = nodes[0]
    proxy = CuttableProxy(redis.port)
    lonely = Server(node_settings(proxy, "n6"))
    try:
        op = await join(n1, "cut-op", jwt=token("cut-op", op=True))
        await op.send(action="message", channel="lobby", message="/ban cut-lifted 1")
        await op.notice("banned from the room", timeout=5)
        await login_refused(lonely, "cut-lifted", True)
        proxy.cut()
        deadline = time.time() + 8
        while not lonely.http("/healthz")[2].startswith("degraded") and time.time() < deadline:
            await asyncio.sleep(0.1)
        assert lonely.http("/healthz")[2].startswith("degraded")
        # Lifted while n6 cannot hear it: n6 keeps the ban meanwhile...
        await op.send(action="message", channel="lobby", message="/unban cut-lifted")
        await op.notice("lifted", timeout=5)
        await login_refused(lonely, "cut-lifted", True, tries=1)
        # ...and drops it once it is back: the others send it their ban log when it says hello.
        proxy.restore()
        await login_refused(lonely, "cut-lifted", False, tries=100)
        assert lonely.http("/healthz")[2] == "ok\n"
    finally:
        lonely.stop()
        proxy.cut()
