import { describe, expect, it } from "vitest";
import { PollSocket } from "../src/poll_socket.js";

/// A fake server: records each request body and answers from `replies` (objects, or a status number).
function harness(replies) {
  const requests = [];
  const timers = [];
  const deps = {
    fetch: async (url, init) => {
      requests.push({ url, headers: init.headers, body: JSON.parse(init.body) });
      const r = replies.shift() ?? { username: "al", session_id: "s-1", messages: [] };
      if (typeof r === "number") return { ok: false, status: r, json: async () => ({}) };
      return { ok: true, status: 200, json: async () => r };
    },
    setTimeout: (f, ms) => { timers.push({ f, ms }); return timers.length; },
    clearTimeout: (t) => { if (timers[t - 1]) timers[t - 1].f = null; },
  };
  const fire = async (ms) => {
    const t = timers.find((x) => x.f && x.ms === ms);
    const f = t.f;
    t.f = null;
    f();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { requests, timers, deps, fire };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("PollSocket", () => {
  it("opens, logs in first, then sends what came before and polls every 5 s", async () => {
    const h = harness([
      { username: "al", session_id: "s-1", messages: [{ action: "me", username: "al" }] },
      { username: "al", session_id: "s-1", messages: [] },
    ]);
    const s = new PollSocket("/poll", h.deps);
    const got = [];
    let opened = false;
    s.onopen = () => { opened = true; };
    s.onmessage = (ev) => got.push(JSON.parse(ev.data));
    await h.fire(0);
    expect(opened).toBe(true);
    s.send(JSON.stringify({ action: "blocklist", usernames: ["eve"] }));
    expect(h.requests).toHaveLength(0);  // nothing goes before the login
    s.send(JSON.stringify({ action: "login", username: "al" }));
    await settle();
    await settle();
    expect(h.requests[0].body).toEqual({ msg: { action: "login", username: "al" } });
    expect(h.requests[0].headers["Content-Type"]).toBe("application/json");
    expect(got).toEqual([{ action: "me", username: "al" }]);
    expect(h.requests[1].body).toEqual({ username: "al", session_id: "s-1", msg: { action: "blocklist", usernames: ["eve"] } });
    await settle();
    await h.fire(5000);
    expect(h.requests[2].body).toEqual({ username: "al", session_id: "s-1", msg: { action: "ping" } });
  });

  it("closes like a dropped WebSocket when a poll fails, and with 1000 when told", async () => {
    const h = harness([500]);
    const s = new PollSocket("/poll", h.deps);
    let code = null;
    s.onclose = (ev) => { code = ev.code; };
    await h.fire(0);
    s.send(JSON.stringify({ action: "login", username: "al" }));
    await settle();
    await settle();
    expect(code).toBe(1006);
    expect(s.readyState).toBe(PollSocket.CLOSED);

    const h2 = harness([{ username: "al", session_id: "s-2", messages: [{ action: "error" }, { action: "disconnect" }] }]);
    const s2 = new PollSocket("/poll", h2.deps);
    const seen = [];
    s2.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      seen.push(m.action);
      if (m.action === "error") s2.close();  // the page closes on `disconnect`; here earlier, to see it stop
    };
    s2.onclose = (ev) => { code = ev.code; };
    await h2.fire(0);
    s2.send(JSON.stringify({ action: "login", username: "al" }));
    await settle();
    await settle();
    expect(seen).toEqual(["error"]);
    expect(code).toBe(1000);
    expect(h2.timers.filter((t) => t.f && t.ms === 5000)).toHaveLength(0);  // no more polls
  });

  it("forgets a session whose login was refused, so the next login starts anew", async () => {
    const h = harness([{ username: "", session_id: "s-3", messages: [{ action: "error", message: "expired" }] }]);
    const s = new PollSocket("/poll", h.deps);
    await h.fire(0);
    s.send(JSON.stringify({ action: "login", username: "al", jwt: "old" }));
    await settle();
    await settle();
    s.send(JSON.stringify({ action: "login", username: "al", jwt: "new" }));
    await settle();
    expect(h.requests[1].body).toEqual({ msg: { action: "login", username: "al", jwt: "new" } });
  });
});
