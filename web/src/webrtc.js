// WebRTC for webcams (web-client.md F.6): one RTCPeerConnection per direction per pair. The viewer
// is the offerer with receive-only transceivers; the broadcaster answers with its camera tracks.
// SDP and ICE candidates travel through the chat server as JSON strings.

export class Webcams {
  /**
   * @param send       sends a protocol message ({action, ...}) to the server
   * @param iceServers RTCIceServer list from the page configuration (TURN settings)
   * @param changed    called whenever feeds or the local stream change
   */
  constructor(send, iceServers, changed) {
    this.send = send;
    this.iceServers = iceServers;
    this.changed = changed;
    this.local = null;             // my MediaStream while broadcasting
    this.feeds = new Map();        // username -> { stream, pc, muted, size }
    this.answerers = new Map();    // username -> RTCPeerConnection (they watch me)
  }

  async startCamera(videoDeviceId, audioDeviceId) {
    const video = videoDeviceId ? { deviceId: { exact: videoDeviceId } } : { width: 640, height: 480 };
    const audio = audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true;
    this.local = await navigator.mediaDevices.getUserMedia({ video, audio });
    this.changed();
    return this.local;
  }

  /** Cameras and microphones the browser offers (labels appear once permission was given). */
  static async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind) => all.filter((d) => d.kind === kind)
      .map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === "videoinput" ? "Camera" : "Microphone"} ${i + 1}` }));
    return { cameras: pick("videoinput"), microphones: pick("audioinput") };
  }

  /** Switches to other devices while broadcasting; people watching get the new tracks without a new call. */
  async switchDevices(videoDeviceId, audioDeviceId) {
    if (!this.local) return;
    const old = this.local;
    const muted = old.getAudioTracks().some((t) => !t.enabled);
    await this.startCamera(videoDeviceId, audioDeviceId);
    this.setMicMuted(muted);
    for (const pc of this.answerers.values()) {
      for (const sender of pc.getSenders()) {
        const track = this.local.getTracks().find((t) => t.kind === sender.track?.kind);
        if (track) await sender.replaceTrack(track);
      }
    }
    for (const t of old.getTracks()) t.stop();
    this.changed();
  }

  stopCamera() {
    for (const pc of this.answerers.values()) pc.close();
    this.answerers.clear();
    if (this.local) for (const t of this.local.getTracks()) t.stop();
    this.local = null;
    this.changed();
  }

  setMicMuted(muted) {
    if (this.local) for (const t of this.local.getAudioTracks()) t.enabled = !muted;
  }

  /** Asks to watch `username`; the server answers with `open` (or a ChatServer error). */
  open(username) {
    if (this.feeds.has(username)) return;
    this.send({ action: "open", username });
  }

  close(username) {
    const feed = this.feeds.get(username);
    if (!feed) return;
    feed.pc.close();
    this.feeds.delete(username);
    this.send({ action: "unwatch", username });
    this.changed();
  }

  /** Ends the connection that carries my camera to `username` (boot, block). */
  hangUp(username) {
    const pc = this.answerers.get(username);
    if (!pc) return;
    pc.close();
    this.answerers.delete(username);
    this.changed();
  }

  /** Ends every connection with `username`, both directions (block). */
  forget(username) {
    this.close(username);
    this.hangUp(username);
  }

  closeAll() {
    for (const name of [...this.feeds.keys()]) this.close(name);
  }

  newPeer(username, onCandidateTarget) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.onicecandidate = (ev) => {
      if (ev.candidate) {
        this.send({ action: "candidate", username: onCandidateTarget, candidate: JSON.stringify(ev.candidate) });
      }
    };
    return pc;
  }

  /** The server accepted my `open`: I am the offerer. */
  async onOpen(msg) {
    const username = msg.username;
    const pc = this.newPeer(username, username);
    const stream = new MediaStream();
    const feed = { stream, pc, muted: true, watching: false, size: 1 };
    this.feeds.set(username, feed);
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = (ev) => {
      stream.addTrack(ev.track);
      if (!feed.watching) {
        feed.watching = true;
        this.send({ action: "watch", username });
      }
      this.changed();
    };
    pc.onconnectionstatechange = () => {
      if (["failed", "closed"].includes(pc.connectionState)) this.close(username);
    };
    this.changed();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({ action: "sdp", username, description: JSON.stringify(pc.localDescription) });
  }

  /** Someone opened my camera: I will answer their offer with my tracks. */
  onRing(msg) {
    if (!this.local) return;
    const pc = this.newPeer(msg.username, msg.username);
    for (const track of this.local.getTracks()) pc.addTrack(track, this.local);
    pc.onconnectionstatechange = () => {
      if (["failed", "closed"].includes(pc.connectionState)) this.answerers.delete(msg.username);
    };
    this.answerers.get(msg.username)?.close();
    this.answerers.set(msg.username, pc);
  }

  async onSdp(msg) {
    const desc = JSON.parse(msg.description);
    if (desc.type === "offer") {
      const pc = this.answerers.get(msg.username);
      if (!pc) return;
      await pc.setRemoteDescription(desc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.send({ action: "sdp", username: msg.username, description: JSON.stringify(pc.localDescription) });
    } else {
      const feed = this.feeds.get(msg.username);
      if (feed) await feed.pc.setRemoteDescription(desc);
    }
  }

  async onCandidate(msg) {
    const candidate = JSON.parse(msg.candidate);
    // A pair may have a connection in each direction; the candidate belongs to one of them.
    for (const pc of [this.feeds.get(msg.username)?.pc, this.answerers.get(msg.username)]) {
      if (!pc) continue;
      try {
        await pc.addIceCandidate(candidate);
      } catch {
        /* it was for the other direction */
      }
    }
  }

  /** A new who list: close feeds of people who left or turned their camera off. */
  whoChanged(who) {
    const live = new Set(who.filter((w) => w.video & 1).map((w) => w.username));
    for (const name of [...this.feeds.keys()]) if (!live.has(name)) this.close(name);
  }
}
