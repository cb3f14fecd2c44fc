// The life of a chat message on the page (protocol.md B.2; web-client.md F.3): emoji reactions,
// takeback, and the checks before sharing an image. No DOM and no socket, so Vitest can test it.

/** The emoji offered by each message's reaction picker. */
export const ReactionEmoji = Object.freeze(["👍", "❤️", "😂", "😮", "😢", "🔥"]);

/** Largest image the page sends (FileUploadMaxSize, 8 MiB); bigger files are refused unsent. */
export const FileUploadMaxSize = 8 * 1024 * 1024;

/** A react with this msgID is the "nudge NSFW" signal, not a reaction (protocol.md B.2). */
export const NudgeNsfwMsgID = -451;

/** The file name endings the server accepts as images (protocol.md B.2 `file`). */
export const ImageTypes = Object.freeze([".jpg", ".jpeg", ".gif", ".png"]);

/**
 * Applies a broadcast `react` to `reactions` (msgID -> emoji -> [usernames]): `username` adds
 * `emoji` to message `msgID`, or takes it off again when they had already reacted with it.
 * Emptied entries are dropped. Returns false for anything that is not a reaction.
 */
export function applyReaction(reactions, msgID, emoji, username) {
  if (typeof msgID !== "number" || msgID === NudgeNsfwMsgID || !emoji || !username) return false;
  const byEmoji = reactions[msgID] || (reactions[msgID] = {});
  const names = byEmoji[emoji] || (byEmoji[emoji] = []);
  const i = names.indexOf(username);
  if (i >= 0) names.splice(i, 1);
  else names.push(username);
  if (!names.length) delete byEmoji[emoji];
  if (!Object.keys(byEmoji).length) delete reactions[msgID];
  return true;
}

/**
 * A message's reactions as shown under it, in the order they were first given: the emoji, how
 * many reacted, who, and whether `me` is among them.
 */
export function reactionChips(reactions, msgID, me) {
  return Object.entries(reactions[msgID] || {}).map(([emoji, names]) => ({
    emoji, count: names.length, names: [...names], mine: names.includes(me),
  }));
}

/**
 * Removes message `msgID` from every channel's and DM's history (`history`: channel -> list)
 * and forgets its reactions. Returns whether any copy was found.
 */
export function takeBack(history, reactions, msgID) {
  let found = false;
  for (const list of Object.values(history)) {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].msgID === msgID) {
        list.splice(i, 1);
        found = true;
      }
    }
  }
  delete reactions[msgID];
  return found;
}

/** Whether I may take `message` back: my own message, or any message when I am an operator. */
export function canTakeBack(message, me, amOp) {
  return message?.kind === "message" && typeof message.msgID === "number" && (amOp || message.username === me);
}

/** The `takeback` asking the server to delete message `msgID` for everyone. */
export function takebackMessage(msgID) {
  return { action: "takeback", msgID };
}

/** The `react` for `emoji` on message `msgID` (sending it again takes the reaction back). */
export function reactMessage(msgID, emoji) {
  return { action: "react", msgID, message: emoji };
}

/**
 * Whether the image button is offered in `channel`: a public channel whose settings have
 * PermitPhotos (`channels`: the page's channel list), or a DM when either side is an operator.
 */
export function canShareImages(channel, channels, amOp, partnerOp) {
  if (!channel) return false;
  if (channel.startsWith("@")) return Boolean(amOp || partnerOp);
  return Boolean(channels.find((c) => c.id === channel)?.photos);
}

/** Why `file` ({ name, size }) may not be sent, or "" when it may. */
export function refuseFile(file) {
  if (!file) return "No file was chosen.";
  if (file.size > FileUploadMaxSize) {
    const mib = (n) => (n / 1024 / 1024).toFixed(1);
    return `The file "${file.name}" is too large (${mib(file.size)} MiB); images may be at most ${mib(FileUploadMaxSize)} MiB.`;
  }
  return "";
}

/**
 * The `file` message for an image, as the original page sends it: the file name, and the bytes
 * (an ArrayBuffer or Uint8Array) as a JSON array of integers 0–255.
 */
export function fileMessage(channel, name, bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return { action: "file", channel, message: name, bytes: Array.from(view) };
}
