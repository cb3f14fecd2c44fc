// Browser test of the polling transport (protocol.md B.8, web-client.md Settings > Advanced): a
// page that polls /poll chats with a page on a WebSocket, both ways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { enter, signIn, startAll, stopAll } from "./harness.mjs";

let env;
before(async () => { env = await startAll(); });
after(async () => { await stopAll(env); });

/** A page with polling chosen in Settings > Advanced (stored as `usePolling`), signed in as `name`. */
async function pollingUser(name) {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`[${name}] page error:`, e.message));
  await page.goto(`http://127.0.0.1:${env.port}/`);
  await enter(page, name);  // over a WebSocket, the default
  await page.click('button[title="Settings"]');
  await page.check("[data-test=use-polling] input");
  assert.equal(await page.evaluate(() => localStorage.getItem("usePolling")), "true");
  page.sockets = 0;
  page.polls = 0;
  page.on("websocket", () => page.sockets++);
  page.on("request", (r) => { if (new URL(r.url()).pathname === "/poll") page.polls++; });
  await page.reload();  // the setting applies from the next connection
  await enter(page, name);
  return page;
}

test("a polling page and a WebSocket page chat in public and by DM", async () => {
  const pete = await pollingUser("pete");
  const wendy = await signIn(env.browser, env.port, "wendy");
  await pete.waitForSelector('.who-row[data-user="wendy"]', { timeout: 15000 });
  await wendy.waitForSelector('.who-row[data-user="pete"]');

  await pete.fill('input[aria-label="Message"]', "hello from **polling**");
  await pete.press('input[aria-label="Message"]', "Enter");
  await wendy.waitForSelector('.history .content strong:text("polling")');
  await wendy.fill('input[aria-label="Message"]', "hello back");
  await wendy.press('input[aria-label="Message"]', "Enter");
  await pete.waitForSelector('.history .content:has-text("hello back")', { timeout: 15000 });

  await wendy.click('.who-row[data-user="pete"] button[title="Direct message"]');
  await wendy.fill('input[aria-label="Message"]', "psst pete");
  await wendy.press('input[aria-label="Message"]', "Enter");
  await pete.waitForSelector('.channel-link[data-channel="@wendy"]', { timeout: 15000 });
  await pete.click('.channel-link[data-channel="@wendy"]');
  await pete.waitForSelector('.history .content:has-text("psst pete")');
  await pete.fill('input[aria-label="Message"]', "got it");
  await pete.press('input[aria-label="Message"]', "Enter");
  await wendy.waitForSelector('.history .content:has-text("got it")');

  assert.equal(pete.sockets, 0, "the polling page opened no WebSocket");
  assert.ok(pete.polls >= 3, `the polling page polled (${pete.polls} requests)`);
});
