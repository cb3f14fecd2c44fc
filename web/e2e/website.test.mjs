// Browser test of the website's webhooks (issue 13): the Report button on messages and profile
// cards, shown only while the report webhook is on, and the profile card's details from the
// profile webhook (/api/profile), against the real server and a webhook receiver on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import path from "node:path";
import { checkBuilt, launchBrowser, shots, signIn, signInWithToken, signJwt, startServer } from "./harness.mjs";

let server, port, browser, receiver, receiverPort;
const secret = "browser-website-secret";
const calls = [];

before(async () => {
  checkBuilt();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      calls.push({ path: req.url, body: JSON.parse(body) });
      const answer = req.url === "/profile"
        ? { StatusCode: 200, Data: { OK: true, Headline: "Loves long walks", ProfileFields: [{ Name: "City", Value: "Lisbon" }] } }
        : {};
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  receiverPort = receiver.address().port;
  ({ server, port } = await startServer(0, {
    top: `AdminAPIKey = "browser-website-key"`,
    tables: `[JWT]\nEnabled = true\nStrict = false\nSecretKey = "${secret}"\n` +
      `[[WebhookURLs]]\nName = "report"\nEnabled = true\nURL = "http://127.0.0.1:${receiverPort}/report"\n` +
      `[[WebhookURLs]]\nName = "profile"\nEnabled = true\nURL = "http://127.0.0.1:${receiverPort}/profile"\n`,
  }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  receiver?.close();
});

async function until(ok, what) {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out: ${what}`);
}

test("a message is reported to the website, and the profile card shows the website's details", async () => {
  const alice = await signInWithToken(browser, port, signJwt({ sub: "alice" }, secret));
  const bob = await signIn(browser, port, "bob");
  await bob.fill('input[aria-label="Message"]', "buy cheap watches");
  await bob.press('input[aria-label="Message"]', "Enter");
  const line = '[data-test=message][data-user="bob"]';
  await alice.waitForSelector(line);
  // Only others' messages can be reported.
  assert.equal(await bob.locator(`${'[data-test=message][data-user="bob"]'} [data-test=report]`).count(), 0);
  alice.once("dialog", (d) => d.accept("spam"));
  await alice.click(`${line} [data-test=report]`);
  await alice.waitForSelector('text=Your report has been delivered successfully.');
  const report = calls.find((c) => c.path === "/report");
  assert.equal(report.body.Action, "report");
  assert.deepEqual([report.body.Report.FromUsername, report.body.Report.AboutUsername, report.body.Report.Reason,
    report.body.Report.Channel, report.body.Report.Message.trim()], ["alice", "bob", "spam", "lobby", "buy cheap watches"]);
  await alice.click('.who-row[data-user="bob"] button[title="Profile"]');
  await alice.waitForSelector('[data-test=profile-headline]:has-text("Loves long walks")');
  await alice.waitForSelector('[data-test=profile-fields]:has-text("Lisbon")');
  assert.ok(await alice.isVisible("[data-test=profile-report]"));
  await until(() => calls.some((c) => c.path === "/profile" && c.body.Username === "bob"), "profile webhook called");
  await alice.screenshot({ path: path.join(shots, "website-profile-card.png") });
  await alice.context().close();
  await bob.context().close();
});

test("an operator kicks from the profile card and the reason goes to the report webhook", async () => {
  const op = await signInWithToken(browser, port, signJwt({ sub: "opal", op: true }, secret));
  const rude = await signIn(browser, port, "rude");
  await op.click('.who-row[data-user="rude"] button[title="Profile"]');
  op.once("dialog", (d) => d.accept("shouting at everyone"));
  await op.click("[data-test=profile-kick]");
  await rude.waitForSelector("text=You have been signed out of the chat");
  await until(() => calls.some((c) => c.path === "/report" && c.body.Report.AboutUsername === "rude"), "kick reported");
  const r = calls.find((c) => c.path === "/report" && c.body.Report.AboutUsername === "rude").body.Report;
  assert.deepEqual([r.FromUsername, r.Reason, r.Comment], ["opal", "User kicked from chat", "shouting at everyone"]);
  await op.context().close();
  await rude.context().close();
});

test("without the report webhook there is no Report button", async () => {
  const plain = await startServer(0);
  try {
    const carol = await signIn(browser, plain.port, "carol");
    const dave = await signIn(browser, plain.port, "dave");
    await dave.fill('input[aria-label="Message"]', "hello");
    await dave.press('input[aria-label="Message"]', "Enter");
    await carol.waitForSelector('[data-test=message][data-user="dave"]');
    assert.equal(await carol.locator("[data-test=report]").count(), 0);
    await carol.click('.who-row[data-user="dave"] button[title="Profile"]');
    await carol.waitForSelector('[data-test=profile][data-user="dave"]');
    assert.equal(await carol.locator("[data-test=profile-report]").count(), 0);
    await carol.context().close();
    await dave.context().close();
  } finally {
    plain.server.kill("SIGTERM");
  }
});
