// The polling transport (protocol.md B.8) behind the WebSocket interface the page already uses
// (readyState, send, close, onopen, onmessage, onclose), for networks whose proxies break
// WebSockets. Settings > Advanced turns it on (localStorage `usePolling`).

export const PollIntervalMs = 5000;  // the client polls (a `ping`) every 5 s (B.8)

export class PollSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;

  /// `url` is the /poll endpoint; `deps` lets tests pass their own fetch and timers.
  constructor(url, deps = {}) {
    this.url = url;
    this.fetch = deps.fetch || ((...a) => fetch(...a));
    this.setTimeout = deps.setTimeout || ((f, ms) => setTimeout(f, ms));
    this.clearTimeout = deps.clearTimeout || ((t) => clearTimeout(t));
    this.interval = deps.interval ?? PollIntervalMs;
    this.readyState = PollSocket.CONNECTING;
    this.username = "";
    this.sessionId = "";
    this.outbox = [];     // messages waiting for their request (one message per request)
    this.busy = false;    // a request is in flight
    this.timer = null;    // the next ping
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    // Like a WebSocket, "open" comes after the caller has set its handlers.
    this.setTimeout(() => {
      if (this.readyState !== PollSocket.CONNECTING) return;
      this.readyState = PollSocket.OPEN;
      this.onopen?.({});
    }, 0);
  }

  /// Queues one message (JSON text, as for a WebSocket). Until a session exists, only a `login`
  /// can start one; what comes before it (the blocklist) follows right after.
  send(text) {
    if (this.readyState !== PollSocket.OPEN) return;
    const msg = JSON.parse(text);
    if (!this.sessionId && msg.action === "login" && !this.outbox.some((m) => m.action === "login")) {
      this.outbox.unshift(msg);
    } else {
      this.outbox.push(msg);
    }
    this.pump();
  }

  close(code = 1000) {
    if (this.readyState === PollSocket.CLOSED) return;
    this.readyState = PollSocket.CLOSED;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
    this.outbox = [];
    this.onclose?.({ code });
  }

  /// Sends the next message, or a ping when nothing waits and a session exists.
  async pump() {
    if (this.busy || this.readyState !== PollSocket.OPEN) return;
    let msg;
    if (!this.sessionId) {
      if (this.outbox[0]?.action !== "login") return;  // nothing can go before the login
      msg = this.outbox.shift();
    } else {
      msg = this.outbox.shift() || { action: "ping" };
    }
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
    this.busy = true;
    const body = this.sessionId ? { username: this.username, session_id: this.sessionId, msg } : { msg };
    let answer;
    try {
      const r = await this.fetch(this.url, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      answer = await r.json();
    } catch {
      this.busy = false;
      this.close(1006);  // as a dropped WebSocket: the page reconnects
      return;
    }
    this.busy = false;
    if (this.readyState !== PollSocket.OPEN) return;
    if (answer.session_id) this.sessionId = answer.session_id;
    if (answer.username) this.username = answer.username;
    for (const m of answer.messages || []) {
      if (this.readyState !== PollSocket.OPEN) return;  // a `disconnect` closed it
      this.onmessage?.({ data: JSON.stringify(m) });
      if (m.action === "me" && m.username) this.username = m.username;
    }
    if (this.readyState !== PollSocket.OPEN) return;
    // A login the server refused (an expired token) leaves a session with no name: the next
    // login starts a new one.
    if (!this.username) this.sessionId = "";
    if (this.outbox.length) return this.pump();
    if (this.sessionId) this.timer = this.setTimeout(() => { this.timer = null; this.pump(); }, this.interval);
  }
}
