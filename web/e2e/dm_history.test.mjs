// Browser test of DM history (server.md A.4 [DirectMessageHistory], D.3 /api/message/history;
// web-client.md F.2): with the server keeping DMs, a DM thread opened in a new session shows the
// disclaimer, the earlier messages under the divider, and "Load more messages (N remaining)".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { jwtTable, shots, signInWithToken, signJwt, startAll, stopAll } from "./harness.mjs";

const secret = "browser-dm-history-secret";
let env;

before(async () => {
  env = await startAll({
    tables: jwtTable(secret) +
      `[DirectMessageHistory]\nEnabled = true\nDisclaimerMessage = "<strong>Reminder:</strong> DMs are kept for a while."\n`,
  });
});
after(() => stopAll(env));

test("a DM thread loads the earlier messages, then more on request", async () => {
  const { browser, port } = env;
  const first = await signInWithToken(browser, port, signJwt({ sub: "alice" }, secret));
  const bob = await signInWithToken(browser, port, signJwt({ sub: "bob" }, secret));
  await bob.click('.who-row[data-user="alice"] button[title="Direct message"]');
  await bob.waitForSelector('.channel-link.is-active[data-channel="@alice"]');
  await bob.waitForSelector("[data-test=dm-disclaimer]:has-text('DMs are kept for a while')");
  const box = 'input[aria-label="Message"]';
  for (let i = 1; i <= 23; i++) {
    await bob.fill(box, `earlier line ${i}`);
    await bob.press(box, "Enter");
    await bob.waitForSelector(`[data-test=message]:has-text("earlier line ${i}")`);
    await bob.waitForTimeout(120);  // under the rate limit
  }
  await first.waitForSelector('.channel-link[data-channel="@bob"]');

  // A new session for alice: this page has no messages of its own with bob.
  await first.context().close();
  const alice = await signInWithToken(browser, port, signJwt({ sub: "alice" }, secret));
  await alice.waitForSelector('.who-row[data-user="bob"]');
  await alice.click('.who-row[data-user="bob"] button[title="Direct message"]');
  await alice.waitForSelector("[data-test=past-divider]:has-text('Messages from your past chat session are available above this line')");
  await alice.waitForSelector("[data-test=dm-disclaimer] strong:text('Reminder:')");
  const rows = alice.locator("[data-test=history] [data-test=message]");
  assert.equal(await rows.count(), 20);
  assert.match(await rows.last().innerText(), /earlier line 23/);
  assert.equal(await alice.locator("[data-test=load-more]").innerText(), "Load more messages (3 remaining)");
  await alice.screenshot({ path: path.join(shots, "h1-dm-history.png") });

  await alice.click("[data-test=load-more]");
  await alice.locator("[data-test=load-more]").waitFor({ state: "detached" });  // nothing more to load
  assert.equal(await rows.count(), 23);
  assert.match(await rows.first().innerText(), /earlier line 1\b/);
  assert.equal(await alice.locator("[data-test=past-divider]").count(), 1);

  // The History modal lists whom I have DMs with; a name opens that thread.
  await alice.click('.channel-link[data-channel="lobby"]');
  await alice.click("[data-test=past-dms-button]");
  await alice.waitForSelector('[data-test=past-dm][data-user="bob"]');
  await alice.screenshot({ path: path.join(shots, "h2-dm-history-list.png") });
  await alice.click('[data-test=past-dm][data-user="bob"]');
  await alice.waitForSelector('.channel-link.is-active[data-channel="@bob"]');
  assert.equal(await alice.locator("[data-test=past-dms]").count(), 0);

  // Settings: clearing my history erases it on the server.
  await alice.click('button[title="Settings"]');
  alice.once("dialog", (d) => d.accept());
  await alice.click("[data-test=clear-dm-history]");
  await alice.waitForSelector(".notice.client:has-text('erased from the server (23 messages)')");
  await alice.click("[data-test=past-dms-button]");
  await alice.waitForSelector("[data-test=past-dms]:has-text('You have no direct message history on this server.')");
});
