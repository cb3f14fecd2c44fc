// The page's chat state and the handling of server messages, with no DOM and no WebSocket, so it
// can be tested with Vitest. App.vue renders this state.

// The exact texts shared with the server (one source for both: protocol/texts.json).
import texts from "../../protocol/texts.json";
import { applyReaction, takeBack } from "./messages.js";
import { blockedByServer, isHidden, newRelations, onMe } from "./relations.js";

/** Video flag bits (protocol.md B.3). */
export const Video = {
  Active: 1, NSFW: 2, Muted: 4, NonExplicit: 8, MutualRequired: 16, MutualOpen: 32, VipOnly: 64,
  Invited: 128, NoWatermark: 256,
};

/** The presence texts the page matches on exactly: joined, exited, kicked, banned, timedOut. */
export const Presence = Object.freeze({ ...texts.presence });

/** What a who-list entry's video flags mean for its camera button. */
export function cameraState(video) {
  if (!(video & Video.Active)) return "off";
  return video & Video.NSFW ? "explicit" : "live";
}

/**
 * The classes of a who-list entry's camera button: its state, plus "invited" when that
 * broadcaster invited me (green border, web-client.md F.4) and "vip" for a VIP-only camera.
 */
export function cameraClasses(video) {
  const state = cameraState(video);
  if (state === "off") return ["off"];
  const out = [state];
  if (video & Video.Invited) out.push("invited");
  if (video & Video.VipOnly) out.push("vip");
  return out;
}

/** The `video` flags of my `me` (B.3): 0 with the camera off; VIP-only only for a VIP. */
export function myVideoFlags({ sharing, explicit, micMuted, vipOnly, isVip }) {
  if (!sharing) return 0;
  let video = Video.Active;
  if (explicit) video |= Video.NSFW;
  if (micMuted) video |= Video.Muted;
  if (vipOnly && isVip) video |= Video.VipOnly;
  return video;
}

/** Whether I am a VIP: from my JWT claims, or from my own who-list entry. */
export function amVip(state, claims) {
  return Boolean(claims?.vip || state.who.find((w) => w.username === state.me)?.vip);
}

/** Whether I am an operator: from my JWT claims, or from my own who-list entry. */
export function amOp(state, claims) {
  return Boolean(claims?.op || state.who.find((w) => w.username === state.me)?.op);
}

/**
 * A fresh chat state for the channels the server configured. `storage` (localStorage in the
 * page) holds the cached blocklist.
 */
export function newState(config, me = "", storage = null) {
  const channels = (config?.PublicChannels || []).map((c) => ({
    id: c.ID, name: c.Name || c.ID, icon: c.Icon || "", photos: Boolean(c.PermitPhotos),
  }));
  const history = {};
  for (const c of channels) history[c.id] = [];
  return {
    me,
    channels,
    active: channels[0]?.id || "",
    history,          // channel id or "@name" -> [messages]
    unread: {},       // channel id or "@name" -> count
    dms: [],          // "@name" threads, most recent first
    reactions: {},    // msgID -> emoji -> [usernames] (messages.js)
    past: {},         // "@name" -> DM history loading state (dm_history.js)
    seq: 0,           // the last history entry's key (stable across takebacks)
    who: [],          // latest who list
    jwt: config?.JWT?.Token || "",
    rules: {},
    disconnected: false,
    watchers: new Set(),  // users watching my camera
    rel: newRelations(storage),  // muted, blocked, booted, invited (relations.js)
  };
}

function push(state, channel, entry, countUnread) {
  if (!state.history[channel]) state.history[channel] = [];
  entry.key = ++state.seq;
  state.history[channel].push(entry);
  if (state.history[channel].length > 1000) {
    const gone = state.history[channel].shift();
    if (gone.msgID !== undefined) delete state.reactions[gone.msgID];
  }
  if (countUnread && channel !== state.active) state.unread[channel] = (state.unread[channel] || 0) + 1;
}

function touchDM(state, channel) {
  state.dms = [channel, ...state.dms.filter((d) => d !== channel)];
}

/** A channel's history as shown: messages and presence of muted or blocked users are hidden. */
export function visibleHistory(state, channel) {
  const list = state.history[channel] || [];
  return list.filter((m) => !(m.kind === "message" || m.kind === "presence") || m.username === state.me
    || !isHidden(state.rel, m.username));
}

/** Opens a channel or DM thread and clears its unread count. */
export function openChannel(state, channel) {
  if (channel.startsWith("@")) {
    if (!state.history[channel]) state.history[channel] = [];
    if (!state.dms.includes(channel)) touchDM(state, channel);
  }
  state.active = channel;
  state.unread[channel] = 0;
}

/** Total unread count (for the mobile drawer button) and whether any DM is unread. */
export function unreadSummary(state) {
  let total = 0, dm = false;
  for (const [ch, n] of Object.entries(state.unread)) {
    total += n || 0;
    if (n && ch.startsWith("@")) dm = true;
  }
  return { total, dm };
}

/**
 * Applies one server message to the state. Returns an effect for the page to carry out
 * (e.g. { sound: "DM" }, { webrtc: msg }), or null.
 */
export function handleMessage(state, msg, now = new Date()) {
  switch (msg.action) {
    case "me":
      if (msg.username) state.me = msg.username;
      return { me: msg, send: onMe(state.rel) };
    case "who":
      state.who = msg.whoList || [];
      return null;
    case "presence": {
      if (isHidden(state.rel, msg.username)) return null;
      const text = msg.message || "";
      const always = text !== Presence.joined && text !== Presence.exited;
      const entry = { kind: "presence", username: msg.username, text, at: now };
      push(state, state.channels[0]?.id || state.active, entry, false);
      if (state.history["@" + msg.username]) push(state, "@" + msg.username, entry, false);
      return { sound: text === Presence.joined ? "Enter" : "Leave", always };
    }
    case "message": {
      if (msg.username !== state.me && isHidden(state.rel, msg.username)) return null;
      const channel = msg.channel || state.active;
      const isDM = channel.startsWith("@");
      if (isDM) touchDM(state, channel);
      // An echoed message (from `echo`, or from history) carries the server's time (RFC 3339).
      const stamp = msg.timestamp ? new Date(msg.timestamp) : null;
      const echoed = Boolean(stamp && !Number.isNaN(stamp.getTime()));
      push(state, channel, {
        kind: "message", username: msg.username, html: msg.message || "", msgID: msg.msgID,
        at: echoed ? stamp : now, echoed,
      }, msg.username !== state.me);
      return { sound: isDM ? "DM" : "Chat" };
    }
    case "echo":
      for (const inner of msg.messages || []) handleMessage(state, { ...inner, action: "message" }, now);
      return null;
    case "error": {
      const channel = msg.channel || state.active;
      push(state, channel, { kind: "server", username: "ChatServer", html: msg.message || "", at: now }, false);
      return null;
    }
    case "takeback":
      takeBack(state.history, state.reactions, msg.msgID);
      return null;
    case "react":
      if (msg.username !== state.me && isHidden(state.rel, msg.username)) return null;
      applyReaction(state.reactions, msg.msgID, msg.message, msg.username);
      return null;
    case "ping":
      if (msg.jwt) state.jwt = msg.jwt;
      if (msg.jwtRules) state.rules = msg.jwtRules;
      return null;
    case "disconnect":
      state.disconnected = true;
      state.who = [];
      return { disconnect: true };
    case "watch":
      if (!state.watchers.has(msg.username)) clientNotice(state, `${msg.username} is now watching your camera.`, now);
      state.watchers.add(msg.username);
      return { sound: "Watch" };
    case "unwatch":
      state.watchers.delete(msg.username);
      return null;
    case "cut":
      return { cut: true };
    case "block":
      // The server blocked them for me: cache it so the block is re-sent after a reconnect.
      if (!msg.username) return null;
      blockedByServer(state.rel, msg.username);
      return { block: msg.username };
    case "ring": case "open": case "candidate": case "sdp":
      return { webrtc: msg };
    default:
      return null;
  }
}

/** A ChatClient notice written by the page itself (connection status, hints). */
export function clientNotice(state, text, now = new Date()) {
  push(state, state.active, { kind: "client", username: "ChatClient", text, at: now }, false);
}

/** Reconnect attempts after an unexpected close before the page gives up (web-client.md F.8). */
export const MaxReconnects = 8;
export const ReconnectDelayMs = 5000;

/**
 * The socket closed with `code` after `failures` failed attempts in a row: clears the who list and
 * says whether to try again. No retry after the server's `disconnect` or a normal close (1000), or
 * after too many failures. A server restart (1001, going away) is retried after 5–15 s, spread at
 * random so that a full room does not come back in one burst.
 */
export function connectionLost(state, code, failures, now = new Date(), random = Math.random) {
  state.who = [];
  state.watchers.clear();
  if (state.disconnected) return { retry: false };
  if (code === 1000) {
    clientNotice(state, "You have been disconnected from the chat server. Reload the page to come back.", now);
    return { retry: false };
  }
  if (failures >= MaxReconnects) {
    clientNotice(state, "Could not reconnect to the chat server. Please try again later.", now);
    return { retry: false };
  }
  const delay = code === 1001 ? ReconnectDelayMs + Math.floor(random() * 2 * ReconnectDelayMs) : ReconnectDelayMs;
  const why = code === 1001 ? "The chat server is restarting" : "Disconnected from the chat server";
  clientNotice(state, `${why}; reconnecting in ${Math.round(delay / 1000)} s (attempt ${failures + 1} of ${MaxReconnects})…`, now);
  return { retry: true, delay };
}
