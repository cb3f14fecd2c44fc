// Browser test of a message's life ("Message life"): reactions, takeback, image sharing with the
// lightbox, and the echo of recent lobby messages to someone who joins later. One server for the
// whole file; screenshots go to test-output/browser/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { jwtTable, shots, signIn, signInWithToken, signJwt, startAll, stopAll } from "./harness.mjs";

let server, port, browser;
const secret = "browser-test-secret";

// Guests sign in by name; the operator with a token.
before(async () => {
  ({ server, port, browser } = await startAll({
    lobby: "EchoMessagesOnJoin = 10",
    offtopic: "PermitPhotos = true",
    tables: jwtTable(secret),
  }));
});

after(() => stopAll({ server, browser }));

const user = (name) => signIn(browser, port, name);
/** The message row whose text contains `text`. */
const row = (page, text) => page.locator("[data-test=message]", { hasText: text });
const chip = (page, text, emoji) => row(page, text).locator(`[data-test=reaction][data-emoji="${emoji}"]`);

// A 48×32 checkered RGB PNG.
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAAQ0lEQVR42u3WsQkAMAgEQMdxnOyPw2QBU0oKD7588Co18lSbymwz3Q8gIKB1oF+DX30gIKB9IJsaCAjIP+R0AAEtB10N5IBqD1eOSgAAAABJRU5ErkJggg==", "base64");

/** Reacts to the message containing `text` with `emoji` from its picker. */
async function react(page, text, emoji) {
  await row(page, text).locator("[data-test=react]").click();
  const picker = row(page, text).locator("[data-test=react-picker]");
  await picker.waitFor({ state: "visible" });
  await picker.locator(`[data-test=react-pick][data-emoji="${emoji}"]`).click();
  await picker.waitFor({ state: "hidden" });
}

/** Drops `buffer` as a file named `name` onto the chat area of `page`. */
async function dropFile(page, name, buffer) {
  await page.evaluate(({ name, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type: "image/png" }));
    const target = document.querySelector("[data-test=history]");
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
    }
  }, { name, b64: buffer.toString("base64") });
}

async function say(page, text) {
  await page.fill('input[aria-label="Message"]', text);
  await page.press('input[aria-label="Message"]', "Enter");
}

async function openChannel(page, id) {
  await page.click(`.channel-link[data-channel="${id}"]`);
  await page.waitForSelector(`.channel-link.is-active[data-channel="${id}"]`);
}

/** Waits until `ok()` holds, checking every 50 ms for up to 10 s. */
async function until(ok, what) {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out: ${what}`);
}

/** Answers the next confirm() on `page` with OK, keeping its text. */
function acceptNextConfirm(page) {
  const asked = [];
  page.once("dialog", (d) => { asked.push(d.message()); d.accept(); });
  return asked;
}

let alice, bob;

test("a reaction shows as a count; a taken-back message disappears for everyone", async () => {
  alice = await user("alice");
  bob = await user("bob");
  await say(alice, "good morning from alice");
  await row(bob, "good morning from alice").waitFor();
  const msgID = Number(await row(alice, "good morning from alice").getAttribute("data-msgid"));
  assert.ok(msgID > 0, `the message has a msgID (got ${msgID})`);

  // Only the author (not an operator) is offered Take back.
  assert.equal(await row(alice, "good morning from alice").locator("[data-test=takeback]").count(), 1);
  assert.equal(await row(bob, "good morning from alice").locator("[data-test=takeback]").count(), 0);

  // Bob reacts with 👍 from the picker; a click elsewhere closes the picker unused.
  await row(bob, "good morning from alice").locator("[data-test=react]").click();
  await row(bob, "good morning from alice").locator("[data-test=react-picker]").waitFor({ state: "visible" });
  await bob.screenshot({ path: path.join(shots, "m1-picker.png") });
  await bob.click("[data-test=history]", { position: { x: 5, y: 5 } });
  await row(bob, "good morning from alice").locator("[data-test=react-picker]").waitFor({ state: "hidden" });
  await react(bob, "good morning from alice", "👍");
  await until(() => bob.sent.some((m) => m?.action === "react"), "bob sent a react");
  assert.deepEqual(bob.sent.filter((m) => m?.action === "react"), [{ action: "react", msgID, message: "👍" }]);

  // Alice sees the count 1 under her message; it is bob's, so not highlighted for her.
  await chip(alice, "good morning from alice", "👍").locator(".count:text-is('1')").waitFor();
  assert.equal(await chip(alice, "good morning from alice", "👍").getAttribute("title"), "bob");
  assert.equal(await chip(alice, "good morning from alice", "👍").evaluate((el) => el.classList.contains("mine")), false);
  await chip(bob, "good morning from alice", "👍").and(bob.locator(".mine")).waitFor();
  await alice.screenshot({ path: path.join(shots, "m2-reaction.png") });

  // Clicking the chip adds alice's 👍 (2, now hers too); clicking again takes it back (1).
  await chip(alice, "good morning from alice", "👍").click();
  await chip(bob, "good morning from alice", "👍").locator(".count:text-is('2')").waitFor();
  await chip(alice, "good morning from alice", "👍").and(alice.locator(".mine")).waitFor();
  await chip(alice, "good morning from alice", "👍").click();
  await chip(bob, "good morning from alice", "👍").locator(".count:text-is('1')").waitFor();
  await chip(alice, "good morning from alice", "👍").and(alice.locator(":not(.mine)")).waitFor();
  // Bob takes his back: no chip is left.
  await chip(bob, "good morning from alice", "👍").click();
  await chip(alice, "good morning from alice", "👍").waitFor({ state: "detached" });

  // Alice takes her message back, after a confirmation: it disappears for both.
  await say(alice, "a second line that stays");
  await row(bob, "a second line that stays").waitFor();
  const asked = acceptNextConfirm(alice);
  await row(alice, "good morning from alice").locator("[data-test=takeback]").click();
  await until(() => alice.sent.some((m) => m?.action === "takeback"), "alice sent a takeback");
  assert.match(asked[0] || "", /take back/i);
  assert.deepEqual(alice.sent.find((m) => m?.action === "takeback"), { action: "takeback", msgID });
  await row(bob, "good morning from alice").waitFor({ state: "detached" });
  await row(alice, "good morning from alice").waitFor({ state: "detached" });
  assert.equal(await row(bob, "a second line that stays").count(), 1, "the other message stays");

  // Dismissing the confirmation sends nothing.
  const before = alice.sent.length;
  alice.once("dialog", (d) => d.dismiss());
  await row(alice, "a second line that stays").locator("[data-test=takeback]").click();
  await alice.waitForTimeout(300);
  assert.equal(alice.sent.slice(before).filter((m) => m?.action === "takeback").length, 0);
  await bob.screenshot({ path: path.join(shots, "m3-taken-back.png") });
});

test("an image shared in a PermitPhotos channel shows inline and opens in the lightbox", async () => {
  // No image button in the lobby (no PermitPhotos) or in a DM between two non-operators.
  assert.equal(await bob.locator("[data-test=image-button]").count(), 0, "no image button in the lobby");
  await bob.click('.who-row[data-user="alice"] button[title="Direct message"]');
  await bob.waitForSelector('.channel-link.is-active[data-channel="@alice"]');
  assert.equal(await bob.locator("[data-test=image-button]").count(), 0, "no image button in a DM without an operator");
  await dropFile(bob, "dropped.png", png);
  await bob.waitForSelector('.history .notice.client:has-text("Images cannot be shared here")');
  await openChannel(bob, "offtopic");
  await bob.waitForSelector("[data-test=image-button]");

  assert.equal(bob.sent.filter((m) => m?.action === "file").length, 0, "nothing was sent in the DM");

  // Too large: refused by the page with a notice, nothing sent.
  const sentBefore = bob.sent.length;
  await bob.setInputFiles("[data-test=image-input]", { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(8 * 1024 * 1024 + 1) });
  await bob.waitForSelector('.history .notice.client:has-text("too large")');
  assert.equal(bob.sent.slice(sentBefore).filter((m) => m?.action === "file").length, 0, "no file sent");

  await bob.setInputFiles("[data-test=image-input]", { name: "checker.png", mimeType: "image/png", buffer: png });
  await until(() => bob.sent.some((m) => m?.action === "file"), "bob sent a file");
  const file = bob.sent.find((m) => m?.action === "file");
  assert.equal(file.channel, "offtopic");
  assert.equal(file.message, "checker.png");
  assert.deepEqual(file.bytes, [...png], "the bytes go as a JSON array of integers");
  const img = '.history .content img[src^="data:image/png"]';
  await bob.waitForSelector(img);
  // Dropping a file onto the chat shares it too.
  await dropFile(bob, "dropped.png", png);
  await until(() => bob.sent.filter((m) => m?.action === "file").length === 2, "bob sent the dropped file");
  assert.equal(bob.sent.filter((m) => m?.action === "file")[1].message, "dropped.png");
  await until(async () => (await bob.locator(img).count()) === 2, "both images show");

  // Alice sees it in offtopic and opens the lightbox by clicking it.
  await openChannel(alice, "offtopic");
  await alice.waitForSelector(img);
  const src = await alice.getAttribute(img, "src");
  await alice.click(img);
  await alice.waitForSelector("[data-test=lightbox] [data-test=lightbox-image]", { state: "visible" });
  assert.equal(await alice.getAttribute("[data-test=lightbox-image]", "src"), src);
  await alice.screenshot({ path: path.join(shots, "m4-lightbox.png") });
  await alice.keyboard.press("Escape");
  await alice.waitForSelector("[data-test=lightbox]", { state: "detached" });
  await alice.click(img);
  await alice.click("[data-test=lightbox]");
  await alice.waitForSelector("[data-test=lightbox]", { state: "detached" });
});

test("someone who joins later sees the last lobby messages with their time", async () => {
  await openChannel(bob, "lobby");
  await say(bob, "bob was here earlier");
  await until(() => alice.received.some((m) => m?.action === "message" && m.message?.includes("bob was here earlier")), "alice got bob's line");

  const carol = await user("carol");
  for (const text of ["a second line that stays", "bob was here earlier"]) {
    await row(carol, text).waitFor();
    await row(carol, text).locator("[data-test=echo-time]").waitFor();
  }
  const echo = carol.received.find((m) => m?.action === "echo");
  assert.ok(echo && echo.messages.every((m) => m.timestamp), "the echo carries timestamps");
  const label = (await row(carol, "bob was here earlier").locator("[data-test=echo-time]").textContent()).trim();
  assert.match(label, /\d{1,2}:\d{2}/, `a time label (got "${label}")`);
  // The taken-back message is not echoed, and carol's own lines are not marked as echoed.
  assert.equal(await row(carol, "good morning from alice").count(), 0, "the taken-back message is gone from the echo");
  await say(carol, "carol says hi");
  await row(carol, "carol says hi").locator("[data-test=msg-time]").waitFor();
  assert.equal(await row(carol, "carol says hi").locator("[data-test=echo-time]").count(), 0);
  // Echoed messages can be reacted to like any other.
  await react(carol, "bob was here earlier", "🔥");
  await chip(bob, "bob was here earlier", "🔥").locator(".count:text-is('1')").waitFor();
  await carol.screenshot({ path: path.join(shots, "m5-echo.png") });
});

test("an operator may take back anyone's message, and a DM with an operator offers images", async () => {
  const oscar = await signInWithToken(browser, port, signJwt({ sub: "oscar", op: true }, secret));
  await bob.waitForSelector('.who-row[data-user="oscar"]');
  await openChannel(alice, "lobby");
  await say(bob, "bob says something rude");
  await row(oscar, "bob says something rude").waitFor();
  await row(alice, "bob says something rude").waitFor();
  // The operator is offered Take back on bob's message; alice, not an operator, is not.
  assert.equal(await row(alice, "bob says something rude").locator("[data-test=takeback]").count(), 0);
  acceptNextConfirm(oscar);
  await row(oscar, "bob says something rude").locator("[data-test=takeback]").click();
  await row(alice, "bob says something rude").waitFor({ state: "detached" });
  await row(bob, "bob says something rude").waitFor({ state: "detached" });
  await row(oscar, "bob says something rude").waitFor({ state: "detached" });

  // Bob, no operator, gets the image button in his DM with the operator and shares a picture.
  await bob.click('.who-row[data-user="oscar"] button[title="Direct message"]');
  await bob.waitForSelector('.channel-link.is-active[data-channel="@oscar"]');
  await bob.waitForSelector("[data-test=image-button]");
  await bob.setInputFiles("[data-test=image-input]", { name: "Checker.PNG", mimeType: "image/png", buffer: png });
  await oscar.click('.channel-link[data-channel="@bob"]');
  await oscar.waitForSelector('.history .content img[src^="data:image/png"]');
  await oscar.screenshot({ path: path.join(shots, "m6-op-dm-image.png") });
});
