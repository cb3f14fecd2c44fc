// Browser test of the per-recipient rules (issue 11): mute, boot, invite and block, against the
// real server, one server for the whole file. Screenshots go to test-output/browser/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  assertPlaying, enter, jwtTable, shots, signIn, signInWithToken, signJwt, startAll, stopAll,
} from "./harness.mjs";

let server, port, browser;
const secret = "browser-test-secret";
const apiKey = "browser-test-api-key";

// JWT on but not strict: guests sign in by name, VIPs with a token.
before(async () => {
  ({ server, port, browser } = await startAll({ top: `AdminAPIKey = "${apiKey}"`, tables: jwtTable(secret) }));
});

after(() => stopAll({ server, browser }));

const user = (name) => signIn(browser, port, name);
const row = (name) => `.who-row[data-user="${name}"]`;
const camera = (name, state) => `${row(name)} .video-btn.${state}`;

async function say(page, text) {
  await page.fill('input[aria-label="Message"]', text);
  await page.press('input[aria-label="Message"]', "Enter");
}

async function openProfile(page, name) {
  await page.click(`${row(name)} button[title="Profile"]`);
  await page.waitForSelector(`[data-test=profile][data-user="${name}"]`);
}

async function closeProfile(page) {
  await page.click('[data-test=profile] button[aria-label="close"]');
  await page.waitForSelector("[data-test=profile]", { state: "detached" });
}

/** Waits until `ok()` holds, checking every 50 ms for up to 10 s. */
async function until(ok, what) {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out: ${what}`);
}

/** Answers the next confirm() on `page` with OK. */
function acceptNextConfirm(page) {
  page.once("dialog", (d) => d.accept());
}

test("a muted user's messages are hidden, and he sees the muter's camera as off", async () => {
  const alice = await user("alice");
  const bob = await user("bob");
  const carol = await user("carol");
  await alice.click("text=Share webcam");
  await bob.waitForSelector(camera("alice", "live"));

  await openProfile(alice, "bob");
  await alice.click('[data-test=profile] [data-test=profile-mute]');
  await alice.waitForSelector('[data-test=profile] [data-test=profile-unmute]');
  await closeProfile(alice);
  assert.deepEqual(alice.sent.filter((m) => m?.action === "mute"), [{ action: "mute", username: "bob" }]);
  // His DM button becomes an unmute button.
  await alice.waitForSelector(`${row("bob")} [data-test=unmute]`);

  // Bob sees her camera as off; carol, a bystander, still sees it live.
  await bob.waitForSelector(camera("alice", "off"));
  assert.ok(await bob.isDisabled(`${row("alice")} .video-btn`), "bob cannot click alice's camera");
  await carol.waitForSelector(camera("alice", "live"));

  // Bob talks in the lobby: carol sees it, alice does not (the server does not even send it).
  await say(bob, "bob talks to the lobby");
  await carol.waitForSelector('.history .content:has-text("bob talks to the lobby")');
  await say(carol, "carol answers bob");
  await alice.waitForSelector('.history .content:has-text("carol answers bob")');
  assert.equal(await alice.locator('.history :text("bob talks to the lobby")').count(), 0, "alice does not see bob's line");
  assert.ok(!alice.received.some((m) => m?.action === "message" && m.username === "bob"),
    "the server sends alice none of bob's messages");
  await alice.screenshot({ path: path.join(shots, "r1-muted.png") });

  // Alice opens a DM with him from his profile card: a banner offers to unmute him.
  await openProfile(alice, "bob");
  await alice.click('[data-test=profile] [data-test=profile-dm]');
  await alice.waitForSelector('[data-test=muted-banner]:has-text("You have muted bob")');
  await alice.screenshot({ path: path.join(shots, "r2-muted-dm.png") });
  await alice.click('[data-test=muted-banner] button:has-text("Unmute bob")');
  await alice.waitForSelector("[data-test=muted-banner]", { state: "detached" });
  await alice.waitForSelector("[data-test=dm-mute]");
  await bob.waitForSelector(camera("alice", "live"));
  await alice.click('.channel-link[data-channel="lobby"]');
  await alice.waitForSelector('.history .content:has-text("carol answers bob")');

  for (const p of [alice, bob, carol]) await p.context().close();
});

test("a booted viewer's feed closes and she sees the camera as off until unbooted", async () => {
  const bob = await user("bob2");
  const carol = await user("carol2");
  await bob.click("text=Share webcam");
  await carol.waitForSelector(camera("bob2", "live"));
  await carol.click(`${row("bob2")} .video-btn`);
  const feed = '.feed[data-feed="bob2"] video';
  await carol.waitForFunction((sel) => document.querySelector(sel)?.videoWidth > 0, feed, { timeout: 20000 });
  await assertPlaying(carol, feed, "carol watches bob");
  await bob.waitForSelector('[data-test=watchers]:has-text("1")');

  await bob.click("[data-test=watchers]");
  await bob.waitForSelector('[data-test=watcher-list] [data-user="carol2"]');
  await bob.screenshot({ path: path.join(shots, "r3-watchers-boot.png") });
  acceptNextConfirm(bob);
  await bob.click('[data-test=watcher-list] [data-user="carol2"] [data-test=boot]');
  await bob.waitForSelector('[data-test=watchers]:has-text("0")');
  assert.ok(bob.sent.some((m) => m?.action === "boot" && m.username === "carol2"), "bob sent boot");

  await carol.waitForSelector(feed, { state: "detached", timeout: 10000 });
  await carol.waitForSelector(camera("bob2", "off"));
  await carol.screenshot({ path: path.join(shots, "r4-booted.png") });

  // Unboot from her profile card: his camera is live for her again.
  await openProfile(bob, "carol2");
  await bob.click('[data-test=profile] [data-test=profile-unboot]');
  await bob.waitForSelector('[data-test=profile] [data-test=profile-boot]');
  await carol.waitForSelector(camera("bob2", "live"));

  for (const p of [bob, carol]) await p.context().close();
});

test("an invited viewer sees a green camera button", async () => {
  const erin = await user("erin");
  const frank = await user("frank");
  await erin.click("text=Share webcam");
  await frank.waitForSelector(camera("erin", "live"));
  assert.equal(await frank.locator(camera("erin", "invited")).count(), 0);
  await openProfile(erin, "frank");
  await erin.click('[data-test=profile] [data-test=profile-invite]');
  await erin.waitForSelector('[data-test=profile] [data-test=profile-invite][disabled]');
  assert.deepEqual(erin.sent.filter((m) => m?.action === "video-invite").at(-1), { action: "video-invite", usernames: ["frank"] });
  await frank.waitForSelector(camera("erin", "invited"));
  const border = await frank.$eval(`${row("erin")} .video-btn`, (el) => getComputedStyle(el).borderTopColor);
  const [r, g, b] = border.match(/\d+/g).map(Number);
  assert.ok(g > r + 40 && g > b + 40, `the invited camera's border is green (got ${border})`);

  for (const p of [erin, frank]) await p.context().close();
});

test("after a block neither sees the other, and the block survives a reload", async () => {
  const alice = await user("alice3");
  const dave = await user("dave3");
  const gina = await user("gina3");
  await alice.waitForSelector(row("dave3"));
  await dave.waitForSelector(row("alice3"));

  await openProfile(alice, "dave3");
  acceptNextConfirm(alice);
  await alice.click('[data-test=profile] [data-test=profile-block]');
  await alice.waitForSelector(row("dave3"), { state: "detached" });
  await dave.waitForSelector(row("alice3"), { state: "detached" });
  await alice.waitForSelector(row("gina3"));
  await dave.waitForSelector(row("gina3"));
  assert.deepEqual(JSON.parse(await alice.evaluate(() => localStorage.getItem("barertc-blocklist"))), ["dave3"]);

  // A reload: the cached blocklist goes out before login, and dave stays out of sight.
  alice.sent.length = 0;
  await alice.reload();
  await gina.waitForSelector(row("alice3"), { state: "detached" });  // the old session is gone
  await enter(alice, "alice3");
  await alice.waitForSelector(row("gina3"));
  assert.equal(await alice.locator(row("alice3")).count(), 1, "she has her own name back");
  assert.deepEqual(alice.sent[0], { action: "blocklist", usernames: ["dave3"] });
  assert.equal(alice.sent[1]?.action, "login");
  assert.equal(await alice.locator(row("dave3")).count(), 0, "dave is still hidden from alice");
  await dave.waitForSelector(row("alice3"), { state: "detached" });
  await alice.screenshot({ path: path.join(shots, "r5-blocked.png") });
  // Her settings list the block.
  await alice.click('button[aria-label="Settings"]');
  await alice.waitForSelector('[data-test=blocked-list] [data-user="dave3"]');
});

test("a VIP-only camera is live for VIPs only; only VIPs get the toggle", async () => {
  const vicky = await signInWithToken(browser, port, signJwt({ sub: "vicky", vip: true }, secret));
  const wade = await signInWithToken(browser, port, signJwt({ sub: "wade", vip: true }, secret));
  const xena = await user("xena");
  await xena.waitForSelector(`${row("vicky")} [data-test=vip]`);   // the VIP badge

  await xena.click('button[aria-label="Settings"]');
  await xena.waitForSelector(".modal.is-active #camera-select");
  assert.equal(await xena.locator("[data-test=vip-only]").count(), 0, "no VIP-only toggle for a guest");
  await vicky.click('button[aria-label="Settings"]');
  await vicky.check("[data-test=vip-only] input");
  await vicky.screenshot({ path: path.join(shots, "r6-vip-toggle.png") });
  await vicky.click(".modal.is-active .modal-close");
  const whoLists = () => xena.received.filter((m) => m?.action === "who").length;
  const seen = whoLists();
  await vicky.click("text=Share webcam");
  await vicky.waitForSelector("#local-video");
  const me = vicky.sent.filter((m) => m?.action === "me").at(-1);
  assert.equal(me.video & 65, 65, `vicky's me has Active and VIP-only (video ${me.video})`);

  await wade.waitForSelector(camera("vicky", "vip"));
  await wade.waitForSelector(camera("vicky", "live"));
  await until(() => whoLists() > seen, "xena gets the who list sent after vicky's camera went on");
  const entry = xena.received.filter((m) => m?.action === "who").at(-1).whoList.find((w) => w.username === "vicky");
  assert.equal(entry.video, 0, "the server shows vicky's camera to xena as off");
  assert.equal(await xena.locator(camera("vicky", "off")).count(), 1, "xena sees vicky's camera as off");
  await wade.screenshot({ path: path.join(shots, "r7-vip-camera.png") });
});

test("a block from the site (/api/block/now) closes the video and is cached", async () => {
  const hal = await user("hal");
  const ivy = await user("ivy");
  await hal.click("text=Share webcam");
  await ivy.click(`${row("hal")} .video-btn.live`);
  const feed = '.feed[data-feed="hal"] video';
  await ivy.waitForFunction((sel) => document.querySelector(sel)?.videoWidth > 0, feed, { timeout: 20000 });
  await hal.waitForSelector('[data-test=watchers]:has-text("1")');

  const res = await fetch(`http://127.0.0.1:${port}/api/block/now`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ APIKey: apiKey, Usernames: ["hal", "ivy"] }),
  });
  assert.equal(res.status, 200, `/api/block/now answers 200 (got ${res.status})`);
  await ivy.waitForSelector(feed, { state: "detached", timeout: 10000 });
  await hal.waitForSelector('[data-test=watchers]:has-text("0")');
  await ivy.waitForSelector(row("hal"), { state: "detached" });
  await hal.waitForSelector(row("ivy"), { state: "detached" });
  assert.deepEqual(JSON.parse(await ivy.evaluate(() => localStorage.getItem("barertc-blocklist"))), ["hal"]);
  assert.deepEqual(JSON.parse(await hal.evaluate(() => localStorage.getItem("barertc-blocklist"))), ["ivy"]);
});
