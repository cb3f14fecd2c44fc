import { describe, expect, it } from "vitest";
import { newState } from "../src/chat.js";
import {
  historyEnabled, historyRequest, loadMoreLabel, mergePast, PastDivider, pastOf, postApi,
} from "../src/dm_history.js";

const config = { PublicChannels: [{ ID: "lobby" }], JWT: {}, DirectMessageHistory: { Enabled: true } };
const row = (id, username = "bob") => ({ username, message: `<p>${id}</p>`, msgID: id, timestamp: "2026-12-01T10:00:00Z" });

describe("DM history", () => {
  it("is on only when the server keeps DMs and I have a token", () => {
    expect(historyEnabled(config, "t")).toBe(true);
    expect(historyEnabled(config, "")).toBe(false);
    expect(historyEnabled({ DirectMessageHistory: { Enabled: false } }, "t")).toBe(false);
    expect(historyEnabled({}, "t")).toBe(false);
  });

  it("puts the first page above this session's messages, under a divider", () => {
    const s = newState(config, "me");
    s.history["@bob"] = [{ kind: "message", username: "me", msgID: 30, key: ++s.seq }];
    expect(historyRequest(s, "tok", "@bob")).toEqual({ JWTToken: "tok", Username: "bob", BeforeID: 0 });
    const added = mergePast(s, "@bob", { OK: true, Messages: [row(30, "me"), row(12), row(11, "me")], Remaining: 4 });
    expect(added).toBe(2);
    expect(s.history["@bob"].map((m) => m.kind === "divider" ? m.text : m.msgID)).toEqual([11, 12, PastDivider, 30]);
    expect(s.history["@bob"][0].at.toISOString()).toBe("2026-12-01T10:00:00.000Z");
    expect(s.history["@bob"][0].echoed).toBe(true);
    expect(pastOf(s, "@bob")).toMatchObject({ loaded: true, remaining: 4, before: 11 });
    expect(loadMoreLabel(4)).toBe("Load more messages (4 remaining)");
    expect(historyRequest(s, "tok", "@bob").BeforeID).toBe(11);
  });

  it("adds older pages on top, without a second divider", () => {
    const s = newState(config, "me");
    mergePast(s, "@bob", { Messages: [row(12), row(11)], Remaining: 2 });
    mergePast(s, "@bob", { Messages: [row(10), row(9)], Remaining: 0 });
    expect(s.history["@bob"].map((m) => m.msgID ?? "divider")).toEqual([9, 10, 11, 12, "divider"]);
    expect(pastOf(s, "@bob").remaining).toBe(0);
    const keys = s.history["@bob"].map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("puts the divider above this session's messages even when the first page held only those", () => {
    const s = newState(config, "me");
    s.history["@bob"] = [{ kind: "message", username: "me", msgID: 30, key: ++s.seq }];
    expect(mergePast(s, "@bob", { Messages: [row(30, "me")], Remaining: 2 })).toBe(0);
    expect(mergePast(s, "@bob", { Messages: [row(8), row(7)], Remaining: 0 })).toBe(2);
    expect(s.history["@bob"].map((m) => m.msgID ?? "divider")).toEqual([7, 8, "divider", 30]);
  });

  it("calls the JSON APIs with a POST, and turns an error answer into a thrown Error", async () => {
    const calls = [];
    const fake = (answer, status) => async (path, init) => {
      calls.push({ path, init });
      return { status, json: async () => answer };
    };
    expect(await postApi("/api/x", { A: 1 }, fake({ OK: true, N: 2 }, 200))).toEqual({ OK: true, N: 2 });
    expect(calls[0].init).toEqual({ method: "POST", headers: { "Content-Type": "application/json" }, body: '{"A":1}' });
    await expect(postApi("/api/x", {}, fake({ OK: false, Error: "nope" }, 403))).rejects.toThrow("nope");
    await expect(postApi("/api/x", {}, fake({ OK: false }, 500))).rejects.toThrow("status 500");
  });

  it("shows no divider when there is nothing from before", () => {
    const s = newState(config, "me");
    expect(mergePast(s, "@carol", { Messages: [], Remaining: 0 })).toBe(0);
    expect(s.history["@carol"]).toEqual([]);
    expect(pastOf(s, "@carol").loaded).toBe(true);
  });
});
