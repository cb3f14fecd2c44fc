// Per-recipient rules kept by the page (protocol.md B.2, B.4; web-client.md F.4, F.6, F.8): the
// people I muted, blocked, booted from my camera or invited to watch it. Each change returns the
// messages to send; nothing here touches the DOM or the socket, so Vitest can test it.

/** localStorage key of the cached blocklist (names I blocked; re-sent on every connection). */
export const BlocklistKey = "barertc-blocklist";

/** Boots of people not watching me that are free; after that each needs a cooldown (F.6). */
export const FreePreemptiveBoots = 10;
export const PreemptiveBootCooldownMs = 60_000;

/** The cached blocklist from `storage` (localStorage in the page); bad data counts as empty. */
export function loadBlocklist(storage) {
  try {
    const names = JSON.parse(storage?.getItem(BlocklistKey) || "[]");
    return Array.isArray(names) ? names.filter((n) => typeof n === "string" && n) : [];
  } catch {
    return [];
  }
}

function saveBlocklist(rel) {
  try {
    rel.storage?.setItem(BlocklistKey, JSON.stringify([...rel.blocked].sort()));
  } catch { /* storage full or disabled: the block still holds for this session */ }
}

/** Fresh relations; the blocklist comes from `storage`, the rest lasts for the page's life. */
export function newRelations(storage = null) {
  return {
    storage,
    muted: new Set(),
    blocked: new Set(loadBlocklist(storage)),
    booted: new Set(),
    invited: new Set(),
    preemptiveBoots: 0,
    lastPreemptiveBoot: -Infinity,
    synced: false,   // the first `me` of this connection has been answered
  };
}

/** Whether messages from `name` are hidden on the page. */
export function isHidden(rel, name) {
  return rel.muted.has(name) || rel.blocked.has(name);
}

export function mute(rel, name) {
  rel.muted.add(name);
  return [{ action: "mute", username: name }];
}

export function unmute(rel, name) {
  rel.muted.delete(name);
  return [{ action: "unmute", username: name }];
}

/** A hard block: remembered in the cached blocklist so that it is re-sent after a reconnect. */
export function block(rel, name) {
  rel.blocked.add(name);
  saveBlocklist(rel);
  return [{ action: "block", username: name }];
}

/**
 * Takes `name` off the cached blocklist. There is no unblock action: the block lasts until this
 * connection ends, and the next one no longer sends it.
 */
export function forgetBlock(rel, name) {
  rel.blocked.delete(name);
  saveBlocklist(rel);
}

/** The server blocked `name` for me (`/api/block/now`): cache it; nothing to send. */
export function blockedByServer(rel, name) {
  rel.blocked.add(name);
  saveBlocklist(rel);
}

/**
 * Boots `name` off my camera. `watching` says whether they watch me now; boots of people not
 * watching are free up to FreePreemptiveBoots, then each waits PreemptiveBootCooldownMs after the
 * previous one. Returns { send } or { wait: seconds }.
 */
export function boot(rel, name, watching, now = Date.now()) {
  if (!watching && !rel.booted.has(name)) {
    if (rel.preemptiveBoots >= FreePreemptiveBoots) {
      const left = rel.lastPreemptiveBoot + PreemptiveBootCooldownMs - now;
      if (left > 0) return { wait: Math.ceil(left / 1000) };
    }
    rel.preemptiveBoots++;
    rel.lastPreemptiveBoot = now;
  }
  rel.booted.add(name);
  return { send: [{ action: "boot", username: name }] };
}

export function unboot(rel, name) {
  rel.booted.delete(name);
  return [{ action: "unboot", username: name }];
}

/** Invites `name` to watch my camera; the server gets the whole list each time. */
export function invite(rel, name) {
  rel.invited.add(name);
  return [inviteMessage(rel)];
}

function inviteMessage(rel) {
  return { action: "video-invite", usernames: [...rel.invited].sort() };
}

/** What to send as soon as the socket opens, before `login`. */
export function onSocketOpen(rel) {
  rel.synced = false;
  return rel.blocked.size ? [{ action: "blocklist", usernames: [...rel.blocked].sort() }] : [];
}

/**
 * A `me` arrived. The first one of a connection is answered with the blocklist, boots, mutes and
 * video-invites (protocol.md B.4), in that order; later ones with nothing.
 */
export function onMe(rel) {
  if (rel.synced) return [];
  rel.synced = true;
  const out = [];
  if (rel.blocked.size) out.push({ action: "blocklist", usernames: [...rel.blocked].sort() });
  for (const name of [...rel.booted].sort()) out.push({ action: "boot", username: name });
  for (const name of [...rel.muted].sort()) out.push({ action: "mute", username: name });
  if (rel.invited.size) out.push(inviteMessage(rel));
  return out;
}
