import { describe, expect, it } from "vitest";
import {
  amVip, cameraClasses, cameraState, connectionLost, handleMessage, MaxReconnects, myVideoFlags, newState, openChannel,
  Presence, unreadSummary, Video,
} from "../src/chat.js";

const config = { PublicChannels: [{ ID: "lobby", Name: "Lobby" }, { ID: "offtopic", Name: "Off Topic" }], JWT: {} };

describe("video flags", () => {
  it("decodes the camera button state", () => {
    expect(cameraState(0)).toBe("off");
    expect(cameraState(Video.NSFW)).toBe("off");
    expect(cameraState(Video.Active)).toBe("live");
    expect(cameraState(Video.Active | Video.NSFW | Video.Muted)).toBe("explicit");
  });

  it("marks a camera I was invited to (green) and VIP-only cameras", () => {
    expect(cameraClasses(Video.Active | Video.Invited)).toEqual(["live", "invited"]);
    expect(cameraClasses(Video.Active | Video.NSFW | Video.Invited)).toEqual(["explicit", "invited"]);
    expect(cameraClasses(Video.Active | Video.VipOnly)).toEqual(["live", "vip"]);
    expect(cameraClasses(Video.Invited)).toEqual(["off"]);
  });

  it("sets the VIP-only bit in my flags only for a VIP with the camera on", () => {
    const on = { sharing: true, explicit: false, micMuted: true, vipOnly: true, isVip: true };
    expect(myVideoFlags(on)).toBe(Video.Active | Video.Muted | Video.VipOnly);
    expect(myVideoFlags({ ...on, isVip: false })).toBe(Video.Active | Video.Muted);
    expect(myVideoFlags({ ...on, sharing: false })).toBe(0);
  });

  it("knows I am a VIP from my JWT claims or my own who entry", () => {
    const s = newState(config, "me");
    expect(amVip(s, {})).toBe(false);
    expect(amVip(s, { sub: "me", vip: true })).toBe(true);
    handleMessage(s, { action: "who", whoList: [{ username: "me", vip: true }, { username: "bob" }] });
    expect(amVip(s, undefined)).toBe(true);
  });
});

describe("presence texts", () => {
  it("are the exact wire texts from protocol/texts.json", () => {
    expect(Presence).toEqual({
      joined: "has joined the room!", exited: "has exited the room!", kicked: "has been kicked from the room!",
      banned: "has been banned!", timedOut: "has timed out!",
    });
    const s = newState(config, "me");
    expect(handleMessage(s, { action: "presence", username: "bob", message: Presence.joined })).toEqual({ sound: "Enter", always: false });
    expect(handleMessage(s, { action: "presence", username: "bob", message: Presence.timedOut })).toEqual({ sound: "Leave", always: true });
  });
});

describe("messages and unread counts", () => {
  it("files public messages under their channel and counts unread elsewhere", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "<p>hi</p>", msgID: 1 });
    handleMessage(s, { action: "message", channel: "offtopic", username: "bob", message: "<p>x</p>", msgID: 2 });
    expect(s.history.lobby).toHaveLength(1);
    expect(s.unread.lobby || 0).toBe(0); // lobby is in view
    expect(s.unread.offtopic).toBe(1);
    openChannel(s, "offtopic");
    expect(s.unread.offtopic).toBe(0);
  });

  it("starts DM threads, most recent first, and does not count my own messages", () => {
    const s = newState(config, "me");
    expect(handleMessage(s, { action: "message", channel: "@bob", username: "bob", message: "a" })).toEqual({ sound: "DM" });
    handleMessage(s, { action: "message", channel: "@carol", username: "carol", message: "b" });
    handleMessage(s, { action: "message", channel: "@bob", username: "me", message: "c" });
    expect(s.dms).toEqual(["@bob", "@carol"]);
    expect(s.unread["@bob"]).toBe(1);
    expect(unreadSummary(s)).toEqual({ total: 2, dm: true });
  });

  it("puts ChatServer notices in their channel, or the one in view", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "error", channel: "offtopic", username: "ChatServer", message: "welcome" });
    handleMessage(s, { action: "error", username: "ChatServer", message: "oops" });
    expect(s.history.offtopic[0]).toMatchObject({ kind: "server", html: "welcome" });
    expect(s.history.lobby[0]).toMatchObject({ kind: "server", html: "oops" });
    expect(s.unread.offtopic || 0).toBe(0); // notices do not count as unread
  });

  it("removes taken-back messages everywhere", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "message", channel: "lobby", username: "bob", message: "x", msgID: 7 });
    handleMessage(s, { action: "takeback", msgID: 7 });
    expect(s.history.lobby).toHaveLength(0);
  });
});

describe("who list, presence and session", () => {
  it("keeps the latest who list and writes presence lines to the first channel", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "who", whoList: [{ username: "bob", video: 1 }] });
    expect(s.who.map((w) => w.username)).toEqual(["bob"]);
    const effect = handleMessage(s, { action: "presence", username: "bob", message: "has been kicked from the room!" });
    expect(effect).toMatchObject({ always: true });
    expect(s.history.lobby.at(-1)).toMatchObject({ kind: "presence", username: "bob" });
  });

  it("keeps the newest token from pings and stops after disconnect", () => {
    const s = newState({ ...config, JWT: { Token: "old" } }, "me");
    handleMessage(s, { action: "ping", jwt: "new", jwtRules: { IsNoVideoRule: true } });
    expect(s.jwt).toBe("new");
    expect(s.rules.IsNoVideoRule).toBe(true);
    handleMessage(s, { action: "who", whoList: [{ username: "x" }] });
    expect(handleMessage(s, { action: "disconnect" })).toEqual({ disconnect: true });
    expect(s.disconnected).toBe(true);
    expect(s.who).toEqual([]);
  });

  it("tracks who watches my camera and hands signalling to WebRTC", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "watch", username: "bob" });
    handleMessage(s, { action: "watch", username: "bob" });
    expect([...s.watchers]).toEqual(["bob"]);
    expect(s.history.lobby.filter((m) => m.kind === "client").map((m) => m.text))
      .toEqual(["bob is now watching your camera."]);
    handleMessage(s, { action: "unwatch", username: "bob" });
    expect(s.watchers.size).toBe(0);
    expect(handleMessage(s, { action: "ring", username: "bob", openSecret: "x" })).toHaveProperty("webrtc");
    expect(handleMessage(s, { action: "me", username: "me 2" })).toHaveProperty("me");
    expect(s.me).toBe("me 2");
  });
});

describe("connection lost", () => {
  it("clears the who list and retries every 5 s, then gives up after 8 failures", () => {
    const s = newState(config, "me");
    handleMessage(s, { action: "who", whoList: [{ username: "bob" }] });
    handleMessage(s, { action: "watch", username: "bob" });
    expect(connectionLost(s, 1006, 0)).toEqual({ retry: true, delay: 5000 });
    expect(s.who).toEqual([]);
    expect(s.watchers.size).toBe(0);
    expect(s.history.lobby.at(-1).text).toMatch(/reconnecting in 5 s \(attempt 1 of 8\)/);
    expect(connectionLost(s, 1006, MaxReconnects)).toEqual({ retry: false });
    expect(s.history.lobby.at(-1).text).toMatch(/try again later/);
  });

  it("comes back after a server restart, spread over 5 to 15 s", () => {
    const s = newState(config, "me");
    expect(connectionLost(s, 1001, 0, new Date(), () => 0)).toEqual({ retry: true, delay: 5000 });
    expect(connectionLost(s, 1001, 0, new Date(), () => 0.999).delay).toBe(14990);
    expect(s.history.lobby.at(-1).text).toMatch(/restarting; reconnecting in 15 s/);
  });

  it("does not reconnect after a disconnect or a normal close", () => {
    const s = newState(config, "me");
    expect(connectionLost(s, 1000, 0).retry).toBe(false);
    const t = newState(config, "me");
    handleMessage(t, { action: "disconnect" });
    expect(connectionLost(t, 1006, 0).retry).toBe(false);
  });
});
