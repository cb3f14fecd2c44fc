// DM history from the server (server.md A.4 [DirectMessageHistory], D.3 /api/message/history):
// when the server keeps DMs, a DM thread loads its older messages, 20 at a time, above a divider
// (web-client.md F.2). No DOM and no fetch here, so it can be tested with Vitest.

/**
 * POSTs `body` to one of the server's JSON APIs (server.md D.3); the answer when its OK is true,
 * else throws with its Error.
 */
export async function postApi(path, body, fetchFn = fetch) {
  const r = await fetchFn(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await r.json();
  if (!answer.OK) throw new Error(answer.Error || `status ${r.status}`);
  return answer;
}

/** The divider between the loaded past messages and this session's (web-client.md F.2). */
export const PastDivider = "Messages from your past chat session are available above this line";

/** The "load more" control's label. */
export function loadMoreLabel(remaining) {
  return `Load more messages (${remaining} remaining)`;
}

/** Whether the page can load DM history: the server keeps it, and I have a chat token to ask with. */
export function historyEnabled(config, jwt) {
  return Boolean(config?.DirectMessageHistory?.Enabled && jwt);
}

/** A thread's loading state: `loaded` after the first page, `remaining` older ones, `before` to page from. */
export function pastOf(state, channel) {
  if (!state.past) state.past = {};
  if (!state.past[channel]) state.past[channel] = { loaded: false, loading: false, remaining: 0, before: 0, divided: false };
  return state.past[channel];
}

/** The body of the /api/message/history request for the thread's next (older) page. */
export function historyRequest(state, jwt, channel) {
  return { JWTToken: jwt, Username: channel.slice(1), BeforeID: pastOf(state, channel).before };
}

/**
 * Puts one page of /api/message/history (newest first) above what the thread shows. Messages the
 * thread already has (from this session) are skipped; the divider goes below the first page's
 * messages. Returns how many were added.
 */
export function mergePast(state, channel, answer) {
  const past = pastOf(state, channel);
  const list = state.history[channel] || (state.history[channel] = []);
  const have = new Set(list.map((m) => m.msgID).filter((id) => id !== undefined));
  const messages = answer?.Messages || [];
  const older = [];
  for (const m of [...messages].reverse()) {   // oldest first, as the thread reads
    if (have.has(m.msgID)) continue;
    const at = new Date(m.timestamp);
    older.push({
      kind: "message", username: m.username, html: m.message || "", msgID: m.msgID,
      at: Number.isNaN(at.getTime()) ? new Date() : at, echoed: true, past: true, key: ++state.seq,
    });
  }
  if (!past.divided && older.length) {
    older.push({ kind: "divider", text: PastDivider, key: ++state.seq });
    past.divided = true;
  }
  list.unshift(...older);
  if (messages.length) past.before = messages[messages.length - 1].msgID;
  past.remaining = messages.length ? (answer.Remaining || 0) : 0;
  past.loaded = true;
  return older.filter((m) => m.kind === "message").length;
}
