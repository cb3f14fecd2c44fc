import { describe, expect, it } from "vitest";
import { handleMessage, newState, visibleHistory } from "../src/chat.js";
import {
  block, BlocklistKey, boot, forgetBlock, FreePreemptiveBoots, invite, loadBlocklist, mute, newRelations, onMe, onSocketOpen,
  unboot, unmute,
} from "../src/relations.js";

const config = { PublicChannels: [{ ID: "lobby", Name: "Lobby" }], JWT: {} };

/** A localStorage stand-in. */
function memoryStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), data };
}

const texts = (s, ch) => visibleHistory(s, ch).map((m) => m.html ?? m.text);

describe("mute", () => {
  it("hides a muted user's public messages and DMs, and shows them again after unmute", () => {
    const s = newState(config, "alice");
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "before", msgID: 1 });
    expect(mute(s.rel, "bob")).toEqual([{ action: "mute", username: "bob" }]);
    expect(texts(s, "lobby")).toEqual([]);
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "during", msgID: 2 });
    handleMessage(s, { action: "message", channel: "lobby", username: "carol", message: "carol's", msgID: 3 });
    expect(handleMessage(s, { action: "message", channel: "@bob", username: "bob", message: "psst", msgID: 4 })).toBeNull();
    expect(s.dms).toEqual([]);           // no DM thread pops up for a muted user
    expect(s.unread["@bob"] || 0).toBe(0);
    expect(texts(s, "lobby")).toEqual(["carol's"]);
    expect(unmute(s.rel, "bob")).toEqual([{ action: "unmute", username: "bob" }]);
    expect(texts(s, "lobby")).toEqual(["before", "carol's"]);
  });

  it("keeps my own DMs to a muted partner and hides their echoed history and presence", () => {
    const s = newState(config, "alice");
    mute(s.rel, "bob");
    handleMessage(s, { action: "message", channel: "@bob", username: "alice", message: "mine" });
    handleMessage(s, { action: "echo", messages: [{ channel: "lobby", username: "bob", message: "old", timestamp: "2026-01-01T00:00:00Z" }] });
    handleMessage(s, { action: "presence", username: "bob", message: "has joined the room!" });
    expect(texts(s, "@bob")).toEqual(["mine"]);
    expect(s.history.lobby).toEqual([]);
  });
});

describe("blocklist", () => {
  it("stores blocked names and sends the list before login, then again after the first me", () => {
    const storage = memoryStorage();
    const s = newState(config, "", storage);
    expect(onSocketOpen(s.rel)).toEqual([]);   // nothing cached yet: nothing before login
    expect(block(s.rel, "dave")).toEqual([{ action: "block", username: "dave" }]);
    expect(JSON.parse(storage.data.get(BlocklistKey))).toEqual(["dave"]);

    // A reload: the cached list comes back and goes out first.
    const t = newState(config, "", storage);
    expect(onSocketOpen(t.rel)).toEqual([{ action: "blocklist", usernames: ["dave"] }]);
    const first = handleMessage(t, { action: "me", username: "alice" });
    expect(first.send[0]).toEqual({ action: "blocklist", usernames: ["dave"] });
    expect(handleMessage(t, { action: "me", username: "alice" }).send).toEqual([]);  // only the first me
    expect(texts(t, "lobby")).toEqual([]);
    handleMessage(t, { action: "message", channel: "lobby", username: "dave", message: "hi" });
    expect(texts(t, "lobby")).toEqual([]);     // a blocked user's messages stay hidden
  });

  it("forgets a block: the next connection no longer sends it", () => {
    const storage = memoryStorage();
    const rel = newRelations(storage);
    block(rel, "dave");
    block(rel, "erin");
    forgetBlock(rel, "dave");
    expect(loadBlocklist(storage)).toEqual(["erin"]);
    expect(onSocketOpen(newRelations(storage))).toEqual([{ action: "blocklist", usernames: ["erin"] }]);
  });

  it("reads a missing or broken cache as empty", () => {
    expect(loadBlocklist(memoryStorage({ [BlocklistKey]: "not json" }))).toEqual([]);
    expect(loadBlocklist(memoryStorage({ [BlocklistKey]: '{"a":1}' }))).toEqual([]);
    expect(loadBlocklist(null)).toEqual([]);
  });

  it("re-sends blocklist, boots, mutes and invites in that order after each reconnect", () => {
    const s = newState(config, "alice", memoryStorage({ [BlocklistKey]: '["zed"]' }));
    onSocketOpen(s.rel);
    handleMessage(s, { action: "me", username: "alice" });
    mute(s.rel, "bob");
    boot(s.rel, "carol", true);
    invite(s.rel, "erin");
    invite(s.rel, "dan");
    onSocketOpen(s.rel);                       // a new connection
    expect(handleMessage(s, { action: "me", username: "alice" }).send).toEqual([
      { action: "blocklist", usernames: ["zed"] },
      { action: "boot", username: "carol" },
      { action: "mute", username: "bob" },
      { action: "video-invite", usernames: ["dan", "erin"] },
    ]);
  });
});

describe("server block", () => {
  it("caches the name so the block is re-sent, and asks the page to close the video", () => {
    const storage = memoryStorage();
    const s = newState(config, "alice", storage);
    expect(handleMessage(s, { action: "block", username: "mallory" })).toEqual({ block: "mallory" });
    expect(loadBlocklist(storage)).toEqual(["mallory"]);
    expect(onSocketOpen(s.rel)).toEqual([{ action: "blocklist", usernames: ["mallory"] }]);
    expect(handleMessage(s, { action: "block" })).toBeNull();   // no name: nothing to do
  });
});

describe("boot and invite", () => {
  it("boots and unboots", () => {
    const rel = newRelations();
    expect(boot(rel, "carol", true)).toEqual({ send: [{ action: "boot", username: "carol" }] });
    expect(unboot(rel, "carol")).toEqual([{ action: "unboot", username: "carol" }]);
    expect(onMe(rel)).toEqual([]);   // unbooted: not re-sent
  });

  it("allows 10 free boots of people not watching, then one a minute; viewers can always be booted", () => {
    const rel = newRelations();
    for (let i = 0; i < FreePreemptiveBoots; i++) expect(boot(rel, `u${i}`, false, 1000)).toHaveProperty("send");
    expect(boot(rel, "late", false, 31_000)).toEqual({ wait: 30 });
    expect(boot(rel, "viewer", true, 31_000)).toHaveProperty("send");
    expect(boot(rel, "late", false, 61_000)).toHaveProperty("send");
    expect(boot(rel, "later", false, 62_000)).toEqual({ wait: 59 });
  });

  it("sends the whole invite list each time", () => {
    const rel = newRelations();
    expect(invite(rel, "bob")).toEqual([{ action: "video-invite", usernames: ["bob"] }]);
    expect(invite(rel, "alice")).toEqual([{ action: "video-invite", usernames: ["alice", "bob"] }]);
    expect(invite(rel, "bob")).toEqual([{ action: "video-invite", usernames: ["alice", "bob"] }]);
  });
});
