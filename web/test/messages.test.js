import { describe, expect, it } from "vitest";
import { handleMessage, newState } from "../src/chat.js";
import {
  applyReaction, canShareImages, canTakeBack, fileMessage, FileUploadMaxSize, NudgeNsfwMsgID, reactionChips,
  reactMessage, refuseFile, takeBack, takebackMessage,
} from "../src/messages.js";
import { mute } from "../src/relations.js";

const config = {
  PublicChannels: [{ ID: "lobby", Name: "Lobby" }, { ID: "offtopic", Name: "Off Topic", PermitPhotos: true }], JWT: {},
};

describe("reaction map", () => {
  it("collects who reacted with which emoji, per message", () => {
    const r = {};
    expect(applyReaction(r, 5, "👍", "bob")).toBe(true);
    applyReaction(r, 5, "👍", "carol");
    applyReaction(r, 5, "🔥", "bob");
    applyReaction(r, 6, "😂", "dave");
    expect(r).toEqual({ 5: { "👍": ["bob", "carol"], "🔥": ["bob"] }, 6: { "😂": ["dave"] } });
  });

  it("toggles a repeat reaction by the same user off, and drops emptied entries", () => {
    const r = {};
    applyReaction(r, 5, "👍", "bob");
    applyReaction(r, 5, "👍", "carol");
    applyReaction(r, 5, "👍", "bob");
    expect(r[5]).toEqual({ "👍": ["carol"] });
    applyReaction(r, 5, "👍", "carol");
    expect(r).toEqual({});
    applyReaction(r, 5, "👍", "bob");   // and on again
    expect(r[5]).toEqual({ "👍": ["bob"] });
  });

  it("ignores the NSFW nudge and malformed reacts", () => {
    const r = {};
    expect(applyReaction(r, NudgeNsfwMsgID, "alice", "bob")).toBe(false);
    expect(applyReaction(r, undefined, "👍", "bob")).toBe(false);
    expect(applyReaction(r, "5", "👍", "bob")).toBe(false);
    expect(applyReaction(r, 5, "", "bob")).toBe(false);
    expect(applyReaction(r, 5, "👍", "")).toBe(false);
    expect(r).toEqual({});
  });

  it("shows chips with counts in first-reacted order, mine marked", () => {
    const r = {};
    applyReaction(r, 5, "🔥", "bob");
    applyReaction(r, 5, "👍", "me");
    applyReaction(r, 5, "👍", "bob");
    expect(reactionChips(r, 5, "me")).toEqual([
      { emoji: "🔥", count: 1, names: ["bob"], mine: false },
      { emoji: "👍", count: 2, names: ["me", "bob"], mine: true },
    ]);
    expect(reactionChips(r, 99, "me")).toEqual([]);
  });

  it("is fed by the server's react broadcasts, without the reactions of people I muted", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "message", channel: "lobby", username: "me", message: "hi", msgID: 3 });
    handleMessage(s, { action: "react", username: "bob", message: "❤️", msgID: 3 });
    handleMessage(s, { action: "react", username: "me", message: "❤️", msgID: 3 });
    expect(reactionChips(s.reactions, 3, "me")).toEqual([{ emoji: "❤️", count: 2, names: ["bob", "me"], mine: true }]);
    handleMessage(s, { action: "react", username: "me", message: "❤️", msgID: 3 });
    expect(reactionChips(s.reactions, 3, "me")[0]).toMatchObject({ count: 1, mine: false });
    mute(s.rel, "carol");
    handleMessage(s, { action: "react", username: "carol", message: "❤️", msgID: 3 });
    expect(reactionChips(s.reactions, 3, "me")[0].count).toBe(1);
  });

  it("sends the emoji as the react's message", () => {
    expect(reactMessage(3, "👍")).toEqual({ action: "react", msgID: 3, message: "👍" });
  });
});

describe("takeback", () => {
  it("removes the message from every channel and DM, and forgets its reactions", () => {
    const history = {
      lobby: [{ kind: "message", msgID: 1 }, { kind: "message", msgID: 2 }],
      offtopic: [{ kind: "message", msgID: 2 }],
      "@bob": [{ kind: "message", msgID: 2 }, { kind: "presence" }],
    };
    const reactions = { 1: { "👍": ["bob"] }, 2: { "🔥": ["bob"] } };
    expect(takeBack(history, reactions, 2)).toBe(true);
    expect(history).toEqual({ lobby: [{ kind: "message", msgID: 1 }], offtopic: [], "@bob": [{ kind: "presence" }] });
    expect(reactions).toEqual({ 1: { "👍": ["bob"] } });
    expect(takeBack(history, reactions, 42)).toBe(false);
    expect(history.lobby).toHaveLength(1);
  });

  it("applies the server's takeback to the chat state, in DMs too", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "x", msgID: 7 });
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "y", msgID: 8 });
    handleMessage(s, { action: "message", channel: "@bob", username: "bob", message: "z", msgID: 9 });
    handleMessage(s, { action: "react", username: "me", message: "👍", msgID: 7 });
    handleMessage(s, { action: "takeback", msgID: 7 });
    handleMessage(s, { action: "takeback", msgID: 9 });
    expect(s.history.lobby.map((m) => m.msgID)).toEqual([8]);
    expect(s.history["@bob"]).toEqual([]);
    expect(s.reactions).toEqual({});
  });

  it("is offered on my own messages, and on anyone's to an operator", () => {
    const mine = { kind: "message", username: "me", msgID: 1 };
    const theirs = { kind: "message", username: "bob", msgID: 2 };
    expect(canTakeBack(mine, "me", false)).toBe(true);
    expect(canTakeBack(theirs, "me", false)).toBe(false);
    expect(canTakeBack(theirs, "me", true)).toBe(true);
    // Notices and messages without an ID cannot be taken back.
    expect(canTakeBack({ kind: "server", username: "me", msgID: 3 }, "me", true)).toBe(false);
    expect(canTakeBack({ kind: "message", username: "me" }, "me", true)).toBe(false);
    expect(takebackMessage(2)).toEqual({ action: "takeback", msgID: 2 });
  });
});

describe("echo", () => {
  it("files each echoed message under its channel with the server's time", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "echo", messages: [
      { action: "message", channel: "lobby", username: "bob", message: "<p>old</p>", msgID: 1, timestamp: "2024-05-01T10:20:30Z" },
      { action: "message", channel: "offtopic", username: "carol", message: "<p>older</p>", msgID: 2, timestamp: "2024-05-01T09:00:00+02:00" },
    ] });
    expect(s.history.lobby[0]).toMatchObject({ kind: "message", msgID: 1, echoed: true });
    expect(s.history.lobby[0].at.toISOString()).toBe("2024-05-01T10:20:30.000Z");
    expect(s.history.offtopic[0].at.toISOString()).toBe("2024-05-01T07:00:00.000Z");
  });

  it("treats a live message, or a bad timestamp, as sent now", () => {
    const s = newState(config, "me");
    const now = new Date("2025-01-01T00:00:00Z");
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "a", msgID: 1 }, now);
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "b", msgID: 2, timestamp: "soon" }, now);
    expect(s.history.lobby.map((m) => [m.echoed, m.at.getTime()])).toEqual([[false, now.getTime()], [false, now.getTime()]]);
  });

  it("gives every history entry its own key, kept across takebacks", () => {
    const s = newState(config, "me");
    for (const id of [1, 2, 3]) handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "m", msgID: id });
    const keys = s.history.lobby.map((m) => m.key);
    handleMessage(s, { action: "takeback", msgID: 2 });
    expect(s.history.lobby.map((m) => m.key)).toEqual([keys[0], keys[2]]);
    expect(new Set(keys).size).toBe(3);
  });
});

describe("image sharing", () => {
  const channels = newState(config).channels;

  it("is offered in channels with PermitPhotos, and in DMs when either side is an operator", () => {
    expect(canShareImages("offtopic", channels, false, false)).toBe(true);
    expect(canShareImages("lobby", channels, false, false)).toBe(false);
    expect(canShareImages("lobby", channels, true, false)).toBe(false);
    expect(canShareImages("nowhere", channels, false, false)).toBe(false);
    expect(canShareImages("@bob", channels, false, false)).toBe(false);
    expect(canShareImages("@bob", channels, true, false)).toBe(true);
    expect(canShareImages("@bob", channels, false, true)).toBe(true);
    expect(canShareImages("", channels, true, true)).toBe(false);
  });

  it("refuses files over 8 MiB before sending", () => {
    expect(FileUploadMaxSize).toBe(8 * 1024 * 1024);
    expect(refuseFile({ name: "ok.png", size: FileUploadMaxSize })).toBe("");
    expect(refuseFile({ name: "big.png", size: FileUploadMaxSize + 1 })).toMatch(/"big\.png" is too large .* at most 8\.0 MiB/);
    expect(refuseFile(null)).not.toBe("");
  });

  it("sends the bytes as a JSON array of integers 0-255", () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 255]);
    const msg = fileMessage("offtopic", "cat.png", bytes.buffer);
    expect(msg).toEqual({ action: "file", channel: "offtopic", message: "cat.png", bytes: [0, 1, 127, 128, 255] });
    expect(JSON.parse(JSON.stringify(msg)).bytes).toEqual([0, 1, 127, 128, 255]);
    expect(fileMessage("@bob", "a.gif", bytes).bytes).toHaveLength(5);
  });
});
