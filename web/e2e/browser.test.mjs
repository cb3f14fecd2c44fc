// Browser end-to-end test: the real server, the built page, Debian's Chromium driven by
// playwright-core, fake camera and microphone. Screenshots go to test-output/ (ignored by git).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { assertPlaying, checkBuilt, directMessage, launchBrowser, say, shots, signIn, startServer, watchWebcam } from "./harness.mjs";

let server, port, browser;

before(async () => {
  checkBuilt();
  ({ server, port } = await startServer(0));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

const user = (name, viewport, colorScheme) => signIn(browser, port, name, viewport, colorScheme);

test("two users chat, DM, and watch a live webcam; a phone user uses the drawers", async () => {
  const alice = await user("alice");
  const bob = await user("bob");
  await alice.waitForSelector('.who-row[data-user="bob"]');
  await alice.screenshot({ path: path.join(shots, "1-signed-in.png") });
  // The browser's own permessage-deflate offer was taken: everything below runs compressed.
  assert.match(alice.handshakes[0]?.["sec-websocket-extensions"] ?? "", /^permessage-deflate; server_no_context_takeover/);

  // Lobby chat, rendered from the server's HTML.
  await say(alice, "hello **everyone**");
  await bob.waitForSelector('.history .content strong:text("everyone")');

  // A DM from the who list.
  await directMessage(bob, "alice", "psst alice", alice, "bob");
  await alice.click('.channel-link[data-channel="@bob"]');
  await alice.waitForSelector('.history .content:has-text("psst alice")');
  await alice.screenshot({ path: path.join(shots, "2-dm.png") });

  // Bob shares his (fake) webcam; alice's who list shows it live, she opens it.
  const feed = await watchWebcam(alice, bob, "bob");
  // Each feed has its own size.
  const before = await alice.$eval('.feed[data-feed="bob"]', (el) => el.getBoundingClientRect().width);
  await alice.click('.feed[data-feed="bob"] button[title="Size"]');
  const after = await alice.$eval('.feed[data-feed="bob"]', (el) => el.getBoundingClientRect().width);
  assert.ok(after > before, `the feed grows (${before} -> ${after})`);
  await alice.screenshot({ path: path.join(shots, "3-watching.png") });
  // Bob sees who is watching him.
  await bob.click("[data-test=watchers]");
  await bob.waitForSelector('[data-test=watcher-list] [data-user="alice"]');
  await bob.screenshot({ path: path.join(shots, "4-broadcasting.png") });
  await bob.click("[data-test=watchers]");

  // Bob picks another camera from the list the browser offers: alice keeps receiving video.
  await bob.click('button[aria-label="Settings"]');
  await bob.waitForFunction(() => document.querySelectorAll("#camera-select option").length > 1);
  const cameras = await bob.$$eval("#camera-select option", (os) => os.map((o) => o.value).filter(Boolean));
  await bob.selectOption("#camera-select", cameras[cameras.length - 1]);
  assert.equal(JSON.parse(await bob.evaluate(() => localStorage.getItem("barertc-devices"))).camera, cameras[cameras.length - 1]);
  await bob.click(".modal.is-active .modal-close");
  await assertPlaying(alice, feed, "the video keeps playing after the camera switch");

  // Bob stops: alice's feed closes.
  await bob.click("text=Stop");
  await alice.waitForSelector(feed, { state: "detached", timeout: 10000 });

  // A phone-sized user reaches channels and the who list through drawers.
  // Her phone is in dark mode, and so is the page.
  const carol = await user("carol", { width: 390, height: 844 }, "dark");
  const background = await carol.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 200, `dark background in dark mode (got ${background})`);
  assert.equal(await carol.isVisible(".chat-left.open"), false);
  await carol.click('button[aria-label="Channels"]');
  await carol.waitForSelector(".chat-left.open");
  await carol.screenshot({ path: path.join(shots, "5-phone-channels.png") });
  await carol.click('.channel-link[data-channel="offtopic"]');
  await carol.waitForSelector(".chat-left:not(.open)");
  await carol.click('button[aria-label="Who is online"]');
  await carol.waitForSelector('.chat-right.open .who-row[data-user="alice"]');
  await carol.screenshot({ path: path.join(shots, "6-phone-who.png") });
  // Tapping beside the drawer closes it.
  await carol.mouse.click(20, 400);
  await carol.waitForSelector(".chat-right:not(.open)");
});

test("the page comes back by itself after a server restart", async () => {
  const dave = await user("dave");
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
  await dave.waitForSelector('.history .notice:has-text("restarting; reconnecting in")');
  await dave.waitForSelector('[data-test=status]:text("offline")');
  ({ server } = await startServer(port));
  await dave.waitForSelector('[data-test=status]:text("online")', { timeout: 30000 });
  await dave.waitForSelector('.who-row[data-user="dave"]');
  assert.equal(await dave.isVisible("#username"), false, "no name prompt on reconnect");
  await dave.screenshot({ path: path.join(shots, "7-after-restart.png") });
});
