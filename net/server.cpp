// Beast listener, HTTP sessions and WebSocket sessions (the style of Beast's chat-multi example,
// with a bounded send queue, an inbound size limit and a graceful shutdown).
#include "net/server.hpp"
#include "protocol/admin_api.hpp"

#include <boost/asio.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "net/http_util.hpp"
#include "net/poll_sessions.hpp"
#include "net/static_files.hpp"
#include "net/deflate.hpp"
#include "net/ws_frame.hpp"
#include "protocol/metrics.hpp"
#include "settings/settings.hpp"

namespace barertc::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;  // only for is_upgrade
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

bool parse_address(const std::string& address, std::string& host, unsigned short& port) {
  return settings::split_address(address, host, port);
}

class ws_session;

/// One I/O thread: its own io_context (so a connection's handlers never run concurrently and need
/// no strand), and the connections that have frames from the actors waiting. Actors hand frames
/// over under `mu`; the first hand-off of a burst posts one drain for the whole lane, so a
/// broadcast to a thousand connections costs one wake-up of the I/O thread, not a thousand.
struct io_lane {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  /// Unused; made at once so the lane's epoll, timer and wake-up descriptors exist from the start
  /// (asio makes them at first use), and the fd count of an idle server is its baseline.
  asio::steady_timer reactor_now{ioc};
  std::mutex mu;  // guards `ready` and every lane session's inbox (network plumbing, not chat state)
  std::vector<std::shared_ptr<ws_session>> ready;
  std::vector<std::shared_ptr<ws_session>> draining;  ///< only touched by the lane's thread
  std::chrono::steady_clock::time_point ready_since;  ///< first hand-over not yet drained; guarded by `mu`
  bool closed = false;  ///< the lane's thread has ended; guarded by `mu`
  void drain();
  /// After the lane's thread ends: later hand-overs are dropped, and the sessions waiting let go
  /// (each holds the server, which holds the lanes).
  void close() {
    std::lock_guard lock(mu);
    closed = true;
    ready.clear();
  }
};

std::vector<std::unique_ptr<io_lane>> make_lanes(int n) {
  std::vector<std::unique_ptr<io_lane>> lanes;
  for (int i = 0; i < std::max(1, n); ++i) lanes.push_back(std::make_unique<io_lane>());
  return lanes;
}

struct server::impl : std::enable_shared_from_this<impl> {
  options opts;
  hooks hk;
  std::vector<std::unique_ptr<io_lane>> lanes;
  asio::io_context& ioc;  ///< lane 0's: the acceptor, signals and timers live there
  size_t next_lane = 0;   ///< only touched by the accept chain
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  asio::signal_set hangup{ioc, SIGHUP};
  std::mutex sessions_mu;  // guards `sessions` (network bookkeeping, not chat state)
  std::unordered_map<uint64_t, std::weak_ptr<ws_session>> sessions;
  std::unordered_map<std::string, int> per_ip;  ///< open WebSockets by client address
  uint64_t next_id = 0;
  std::atomic<bool> stopping{false};
  asio::steady_timer shutdown_timer{ioc};
  asio::steady_timer accept_pause{ioc};  ///< back-off after a failed accept (e.g. out of fds)
  bool accept_failing = false;             ///< only touched by the accept chain
  std::unique_ptr<poll_sessions> polls;    ///< POST /poll (protocol.md B.8); its timers run on lane 0

  impl(options o, hooks h)
      : opts(std::move(o)), hk(std::move(h)), lanes(make_lanes(opts.io_threads)), ioc(lanes[0]->ioc) {
    poll_options po{opts.poll_timeout_seconds, opts.poll_queue_limit, opts.send_queue_bytes,
                    barertc::defaults::poll_hold_ms, barertc::defaults::poll_settle_ms};
    // Polling sessions count against MaxConnectionsPerIP like WebSockets. The registry lives
    // in this object, so the hooks may hold it by reference.
    poll_hooks ph{hk.connect, [this](const std::string& ip) { return admit(ip); },
                  [this](const std::string& ip) { release(ip); }};
    polls = std::make_unique<poll_sessions>(ioc, po, std::move(ph));
  }
  void stop_lanes() {
    for (auto& l : lanes) {
      l->work.reset();
      l->ioc.stop();
    }
  }

  uint64_t add(const std::shared_ptr<ws_session>& s) {
    std::lock_guard lock(sessions_mu);
    sessions.emplace(++next_id, s);
    return next_id;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(sessions_mu);
    sessions.erase(id);
  }
  /// Counts one more WebSocket from `ip`; false (and nothing counted) when it would exceed
  /// MaxConnectionsPerIP.
  bool admit(const std::string& ip) {
    if (opts.max_connections_per_ip <= 0) return true;
    std::lock_guard lock(sessions_mu);
    auto& n = per_ip[ip];
    if (n >= opts.max_connections_per_ip) {
      if (n == 0) per_ip.erase(ip);
      return false;
    }
    ++n;
    return true;
  }
  void release(const std::string& ip) {
    std::lock_guard lock(sessions_mu);
    auto it = per_ip.find(ip);
    if (it != per_ip.end() && --it->second <= 0) per_ip.erase(it);
  }
  void accept();
  void begin_shutdown();
  void wait_hangup() {
    hangup.async_wait([self = shared_from_this()](beast::error_code ec, int) {
      if (ec) return;
      if (self->hk.reload) self->hk.reload();
      self->wait_hangup();
    });
  }
};

/// One WebSocket client after the handshake. Frames are parsed by ws_parser; outgoing frames are
/// queued (bounded) and written in batches: one gathered write carries every queued frame.
class ws_session final : public protocol::connection, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(tcp::socket&& socket, std::shared_ptr<server::impl> srv, io_lane& lane, std::string ip)
      : srv_(std::move(srv)),
        lane_(lane),
        sock_(std::move(socket)),
        ip_(std::move(ip)),
        parser_(static_cast<size_t>(srv_->opts.max_message_bytes)),
        kill_timer_(sock_.get_executor()),
        idle_timer_(sock_.get_executor()) {}

  /// Answers the upgrade request (101) and starts reading frames. `early` holds bytes the client
  /// sent right behind its request, already read by the HTTP parser.
  void run(const http::request<http::string_body>& req, std::string early) {
    early_ = std::move(early);
    auto key = req["Sec-WebSocket-Key"];
    if (req.method() != http::verb::get || req["Sec-WebSocket-Version"] != "13" || key.size() != 24) {
      auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, req.version());
      res->set(http::field::sec_websocket_version, "13");
      res->body() = "Bad WebSocket handshake\n";
      res->prepare_payload();
      return http::async_write(sock_, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
        beast::error_code ec;
        self->sock_.shutdown(tcp::socket::shutdown_both, ec);
      });
    }
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, req.version());
    res->set(http::field::server, "BareRTC");
    res->set(http::field::upgrade, "websocket");
    res->set(http::field::connection, "Upgrade");
    res->set(http::field::sec_websocket_accept, websocket_accept(std::string_view(key.data(), key.size())));
    if (srv_->opts.compression) {
      auto offers = req[http::field::sec_websocket_extensions];
      auto answer = negotiate_deflate(std::string_view(offers.data(), offers.size()));
      if (!answer.empty()) {
        res->set(http::field::sec_websocket_extensions, answer);
        deflate_ = true;
        parser_.accept_deflate();
      }
    }
    http::async_write(sock_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) return;
      self->on_open();
    });
  }

  /// Called from actor threads: the frame joins this connection's inbox on its I/O lane.
  void send(protocol::frame bytes, bool state) override { hand_over({std::move(bytes), state}); }

  /// A batch is one hand-over and, once its wire form is built, one buffer in the write.
  void send_batch(const protocol::batch& messages) override {
    inbound in;
    in.messages = messages;
    hand_over(std::move(in));
  }

  /// Also through the inbox, so it takes effect after the frames sent before it.
  void close(uint16_t code, std::string reason) override {
    hand_over({nullptr, false, code, std::move(reason)});
  }

  std::string peer() const override { return ip_; }

 private:
  struct inbound {
    protocol::frame bytes;  ///< null (and no batch): a close request
    bool state = false;
    uint16_t code = 0;
    std::string reason;
    protocol::batch messages;  ///< or a batch of messages
  };

  void hand_over(inbound&& in) {
    bool post;
    {
      std::lock_guard lock(lane_.mu);
      if (lane_.closed) return;
      inbox_.push_back(std::move(in));
      if (on_lane_) return;
      on_lane_ = true;
      post = lane_.ready.empty();
      if (post) lane_.ready_since = std::chrono::steady_clock::now();
      lane_.ready.push_back(shared_from_this());
    }
    if (post) asio::post(lane_.ioc, [lane = &lane_] { lane->drain(); });
  }

  /// On the lane's thread: queues what the actors handed over (taken from the inbox by
  /// io_lane::drain) and writes it.
  void take_inbox() {
    for (auto& f : taken_) {
      if (f.bytes)
        enqueue(std::move(f.bytes), f.state);
      else if (f.messages)
        enqueue_batch(*f.messages);
      else
        close_now(f.code, std::move(f.reason));
    }
    taken_.clear();
    if (taken_.capacity() > 16) std::vector<inbound>().swap(taken_);
    write_batch();
  }

  struct out_frame {
    protocol::frame bytes;
    bool framed = false;  ///< already carries its WebSocket header (control frames, batches)
    bool counted = true;  ///< counts towards the queue's byte bound (all but control frames)
    size_t frames = 1;    ///< WebSocket frames in `bytes` (a batch's messages)
  };

  void on_open() {
    if (srv_->stopping) return close_now(protocol::close_code::going_away, "server shutting down");
    beast::error_code ec;
    sock_.non_blocking(true, ec);
    id_ = srv_->add(shared_from_this());
    protocol::metrics().connections_total.fetch_add(1, std::memory_order_relaxed);
    protocol::metrics().connections_open.fetch_add(1, std::memory_order_relaxed);
    last_rx_ = std::chrono::steady_clock::now();
    arm_idle(std::chrono::seconds(srv_->opts.idle_timeout_seconds));
    // Over MaxConnectionsPerIP: accepted, then closed with 1008 and a reason, which a browser's
    // onclose can show (a refused upgrade reaches the page only as a bare 1006).
    if ((counted_ = srv_->admit(ip_))) {
      handler_ = srv_->hk.connect(shared_from_this(), ip_);
    } else {
      spdlog::info("closing {}: over MaxConnectionsPerIP ({})", ip_, srv_->opts.max_connections_per_ip);
      close_now(protocol::close_code::policy_violation, "too many connections from your address");
    }
    if (!early_.empty()) {
      std::string early;
      early.swap(early_);
      parser_.feed(early.data(), early.size(), [this](ws_event&& ev) { on_event(std::move(ev)); });
      if (torn_down_) return;
    }
    wait_read();
  }

  // Reading: wait until the socket is readable, then read into a buffer shared by the thread, so an
  // idle connection holds no read buffer of its own.
  void wait_read() {
    sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish();
      self->on_readable();
    });
  }

  void on_readable() {
    thread_local std::array<char, barertc::defaults::read_buffer_bytes> buf;
    // A bounded number of reads per turn: a client uploading a photo must not keep its I/O
    // thread from every other connection on the lane until its whole frame is in.
    for (int reads = 0; reads < barertc::defaults::reads_per_turn; ++reads) {
      beast::error_code ec;
      size_t n = sock_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) return finish();
      last_rx_ = std::chrono::steady_clock::now();
      parser_.feed(buf.data(), n, [this](ws_event&& ev) { on_event(std::move(ev)); });
      if (parser_.done() || torn_down_) break;
      if (n < buf.size()) break;
    }
    if (!torn_down_) wait_read();
  }

  /// A compressed message inflated in place (bounded by MaxMessageBytes: a deflate bomb gets 1009),
  /// then checked as the parser checks plain text; false when the connection is being closed.
  bool inflate_event(ws_event& ev) {
    std::string plain;
    auto status = inflate_message(ev.payload, static_cast<size_t>(srv_->opts.max_message_bytes), plain);
    if (status == inflate_status::too_big) {
      spdlog::info("closing {}: inflated message over {} bytes", ip_, srv_->opts.max_message_bytes);
      close_now(protocol::close_code::too_big, "message too big");
      return false;
    }
    if (status == inflate_status::corrupt || (ev.type == ws_event::kind::text && !valid_utf8(plain))) {
      spdlog::info("closing {}: compressed message {}", ip_, status == inflate_status::corrupt ? "is corrupt" : "is not UTF-8");
      close_now(protocol::close_code::invalid_payload,
                status == inflate_status::corrupt ? "could not inflate the message" : "text frame is not valid UTF-8");
      return false;
    }
    ev.payload = std::move(plain);
    return true;
  }

  void on_event(ws_event&& ev) {
    using kind = ws_event::kind;
    if (ev.compressed && !inflate_event(ev)) return;
    switch (ev.type) {
      case kind::text:
        if (handler_) {
          protocol::metrics().messages_in.fetch_add(1, std::memory_order_relaxed);
          handler_->on_text(std::move(ev.payload));
        }
        break;
      case kind::binary:  // not acted upon; the chat tells the sender (docs/protocol.md)
        if (handler_) handler_->on_binary(ev.payload.size());
        break;
      case kind::pong:
        break;
      case kind::ping:
        push_control(opcode::pong, ev.payload);
        break;
      case kind::close:
        // The client closes: answer with its code (once), then hang up when that is written.
        if (close_sent_) return teardown();
        forget_chat();
        closing_ = true;
        drop_queued();
        close_sent_ = true;
        hang_up_after_write_ = true;  // set first: the write below may complete at once
        arm_kill_timer();
        push_control(opcode::close, close_payload(ev.code == 1005 ? 1000 : ev.code, ""));
        break;
      case kind::error:
        if (ev.code == protocol::close_code::too_big)
          spdlog::info("closing {}: inbound message over {} bytes", ip_, srv_->opts.max_message_bytes);
        else if (ev.code == protocol::close_code::invalid_payload)
          spdlog::info("closing {}: text frame is not valid UTF-8", ip_);
        else
          spdlog::info("closing {}: protocol error: {}", ip_, ev.payload);
        close_now(ev.code, ev.payload);
        break;
    }
  }

  /// Appends a batch's wire form (built once for every recipient of the batch) to the send queue.
  void enqueue_batch(const protocol::frame_batch& b) {
    if (closing_ || torn_down_ || b.parts.empty()) return;
    const int kind = deflate_ ? 1 : 0;
    std::call_once(b.wire_once[kind], [&b, kind] { b.wire[kind] = batch_wire(b, kind == 1); });
    if (!within_bounds(b.wire[kind]->size())) return;
    queued_bytes_ += b.wire[kind]->size();
    queue_.push_back({b.wire[kind], true, true, b.parts.size()});
    protocol::raise_max(protocol::metrics().queue_high_water, queue_.size());
  }

  /// A batch's messages as WebSocket frames, one after the other, each compressed when the client
  /// negotiated permessage-deflate and the message is worth it.
  static protocol::frame batch_wire(const protocol::frame_batch& b, bool deflate) {
    std::string out;
    for (auto& part : b.parts) {
      const std::string* payload = part.get();
      const std::string* deflated = deflate ? compressed(*part) : nullptr;
      if (deflated) payload = deflated;
      std::array<uint8_t, 10> header;
      auto h = frame_header(opcode::text, payload->size(), header, deflated != nullptr);
      out.append(reinterpret_cast<const char*>(header.data()), h);
      out += *payload;
    }
    return protocol::shared_frame(std::move(out));
  }

  /// False (and the connection closed as too slow) when `bytes` more would overflow the queue.
  bool within_bounds(size_t bytes) {
    auto& o = srv_->opts;
    if (queue_.size() < static_cast<size_t>(o.send_queue_limit) &&
        queued_bytes_ + bytes <= static_cast<size_t>(o.send_queue_bytes))
      return true;
    spdlog::info("closing {}: connection too slow ({} frames, {} bytes queued)", ip_, queue_.size(), queued_bytes_);
    protocol::metrics().slow_clients_dropped.fetch_add(1, std::memory_order_relaxed);
    close_now(protocol::close_code::policy_violation, "connection too slow", true);
    return false;
  }

  /// Appends a frame to the send queue (written by the caller's next write_batch).
  void enqueue(protocol::frame bytes, bool state) {
    if (closing_ || torn_down_) return;
    auto& m = protocol::metrics();
    if (state && pending_state_) {
      // A newer who list makes the queued one worthless: replace it where it stands.
      for (size_t i = inflight_; i < queue_.size(); ++i)
        if (queue_[i].bytes == pending_state_) {
          queued_bytes_ = queued_bytes_ - queue_[i].bytes->size() + bytes->size();
          queue_[i].bytes = bytes;
          pending_state_ = std::move(bytes);
          m.frames_superseded.fetch_add(1, std::memory_order_relaxed);
          return;
        }
    }
    if (!within_bounds(bytes->size())) return;
    queued_bytes_ += bytes->size();
    if (state) pending_state_ = bytes;
    queue_.push_back({std::move(bytes), false});
    protocol::raise_max(m.queue_high_water, queue_.size());
  }

  void push_control(uint8_t op, std::string_view payload) {
    queue_.push_back({protocol::shared_frame(make_frame(op, payload)), true, false});
    write_batch();
  }

  /// Writes every queued frame (up to a batch limit per write) with gathered writes, unless a write
  /// is already in flight (its completion carries on). The write is
  /// tried at once on the non-blocking socket; only what the kernel does not take waits for
  /// writability, so a client keeping up costs one system call per batch and no completion handler.
  void write_batch() {
    while (!queue_.empty() && !torn_down_ && !inflight_) {
      constexpr size_t max_frames = barertc::defaults::write_batch_frames,
                       max_bytes = barertc::defaults::write_batch_bytes;
      bufs_.clear();
      headers_.resize(std::min(queue_.size(), max_frames));
      size_t bytes = 0, wire = 0, n = 0, frames = 0;
      for (; n < queue_.size() && n < max_frames && (n == 0 || bytes < max_bytes); ++n) {
        auto& f = queue_[n];
        frames += f.frames;
        if (f.bytes == pending_state_) pending_state_ = nullptr;  // on its way: no longer replaceable
        const std::string* payload = f.bytes.get();
        if (!f.framed) {
          const std::string* deflated = deflate_ ? compressed(*f.bytes) : nullptr;
          if (deflated) payload = deflated;
          auto h = frame_header(opcode::text, payload->size(), headers_[n], deflated != nullptr);
          bufs_.emplace_back(headers_[n].data(), h);
          wire += h;
        }
        bufs_.emplace_back(payload->data(), payload->size());
        bytes += payload->size();
      }
      wire += bytes;
      inflight_ = n;
      auto& m = protocol::metrics();
      m.frames_sent.fetch_add(frames, std::memory_order_relaxed);
      m.writes.fetch_add(1, std::memory_order_relaxed);
      m.bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
      beast::error_code ec;
      size_t done = sock_.write_some(bufs_, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {}, done = 0;
      if (ec || done == wire) {
        if (!written(ec)) return;
        continue;
      }
      // The kernel took part of it: the rest goes when the socket is writable again.
      size_t skip = 0;
      while (done >= bufs_[skip].size()) done -= bufs_[skip++].size();
      bufs_.erase(bufs_.begin(), bufs_.begin() + static_cast<std::ptrdiff_t>(skip));
      bufs_[0] += done;
      asio::async_write(sock_, bufs_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->written(ec)) self->write_batch();
      });
      return;
    }
  }

  /// The compressed form of a message, made once for every recipient that negotiated
  /// permessage-deflate (whichever I/O thread gets there first); null when the message is too
  /// small to be worth it or would not shrink.
  static const std::string* compressed(const protocol::frame_bytes& f) {
    if (f.size() < static_cast<size_t>(barertc::defaults::deflate_min_bytes)) return nullptr;
    std::call_once(f.deflate_once, [&f] {
      auto d = deflate_message(f, barertc::defaults::deflate_level);
      if (!d.empty() && d.size() < f.size()) f.deflated = std::move(d);
      protocol::metrics().frames_deflated.fetch_add(1, std::memory_order_relaxed);
    });
    return f.deflated.empty() ? nullptr : &f.deflated;
  }

  /// The frames in flight are written (or failed); false when the connection is done.
  bool written(beast::error_code ec) {
    for (size_t i = 0; i < inflight_ && !queue_.empty(); ++i) {
      if (queue_.front().counted && !closing_) queued_bytes_ -= queue_.front().bytes->size();
      queue_.pop_front();
    }
    inflight_ = 0;
    if (ec || (queue_.empty() && hang_up_after_write_)) {
      teardown();
      return false;
    }
    if (queue_.empty() && bufs_.capacity() > 8) {
      // An idle connection keeps no write scratch space (thousands of idle users add up).
      std::vector<asio::const_buffer>().swap(bufs_);
      std::vector<std::array<uint8_t, 10>>().swap(headers_);
    }
    return true;
  }

  /// Closes with a close frame after the frames already queued (a slow client's queue is dropped
  /// instead); the client's answer, or the send timeout, ends the connection.
  void close_now(uint16_t code, std::string reason, bool drop_queue = false) {
    if (closing_ || torn_down_) return;
    closing_ = true;
    forget_chat();
    if (drop_queue) drop_queued();
    pending_state_ = nullptr;
    close_sent_ = true;
    arm_kill_timer();
    push_control(opcode::close, close_payload(code, reason));
  }

  void drop_queued() {
    // Frames already handed to the socket stay until their write completes.
    while (queue_.size() > inflight_) queue_.pop_back();
    queued_bytes_ = 0;
    pending_state_ = nullptr;
  }

  void arm_kill_timer() {
    kill_timer_.expires_after(std::chrono::seconds(srv_->opts.send_timeout_seconds));
    kill_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->teardown();
    });
  }

  /// IdleTimeout: a client silent that long is sent a WebSocket ping; one still silent after as
  /// long again (browsers answer pings by themselves) is cut off.
  void arm_idle(std::chrono::steady_clock::duration after) {
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->torn_down_) return;
      auto timeout = std::chrono::seconds(self->srv_->opts.idle_timeout_seconds);
      auto now = std::chrono::steady_clock::now();
      if (self->idle_pinged_) {
        if (self->last_rx_ < self->pinged_at_) {
          spdlog::info("closing {}: silent for {} s, no answer to a ping", self->ip_,
                       std::chrono::duration_cast<std::chrono::seconds>(now - self->last_rx_).count());
          return self->teardown();
        }
        self->idle_pinged_ = false;  // answered (or spoke) since the ping
      }
      if (now - self->last_rx_ < timeout) return self->arm_idle(self->last_rx_ + timeout - now);
      self->idle_pinged_ = true;
      self->pinged_at_ = now;
      if (!self->closing_) self->push_control(opcode::ping, "");
      self->arm_idle(timeout);
    });
  }

  /// The chat forgets the client at once; the socket may linger for the close handshake.
  void forget_chat() {
    if (handler_) {
      handler_->on_close();
      handler_.reset();
    }
  }

  void finish() { teardown(); }

  void teardown() {
    if (torn_down_) return;
    torn_down_ = true;
    forget_chat();
    beast::error_code ec;
    kill_timer_.cancel();
    idle_timer_.cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    if (counted_) srv_->release(ip_);
    counted_ = false;
    if (id_) {
      srv_->remove(id_);
      protocol::metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
    }
    id_ = 0;
    closing_ = true;
  }

  static std::string websocket_accept(std::string_view key) {
    std::string input(key);
    input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    std::string out(beast::detail::base64::encoded_size(sizeof digest), '\0');
    out.resize(beast::detail::base64::encode(out.data(), digest, sizeof digest));
    return out;
  }

  // srv_ owns the io_context, so it comes first: members are destroyed in reverse order, and the
  // socket and timers must go while the io_context still exists (a session can be released last,
  // by a chat actor at shutdown; found by scripts/sanitize.sh asan).
  std::shared_ptr<server::impl> srv_;
  io_lane& lane_;
  tcp::socket sock_;
  std::string ip_;
  std::string early_;
  ws_parser parser_;
  uint64_t id_ = 0;
  protocol::handler_ptr handler_;
  std::vector<inbound> inbox_;  ///< guarded by lane_.mu
  bool on_lane_ = false;        ///< in lane_.ready; guarded by lane_.mu
  std::vector<inbound> taken_;  ///< the inbox, taken over by the lane's thread
  std::deque<out_frame> queue_;
  std::vector<asio::const_buffer> bufs_;
  std::vector<std::array<uint8_t, 10>> headers_;
  size_t inflight_ = 0;            ///< frames at the front of queue_ being written
  protocol::frame pending_state_;  ///< The queued who list a newer one may replace.
  size_t queued_bytes_ = 0;
  bool deflate_ = false;  ///< permessage-deflate negotiated (net/deflate.hpp)
  bool closing_ = false;
  bool close_sent_ = false;
  bool hang_up_after_write_ = false;
  bool torn_down_ = false;
  bool counted_ = false;  ///< counted in the server's per-address tally
  bool idle_pinged_ = false;
  std::chrono::steady_clock::time_point last_rx_{};    ///< when the client last sent anything
  std::chrono::steady_clock::time_point pinged_at_{};  ///< when the idle ping went out
  asio::steady_timer kill_timer_;
  asio::steady_timer idle_timer_;

  friend struct server::impl;
  friend struct io_lane;
};

void io_lane::drain() {
  {
    std::lock_guard lock(mu);
    draining.swap(ready);
    if (!draining.empty())
      protocol::metrics().delivery_queue.observe(std::chrono::steady_clock::now() - ready_since);
    for (auto& s : draining) {
      s->taken_.swap(s->inbox_);
      s->on_lane_ = false;
    }
  }
  for (auto& s : draining) s->take_inbox();
  draining.clear();
  if (draining.capacity() > 1024) std::vector<std::shared_ptr<ws_session>>().swap(draining);
}

namespace {

using response = http::response<http::string_body>;

response make_response(const http::request<http::string_body>& req, http::status status,
                       std::string_view content_type, std::string body) {
  response res{status, req.version()};
  res.set(http::field::server, "BareRTC");
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

/// One HTTP connection: reads requests, answers them, or hands the socket to a WebSocket session.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, std::shared_ptr<server::impl> srv, io_lane& lane)
      : srv_(std::move(srv)), lane_(lane), stream_(std::move(socket)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_->opts.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(srv_->opts.max_body_bytes));
    stream_.expires_after(std::chrono::seconds(barertc::defaults::http_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec == http::error::header_limit)
      return refuse(http::status::request_header_fields_too_large,
                    "Request headers too large: the limit is " + std::to_string(srv_->opts.max_header_bytes) +
                        " bytes (MaxHeaderBytes).\n");
    if (ec == http::error::body_limit) {
      auto why = "Request body too large: the limit is " + std::to_string(srv_->opts.max_body_bytes) +
                 " bytes (MaxBodyBytes).";
      // The website's APIs and /poll answer in JSON, errors included (server.md D.3, protocol.md B.8).
      auto target = target_path(parser_->get().target());
      if (target.rfind("/api/", 0) == 0 || target == "/poll")
        return refuse(http::status::payload_too_large, protocol::api_error(413, why).body, "application/json");
      return refuse(http::status::payload_too_large, why + "\n");
    }
    if (ec) return;
    auto req = parser_->release();
    head_ = req.method() == http::verb::head;
    std::string socket_ip;
    {
      beast::error_code e;
      auto ep = stream_.socket().remote_endpoint(e);
      if (!e) socket_ip = ep.address().to_string();
    }
    auto ip = client_ip(socket_ip, srv_->opts.use_x_forwarded_for, req["X-Real-IP"],
                        req["X-Forwarded-For"]);
    auto path = target_path(req.target());
    if (websocket::is_upgrade(req)) {
      if (path != "/ws") return send(make_response(req, http::status::not_found, "text/plain", "Not found\n"));
      stream_.expires_never();
      std::string early = beast::buffers_to_string(buffer_.data());
      std::make_shared<ws_session>(stream_.release_socket(), srv_, lane_, ip)->run(req, std::move(early));
      return;
    }
    route(std::move(req), std::string(path), ip);
  }

  void route(http::request<http::string_body> req, const std::string& path, const std::string& ip) {
    auto& o = srv_->opts;
    bool get = req.method() == http::verb::get || req.method() == http::verb::head;
    // Liveness: the network thread answers. Readiness: not draining, and the chat answers in time.
    if (path == "/livez") return send(make_response(req, http::status::ok, "text/plain", "ok\n"));
    if (path == "/healthz") {
      if (srv_->stopping)
        return send(make_response(req, http::status::service_unavailable, "text/plain", "draining: shutting down\n"));
      if (!srv_->hk.health) return send(make_response(req, http::status::ok, "text/plain", "ok\n"));
      auto later = answer_later(req);
      auto degraded = srv_->hk.degraded;
      srv_->hk.health([later, degraded](bool ok) {
        auto trouble = ok && degraded ? degraded() : std::string();
        later(ok ? http::status::ok : http::status::service_unavailable, "text/plain",
              !ok ? "unavailable: the chat actors did not answer in time\n" : trouble.empty() ? "ok\n" : trouble + "\n");
      });
      return;
    }
    if (path == "/metrics" && srv_->hk.metrics) {
      auto later = answer_later(req);
      srv_->hk.metrics([later](std::string text) { later(http::status::ok, "text/plain; version=0.0.4", std::move(text)); });
      return;
    }
    auto live = srv_->hk.live ? srv_->hk.live() : live_options{o.title, o.cors_hosts, o.website_url};
    if (path == "/api/statistics") {
      auto origin = cors_origin(live.cors_hosts, req[http::field::origin]);
      auto self = shared_from_this();
      auto version = req.version();
      auto keep = req.keep_alive();
      srv_->hk.statistics([self, origin, version, keep](std::string json) {
        asio::post(self->stream_.get_executor(), [self, origin, version, keep, json = std::move(json)] {
          response res{http::status::ok, version};
          res.set(http::field::server, "BareRTC");
          res.set(http::field::content_type, "application/json");
          if (!origin.empty()) {
            res.set(http::field::access_control_allow_origin, origin);
            res.set(http::field::vary, "Origin");
          }
          res.keep_alive(keep);
          res.body() = json;
          res.prepare_payload();
          self->send(std::move(res));
        });
      });
      return;
    }
    if (path.rfind("/api/", 0) == 0 && srv_->hk.api) {
      srv_->hk.api(path, req.method() == http::verb::post, req[http::field::content_type], std::move(req.body()),
                   json_later(req));
      return;
    }
    if (path == "/poll") {
      srv_->polls->handle(req.method() == http::verb::post, req[http::field::content_type], std::move(req.body()), ip,
                          json_later(req));
      return;
    }
    if (path == "/" && (get || req.method() == http::verb::post)) {
      std::string index;
      if (!read_file(o.web_root + "/index.html", index)) index = not_built_page(live.title);
      // The token comes from ?jwt= or, for tokens too long for a URL, a POSTed form field.
      std::string_view target(req.target().data(), req.target().size());
      auto query = target.find('?') == std::string_view::npos ? std::string_view{} : target.substr(target.find('?') + 1);
      auto token = form_value(query, "jwt");
      if (token.empty() && req.method() == http::verb::post) token = form_value(req.body(), "jwt");
      auto page = srv_->hk.page(token, index);
      auto res = make_response(req, static_cast<http::status>(page.status), page.content_type, std::move(page.body));
      if (!page.location.empty()) res.set(http::field::location, page.location);
      res.set(http::field::cache_control, "no-store");
      return send(std::move(res));
    }
    if (path == "/about" && get) {
      return send(make_response(req, http::status::ok, "text/html; charset=utf-8",
                                about_page(live.title, live.website_url, std::string(req[http::field::host]))));
    }
    if ((path.rfind("/static/", 0) == 0 || path.rfind("/assets/", 0) == 0) && get) {
      auto file = safe_file_path(o.web_root, path);
      std::optional<static_answer> a;
      if (file)
        a = serve_static(*file, path, {req[http::field::if_none_match], req[http::field::if_modified_since],
                                       req[http::field::accept_encoding]});
      if (a) {
        auto res = make_response(req, static_cast<http::status>(a->status), a->content_type, std::move(a->body));
        res.set(http::field::cache_control, a->cache_control);
        res.set(http::field::etag, a->etag);
        res.set(http::field::last_modified, a->last_modified);
        if (!a->content_encoding.empty()) res.set(http::field::content_encoding, a->content_encoding);
        if (a->vary_encoding) res.set(http::field::vary, "Accept-Encoding");
        return send(std::move(res));
      }
    }
    spdlog::debug("404 {} {} from {}", std::string(req.method_string()), path, ip);
    send(make_response(req, http::status::not_found, "text/plain", "Not found\n"));
  }

  /// For JSON answers that come from another thread: `later(status, json)` sends on this
  /// connection's thread (not to be cached: they answer a POST or carry live state).
  std::function<void(int, std::string)> json_later(const http::request<http::string_body>& req) {
    return [self = shared_from_this(), version = req.version(), keep = req.keep_alive()](int status, std::string json) {
      asio::post(self->stream_.get_executor(), [=, json = std::move(json)]() mutable {
        response res{static_cast<http::status>(status), version};
        res.set(http::field::server, "BareRTC");
        res.set(http::field::content_type, "application/json");
        res.set(http::field::cache_control, "no-store");
        res.keep_alive(keep);
        res.body() = std::move(json);
        res.prepare_payload();
        self->send(std::move(res));  // a HEAD gets the headers only (send)
      });
    };
  }

  /// For answers that come from another thread: `later(status, type, body)` sends on this
  /// connection's thread.
  std::function<void(http::status, std::string, std::string)> answer_later(const http::request<http::string_body>& req) {
    return [self = shared_from_this(), version = req.version(), keep = req.keep_alive()](
               http::status status, std::string type, std::string body) {
      asio::post(self->stream_.get_executor(), [=, body = std::move(body)]() mutable {
        response res{status, version};
        res.set(http::field::server, "BareRTC");
        res.set(http::field::content_type, type);
        res.keep_alive(keep);
        res.body() = std::move(body);
        res.prepare_payload();
        self->send(std::move(res));
      });
    };
  }

  /// Answers a request that could not be read in full, then closes the connection.
  void refuse(http::status status, std::string body, const char* content_type = "text/plain; charset=utf-8") {
    // The headers read so far name the client behind a proxy (a header block over the limit may
    // not have got that far; then the socket's address is all there is).
    const auto& partial = parser_->get();
    spdlog::info("HTTP {} to {}", static_cast<int>(status),
                 client_ip(socket_ip(), srv_->opts.use_x_forwarded_for, partial["X-Real-IP"], partial["X-Forwarded-For"]));
    response res{status, 11};
    res.set(http::field::server, "BareRTC");
    res.set(http::field::content_type, content_type);
    res.keep_alive(false);
    res.body() = std::move(body);
    res.prepare_payload();
    auto sp = std::make_shared<response>(std::move(res));
    stream_.expires_after(5s);
    http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
      if (ec) return;
      beast::error_code e;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, e);
      self->discard_until_eof();
    });
  }

  /// Reads and drops what the client still sends, so closing does not reset the connection before
  /// the client has read our answer.
  void discard_until_eof() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16384), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->discard_until_eof();
    });
  }

  std::string socket_ip() {
    beast::error_code e;
    auto ep = stream_.socket().remote_endpoint(e);
    return e ? std::string() : ep.address().to_string();
  }

  void send(response res) {
    if (head_) {  // the headers of a GET, no body: the length stays what the body would have been
      auto length = res.body().size();
      res.body().clear();
      if (res.has_content_length()) res.content_length(length);
    }
    auto sp = std::make_shared<response>(std::move(res));
    bool close = sp->need_eof();
    http::async_write(stream_, *sp, [self = shared_from_this(), sp, close](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (close) {
        beast::error_code e;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, e);
        return;
      }
      self->do_read();
    });
  }

  std::shared_ptr<server::impl> srv_;  // first: it owns the io_context the stream needs (see ws_session)
  io_lane& lane_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool head_ = false;  ///< the request being answered is a HEAD
};

}  // namespace

void server::impl::accept() {
  // Connections are dealt to the I/O lanes in turn; each lives on its lane's thread for good.
  auto& lane = *lanes[next_lane++ % lanes.size()];
  acceptor.async_accept(lane.ioc, [self = shared_from_this(), &lane](beast::error_code ec, tcp::socket socket) {
    if (self->stopping) return;
    if (ec) {
      // Out of file descriptors (EMFILE/ENFILE) or memory: the pending connection stays in the
      // backlog, so retrying at once would spin. Pause, say so once per episode, and try again.
      if (!self->accept_failing) spdlog::error("accept failed: {}; pausing new connections briefly", ec.message());
      self->accept_failing = true;
      self->accept_pause.expires_after(std::chrono::milliseconds(barertc::defaults::accept_backoff_ms));
      self->accept_pause.async_wait([self](beast::error_code) { self->accept(); });
      return;
    }
    if (self->accept_failing) spdlog::info("accepting connections again");
    self->accept_failing = false;
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<http_session>(std::move(socket), self, lane)->run();
    self->accept();
  });
}

void server::impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  spdlog::info("shutting down: closing every WebSocket with 1001");
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  hangup.cancel(ec);
  std::vector<std::shared_ptr<ws_session>> open;
  {
    std::lock_guard lock(sessions_mu);
    for (auto& [id, w] : sessions)
      if (auto s = w.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->close(protocol::close_code::going_away, "server shutting down");
  polls->close_all();
  // Give clients a moment to answer the close handshake, then stop whatever remains.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.drain_timeout_ms);
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [self = shared_from_this(), deadline, poll] {
    bool empty;
    {
      std::lock_guard lock(self->sessions_mu);
      empty = self->sessions.empty();
    }
    if (empty || std::chrono::steady_clock::now() >= deadline) {
      self->stop_lanes();
      *poll = nullptr;  // break the self-reference
      return;
    }
    self->shutdown_timer.expires_after(20ms);
    self->shutdown_timer.async_wait([poll](beast::error_code) {
      if (*poll) (*poll)();
    });
  };
  (*poll)();
}

server::server(options opts, hooks h) : impl_(std::make_shared<impl>(std::move(opts), std::move(h))) {}

server::~server() = default;

void server::start() {
  std::string host;
  unsigned short port = 0;
  if (!parse_address(impl_->opts.address, host, port))
    throw std::runtime_error("invalid listen address '" + impl_->opts.address + "' (expected host:port or :port)");
  beast::error_code ec;
  auto addr = host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("invalid listen host '" + host + "': " + ec.message());
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec && addr.is_v6() && host.empty()) a.set_option(asio::ip::v6_only(false), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->opts.address + ": " + ec.message());
  impl_->accept();
  impl_->signals.async_wait([self = impl_](beast::error_code ec, int) {
    if (!ec) self->begin_shutdown();
  });
  impl_->wait_hangup();
  impl_->polls->start();
}

unsigned short server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->lanes.size(); ++i) threads.emplace_back([this, i] { impl_->lanes[i]->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  for (auto& l : impl_->lanes) l->close();
}

void server::stop() {
  asio::post(impl_->ioc, [self = impl_] { self->begin_shutdown(); });
}

}  // namespace barertc::net
