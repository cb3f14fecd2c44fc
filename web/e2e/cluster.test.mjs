// Browser test of the cluster (issue 14): alice and bob sign in on two different server processes
// joined through a redis-server of the test's own, and bob's live webcam plays in alice's page.
// Skipped only when redis-server is missing (scripts/install-deps.sh installs it).
import { test, before, after } from "node:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkBuilt, directMessage, launchBrowser, say, shots, signIn, startServer, watchWebcam } from "./harness.mjs";

const redisBinary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));
let redis, nodes = [], browser;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** Resolves once something accepts connections on `port`. */
async function listening(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = connect(port, "127.0.0.1", () => { c.end(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

const cluster = (redisPort, name) =>
  `[Cluster]\nEnabled = true\nRedisURL = "redis://127.0.0.1:${redisPort}/0"\nNodeName = "${name}"\nKeyPrefix = "browser:"\n`;

before(async () => {
  if (!redisBinary) return;
  checkBuilt();
  const redisPort = await freePort();
  redis = spawn(redisBinary, ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    "--dir", mkdtempSync(path.join(tmpdir(), "barertc-redis-"))], { stdio: "ignore" });
  await listening(redisPort);
  for (const name of ["b1", "b2"]) nodes.push(await startServer(0, { tables: cluster(redisPort, name) }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const n of nodes) n.server.kill("SIGTERM");
  redis?.kill("SIGTERM");
});

test("alice and bob on two nodes: chat, a DM and bob's live webcam", { skip: !redisBinary && "redis-server is not installed" }, async () => {
  const alice = await signIn(browser, nodes[0].port, "alice");
  const bob = await signIn(browser, nodes[1].port, "bob");
  await alice.waitForSelector('.who-row[data-user="bob"]');
  await bob.waitForSelector('.who-row[data-user="alice"]');

  await say(alice, "hello from node one");
  await bob.waitForSelector('.history .content:has-text("hello from node one")');
  await directMessage(bob, "alice", "psst from node two", alice, "bob");

  // The offer, answer and candidates cross Redis between the nodes; the media goes peer to peer.
  await watchWebcam(alice, bob, "bob", "bob's video from the other node plays");
  await alice.screenshot({ path: path.join(shots, "cluster-watching.png") });
});
