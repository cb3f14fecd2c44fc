// Shared pieces of the browser tests: the real server with the test settings, Debian's Chromium
// driven by playwright-core with a fake camera and microphone, and signing a guest in.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
// Relative to where the tests were started: the server itself runs in a temporary folder.
const binary = process.env.BARERTC_BIN ? path.resolve(process.env.BARERTC_BIN) : path.join(root, "build/barertc");
export const shots = path.join(root, "test-output/browser");
mkdirSync(shots, { recursive: true });

/** Fails early, with the fix, when the page or the server binary is missing. */
export function checkBuilt() {
  if (!existsSync(path.join(root, "web/dist/index.html"))) throw new Error("web/dist is not built: run scripts/build-web.sh");
  if (!existsSync(binary)) throw new Error(`no server binary at ${binary}: run scripts/build.sh`);
}

/**
 * Starts the server on `listen` (0: any free port) with the test settings, plus `top` (top-level
 * keys), `lobby` and `offtopic` (keys of those channels) and `tables` (TOML tables) when given.
 */
export async function startServer(listen, { top = "", lobby = "", offtopic = "", tables = "" } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "barertc-browser-"));
  writeFileSync(path.join(dir, "settings.toml"), `
Title = "Browser Test Chat"
Branding = "<strong>BareRTC</strong>"
PermitNSFW = true
${top}
[Server]
Address = "127.0.0.1:${listen}"
[TURN]
URLs = []
[[PublicChannels]]
ID = "lobby"
Name = "Lobby"
Icon = "fa fa-gavel"
WelcomeMessages = ["Welcome to the **lobby**!"]
${lobby}
[[PublicChannels]]
ID = "offtopic"
Name = "Off Topic"
Icon = "fa fa-comments"
${offtopic}
${tables}`);
  const proc = spawn(binary, ["--config", path.join(dir, "settings.toml"), "--web-root", path.join(root, "web/dist")],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const bound = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + out)), 15000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/\(port (\d+)\)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
  });
  return { server: proc, port: bound };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
  });
}

/** The <video> at `selector` advances over a second. */
export async function assertPlaying(page, selector, what) {
  const before = await page.$eval(selector, (v) => v.currentTime);
  await page.waitForTimeout(1000);
  const after = await page.$eval(selector, (v) => v.currentTime);
  assert.ok(after > before, `${what} (currentTime ${before} -> ${after})`);
}

/** Posts `text` from `page` to the channel it shows. */
export async function say(page, text) {
  await page.fill('input[aria-label="Message"]', text);
  await page.press('input[aria-label="Message"]', "Enter");
}

/** `from` opens a DM with `to` from the who list and sends `text`; `receiver` sees the unread count. */
export async function directMessage(from, to, text, receiver, fromName) {
  await from.click(`.who-row[data-user="${to}"] button[title="Direct message"]`);
  await say(from, text);
  await receiver.waitForSelector(`.channel-link[data-channel="@${fromName}"] .tag:text("1")`);
}

/**
 * `broadcaster` (signed in as `name`) shares the fake webcam; `viewer` opens it from the who list,
 * the video plays, and the broadcaster sees one watcher. Returns the feed's video selector.
 */
export async function watchWebcam(viewer, broadcaster, name, what = "the remote video plays") {
  await broadcaster.click("text=Share webcam");
  await viewer.waitForSelector(`.who-row[data-user="${name}"] .video-btn.live`);
  await viewer.click(`.who-row[data-user="${name}"] .video-btn`);
  const feed = `.feed[data-feed="${name}"] video`;
  await viewer.waitForSelector(feed);
  await viewer.waitForFunction((sel) => document.querySelector(sel)?.videoWidth > 0, feed, { timeout: 20000 });
  await assertPlaying(viewer, feed, what);
  await broadcaster.waitForSelector('[data-test=watchers]:has-text("1")');
  return feed;
}

/** One server and one browser for a test file: call in `before`; stopAll in `after`. */
export async function startAll(options) {
  checkBuilt();
  const { server, port } = await startServer(0, options);
  return { server, port, browser: await launchBrowser() };
}

export async function stopAll({ server, browser }) {
  await browser?.close();
  server?.kill("SIGTERM");
}

/** JWT on but not strict (guests sign in by name, others with a token), signed with `secret`. */
export const jwtTable = (secret) => `[JWT]\nEnabled = true\nStrict = false\nSecretKey = "${secret}"\n`;

/** Signs `name` in as a guest on the page at `port`, in a browser context of its own. */
export async function signIn(browser, port, name, viewport = { width: 1280, height: 800 }, colorScheme = "light") {
  const ctx = await browser.newContext({ viewport, colorScheme, reducedMotion: "reduce", permissions: ["camera", "microphone"] });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`[${name}] page error:`, e.message));
  recordFrames(page);
  await recordHandshakes(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await enter(page, name);
  return page;
}

/** An HS256 token for `claims` (sub, vip, op...), valid for five minutes. */
export function signJwt(claims, secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ exp: Math.floor(Date.now() / 1000) + 300, ...claims })}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** Opens the page with a JWT (?jwt=): the page signs itself in as the token's subject. */
export async function signInWithToken(browser, port, token) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ["camera", "microphone"] });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error("[jwt user] page error:", e.message));
  recordFrames(page);
  await page.goto(`http://127.0.0.1:${port}/?jwt=${encodeURIComponent(token)}`);
  await page.waitForSelector(`[data-test=status]:text("online")`);
  return page;
}

/** Fills in the name prompt of a page that has just loaded and waits until it is online. */
export async function enter(page, name) {
  await page.fill("#username", name);
  await page.click("text=Enter chat");
  await page.waitForSelector(`[data-test=status]:text("online")`);
}

/**
 * Keeps the response headers of each WebSocket handshake the page makes (from Chromium's
 * DevTools protocol) in page.handshakes, keys lower-cased: what the browser negotiated.
 */
export async function recordHandshakes(page) {
  page.handshakes = [];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.webSocketHandshakeResponseReceived", ({ response }) => {
    page.handshakes.push(Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v])));
  });
}

/**
 * Keeps every WebSocket message the page sends and receives, parsed, in page.sent and
 * page.received (newest last), so tests can check what went over the wire.
 */
export function recordFrames(page) {
  page.sent = [];
  page.received = [];
  const parse = (payload) => { try { return JSON.parse(payload); } catch { return null; } };
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => page.sent.push(parse(payload)));
    ws.on("framereceived", ({ payload }) => page.received.push(parse(payload)));
  });
}
