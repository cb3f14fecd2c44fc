// The page's chat state and the handling of server messages, with no DOM and no WebSocket, so it
// can be tested with Vitest. App.vue renders this state.

/** Video flag bits (protocol.md B.3). */
export const Video = {
  Active: 1, NSFW: 2, Muted: 4, NonExplicit: 8, MutualRequired: 16, MutualOpen: 32, VipOnly: 64,
  Invited: 128, NoWatermark: 256,
};

/** The presence texts the page matches on exactly. */
export const Presence = {
  joined: "has joined the room!",
  exited: "has exited the room!",
  kicked: "has been kicked from the room!",
  banned: "has been banned!",
  timedOut: "has timed out!",
};

/** What a who-list entry's video flags mean for its camera button. */
export function cameraState(video) {
  if (!(video & Video.Active)) return "off";
  return video & Video.NSFW ? "explicit" : "live";
}

/** A fresh chat state for the channels the server configured. */
export function newState(config, me = "") {
  const channels = (config?.PublicChannels || []).map((c) => ({ id: c.ID, name: c.Name || c.ID, icon: c.Icon || "" }));
  const history = {};
  for (const c of channels) history[c.id] = [];
  return {
    me,
    channels,
    active: channels[0]?.id || "",
    history,          // channel id or "@name" -> [messages]
    unread: {},       // channel id or "@name" -> count
    dms: [],          // "@name" threads, most recent first
    who: [],          // latest who list
    jwt: config?.JWT?.Token || "",
    rules: {},
    disconnected: false,
    watchers: new Set(),  // users watching my camera
  };
}

function push(state, channel, entry, countUnread) {
  if (!state.history[channel]) state.history[channel] = [];
  state.history[channel].push(entry);
  if (state.history[channel].length > 1000) state.history[channel].shift();
  if (countUnread && channel !== state.active) state.unread[channel] = (state.unread[channel] || 0) + 1;
}

function touchDM(state, channel) {
  state.dms = [channel, ...state.dms.filter((d) => d !== channel)];
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
      return { me: msg };
    case "who":
      state.who = msg.whoList || [];
      return null;
    case "presence": {
      const text = msg.message || "";
      const always = text !== Presence.joined && text !== Presence.exited;
      const entry = { kind: "presence", username: msg.username, text, at: now };
      push(state, state.channels[0]?.id || state.active, entry, false);
      if (state.history["@" + msg.username]) push(state, "@" + msg.username, entry, false);
      return { sound: text === Presence.joined ? "Enter" : "Leave", always };
    }
    case "message": {
      const channel = msg.channel || state.active;
      const isDM = channel.startsWith("@");
      if (isDM) touchDM(state, channel);
      push(state, channel, {
        kind: "message", username: msg.username, html: msg.message || "", msgID: msg.msgID,
        at: msg.timestamp ? new Date(msg.timestamp) : now,
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
      for (const list of Object.values(state.history)) {
        const i = list.findIndex((m) => m.msgID === msg.msgID);
        if (i >= 0) list.splice(i, 1);
      }
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
