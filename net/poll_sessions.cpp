// The polling transport (protocol.md B.8): sessions, their queues, held requests, expiry.
#include "net/poll_sessions.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "net/poll_queue.hpp"
#include "protocol/admin_api.hpp"
#include "protocol/codec.hpp"
#include "protocol/metrics.hpp"
#include "protocol/poll.hpp"
#include "protocol/uuid.hpp"
#include "settings/defaults.hpp"

namespace barertc::net {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

/// The two messages that end a client's session on its side (protocol.md B.2 `disconnect`).
std::vector<protocol::frame> farewell(const std::string& notice) {
  protocol::message bye;
  bye.action = "disconnect";
  std::vector<protocol::frame> out;
  if (!notice.empty()) out.push_back(protocol::encode_frame(protocol::chat_server(notice)));
  out.push_back(protocol::encode_frame(bye));
  return out;
}

/// One polling client as the chat sees it: a connection whose frames wait for the next poll.
/// Thread-safe: actors call send/close, HTTP threads poll, the expiry timer removes.
class poll_session final : public protocol::connection {
 public:
  poll_session(std::string id, std::string ip, bool counted, const poll_options& o)
      : id_(std::move(id)),
        ip_(std::move(ip)),
        counted_(counted),
        queue_(static_cast<size_t>(o.queue_limit), static_cast<size_t>(o.queue_bytes)),
        last_poll_(steady::now()) {}

  void send(protocol::frame f, bool state) override {
    protocol::handler_ptr gone;
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      if (auto name = protocol::me_username(*f)) username_ = std::move(*name);
      if (!queue_.push(std::move(f), state)) {
        // Full (protocol.md B.8): the session is removed; its next poll hears why.
        spdlog::info("dropping polling session of '{}' from {}: {} messages waiting for its next poll", username_,
                     ip_, queue_.size());
        protocol::metrics().slow_clients_dropped.fetch_add(1, std::memory_order_relaxed);
        queue_.take();
        farewell_ = farewell("You were disconnected: too many messages were waiting for your next poll.");
        closed_ = true;
        gone = std::move(handler_);
      }
      wake = wake_;
    }
    if (gone) gone->on_close();
    if (wake) wake();
  }

  /// What the chat asks (login timeout, an internal error): the frames sent before it still reach
  /// the client, then `disconnect`.
  void close(uint16_t, std::string reason) override {
    protocol::handler_ptr gone;
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      spdlog::info("closing polling session of '{}' from {}: {}", username_, ip_, reason);
      farewell_ = farewell({});
      closed_ = true;
      gone = std::move(handler_);
      wake = wake_;
    }
    if (gone) gone->on_close();
    if (wake) wake();
  }

  std::string peer() const override { return ip_; }

  /// The chat's side, once it exists (frames may already be queued by then).
  void attach(protocol::handler_ptr h) {
    {
      std::lock_guard lock(mu_);
      if (!closed_) {
        handler_ = std::move(h);
        return;
      }
    }
    if (h) h->on_close();
  }

  /// A poll arrived: hands its message (if any) to the chat.
  void poll(const std::string& msg) {
    protocol::handler_ptr h;
    {
      std::lock_guard lock(mu_);
      last_poll_ = steady::now();
      h = handler_;
    }
    if (h && !msg.empty()) {
      protocol::metrics().messages_in.fetch_add(1, std::memory_order_relaxed);
      h->on_text(msg);
    }
  }

  /// Whether `username` is the name the chat gave this session.
  bool owned_by(const std::string& username) const {
    std::lock_guard lock(mu_);
    return !username_.empty() && username_ == username;
  }

  struct taken {
    std::vector<protocol::frame> frames;
    std::string username;
    bool closed = false;
  };
  /// Everything waiting, for the poll's answer.
  taken take() {
    std::lock_guard lock(mu_);
    last_poll_ = steady::now();
    taken t{queue_.take(), username_, closed_};
    for (auto& f : farewell_) t.frames.push_back(std::move(f));
    farewell_.clear();
    return t;
  }

  bool has_news() const {
    std::lock_guard lock(mu_);
    return !queue_.empty() || !farewell_.empty();
  }

  /// The held request to wake when a frame arrives; returns its ticket for clear_wake.
  uint64_t set_wake(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    return ++wake_ticket_;
  }
  void clear_wake(uint64_t ticket) {
    std::lock_guard lock(mu_);
    if (ticket == wake_ticket_) wake_ = nullptr;
  }

  /// How the expiry sweep sees the session.
  enum class idle { no, timed_out, finished };
  idle idle_state(steady::time_point now, steady::duration timeout) const {
    std::lock_guard lock(mu_);
    if (now - last_poll_ <= timeout) return idle::no;
    return closed_ ? idle::finished : idle::timed_out;
  }

  /// Removed from the registry: the chat forgets the session (with "has timed out!" when it
  /// stopped polling). Breaks the session -> handler -> user actor -> session cycle.
  void forget(bool timed_out) {
    protocol::handler_ptr gone;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      gone = std::move(handler_);
      wake_ = nullptr;
    }
    if (!gone) return;
    if (timed_out)
      gone->on_timed_out();
    else
      gone->on_close();
  }

  const std::string& id() const { return id_; }
  const std::string& ip() const { return ip_; }
  bool counted() const { return counted_; }
  std::string username() const {
    std::lock_guard lock(mu_);
    return username_;
  }

 private:
  const std::string id_;
  const std::string ip_;
  const bool counted_;  ///< counted against MaxConnectionsPerIP
  mutable std::mutex mu_;  // guards what follows (network plumbing, not chat state)
  poll_queue queue_;
  std::vector<protocol::frame> farewell_;  ///< the last words, after the queue
  std::string username_;                   ///< from the latest `me` the chat sent
  protocol::handler_ptr handler_;
  std::function<void()> wake_;
  uint64_t wake_ticket_ = 0;
  steady::time_point last_poll_;
  bool closed_ = false;  ///< the chat has forgotten the session
};

/// One request held until frames arrive (then `settle_ms` more) or `hold_ms` pass. Its timer is
/// only touched on the registry's io_context.
struct waiter {
  explicit waiter(asio::io_context& ioc) : timer(ioc) {}
  asio::steady_timer timer;
  std::shared_ptr<poll_session> session;
  std::function<void(int, std::string)> done;
  steady::time_point deadline;
  uint64_t ticket = 0;
  bool settling = false;
  bool finished = false;
};

}  // namespace

struct poll_sessions::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& i, poll_options o, poll_hooks h) : ioc(i), opts(o), hooks(std::move(h)) {}

  asio::io_context& ioc;
  poll_options opts;
  poll_hooks hooks;
  asio::steady_timer sweep_timer{ioc};
  std::mutex mu;  // guards `sessions` and `stopped`
  std::unordered_map<std::string, std::shared_ptr<poll_session>> sessions;
  bool stopped = false;

  void handle(bool post, std::string_view content_type, std::string body, const std::string& ip,
              std::function<void(int, std::string)> done) {
    protocol::metrics().poll_requests.fetch_add(1, std::memory_order_relaxed);
    if (!post) return refuse(done, 405, "Use POST for /poll (protocol.md B.8).");
    if (content_type != "application/json")
      return refuse(done, 400, "The Content-Type of a poll must be exactly application/json.");
    auto parsed = protocol::parse_poll_request(body);
    if (auto* no = std::get_if<protocol::poll_refusal>(&parsed)) return refuse(done, 400, no->text);
    auto& req = std::get<protocol::poll_request>(parsed);
    if (req.username.empty() && req.session_id.empty()) return start(req, ip, std::move(done));
    if (req.username.empty() || req.session_id.empty())
      return refuse(done, 400, "A poll needs both 'username' and 'session_id' (or neither, with a login message, to "
                         "start a session).");
    std::shared_ptr<poll_session> s;
    {
      std::lock_guard lock(mu);
      // Shutting down: a failure, not "no such session", so the client reconnects later.
      if (stopped) return refuse(done, 503, "The server is shutting down.");
      if (auto it = sessions.find(req.session_id); it != sessions.end()) s = it->second;
    }
    if (!s || !s->owned_by(req.username)) {
      auto bye = farewell("Your chat session was not found (it may have timed out, or the server restarted). "
                          "Please log in again.");
      return done(200, protocol::encode_poll_response(req.username, req.session_id, bye));
    }
    s->poll(req.msg);
    hold(std::move(s), std::move(done));
  }

  static void refuse(const std::function<void(int, std::string)>& done, int status, std::string_view why) {
    done(status, protocol::api_error(status, why).body);
  }

  void start(const protocol::poll_request& req, const std::string& ip, std::function<void(int, std::string)> done) {
    if (req.action != "login")
      return refuse(done, 400, "The first poll must carry a login message and no 'username' or 'session_id'.");
    std::string id;
    try {
      id = protocol::random_uuid();
    } catch (const std::exception& e) {
      spdlog::error("polling session refused: {}", e.what());
      return refuse(done, 500, "The server could not start a session.");
    }
    {
      std::lock_guard lock(mu);
      if (stopped) return refuse(done, 503, "The server is shutting down.");
    }
    bool counted = hooks.admit != nullptr;
    if (counted && !hooks.admit(ip)) {
      spdlog::info("refusing a polling session from {}: over MaxConnectionsPerIP", ip);
      return refuse(done, 429, "Too many connections from your address.");
    }
    auto s = std::make_shared<poll_session>(id, ip, counted, opts);
    {
      std::lock_guard lock(mu);
      sessions.emplace(id, s);
    }
    auto& m = protocol::metrics();
    m.poll_sessions_total.fetch_add(1, std::memory_order_relaxed);
    m.poll_sessions_open.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("polling session started from {}", ip);
    s->attach(hooks.connect(s, ip));
    s->poll(req.msg);
    hold(std::move(s), std::move(done));
  }

  /// Answers with what is queued, once something is (and what follows it has had `settle_ms`),
  /// or after `hold_ms` with nothing.
  void hold(std::shared_ptr<poll_session> s, std::function<void(int, std::string)> done) {
    auto w = std::make_shared<waiter>(ioc);
    w->session = std::move(s);
    w->done = std::move(done);
    w->deadline = steady::now() + std::chrono::milliseconds(opts.hold_ms);
    std::weak_ptr<impl> weak_self = shared_from_this();
    std::weak_ptr<waiter> weak_w = w;
    w->ticket = w->session->set_wake([weak_self, weak_w] {
      if (auto self = weak_self.lock())
        asio::post(self->ioc, [self, weak_w] {
          if (auto w = weak_w.lock()) self->news(w);
        });
    });
    asio::post(ioc, [weak_self, w] {
      auto self = weak_self.lock();
      if (!self) return;
      if (w->session->has_news())
        self->news(w);
      else
        self->arm(w, w->deadline);
    });
  }

  void news(const std::shared_ptr<waiter>& w) {
    if (w->finished || w->settling) return;
    w->settling = true;
    arm(w, std::min(w->deadline, steady::now() + std::chrono::milliseconds(opts.settle_ms)));
  }

  void arm(const std::shared_ptr<waiter>& w, steady::time_point at) {
    w->timer.expires_at(at);  // a wait already pending ends with operation_aborted
    w->timer.async_wait([weak = weak_from_this(), w](boost::system::error_code ec) {
      auto self = weak.lock();
      if (self && ec != asio::error::operation_aborted) self->finish(w);
    });
  }

  void finish(const std::shared_ptr<waiter>& w) {
    if (w->finished) return;
    w->finished = true;
    auto& s = *w->session;
    s.clear_wake(w->ticket);
    auto t = s.take();
    if (t.closed) remove(s.id());  // its last words are in this answer
    auto done = std::move(w->done);
    done(200, protocol::encode_poll_response(t.username, s.id(), t.frames));
  }

  /// Takes a session out of the registry; false when it was not there.
  std::shared_ptr<poll_session> remove(const std::string& id) {
    std::shared_ptr<poll_session> s;
    {
      std::lock_guard lock(mu);
      auto it = sessions.find(id);
      if (it == sessions.end()) return nullptr;
      s = std::move(it->second);
      sessions.erase(it);
    }
    released(*s);
    return s;
  }

  void released(const poll_session& s) {
    protocol::metrics().poll_sessions_open.fetch_sub(1, std::memory_order_relaxed);
    if (s.counted() && hooks.release) hooks.release(s.ip());
  }

  void arm_sweep() {
    auto every = std::min<int64_t>(barertc::defaults::poll_sweep_ms, int64_t(opts.timeout_seconds) * 1000 / 2);
    sweep_timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(every, 100)));
    sweep_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->sweep();
      self->arm_sweep();
    });
  }

  /// PollTimeout (protocol.md B.8): sessions not polled in time are removed; the chat tells the
  /// others "has timed out!". Sessions the chat already closed just go.
  void sweep() {
    auto now = steady::now();
    auto timeout = std::chrono::seconds(opts.timeout_seconds);
    std::vector<std::pair<std::shared_ptr<poll_session>, bool>> gone;
    {
      std::lock_guard lock(mu);
      for (auto it = sessions.begin(); it != sessions.end();) {
        auto idle = it->second->idle_state(now, timeout);
        if (idle == poll_session::idle::no) {
          ++it;
          continue;
        }
        gone.emplace_back(std::move(it->second), idle == poll_session::idle::timed_out);
        it = sessions.erase(it);
      }
    }
    for (auto& [s, timed_out] : gone) {
      if (timed_out) {
        spdlog::info("polling session of '{}' from {} timed out: no poll for {} s", s->username(), s->ip(),
                     opts.timeout_seconds);
        protocol::metrics().poll_sessions_timed_out.fetch_add(1, std::memory_order_relaxed);
      }
      s->forget(timed_out);
      released(*s);
    }
  }

  void close_all() {
    std::unordered_map<std::string, std::shared_ptr<poll_session>> all;
    {
      std::lock_guard lock(mu);
      stopped = true;
      all.swap(sessions);
    }
    sweep_timer.cancel();
    for (auto& [id, s] : all) {
      s->forget(false);
      released(*s);
    }
  }
};

poll_sessions::poll_sessions(asio::io_context& ioc, poll_options opts, poll_hooks hooks)
    : impl_(std::make_shared<impl>(ioc, opts, std::move(hooks))) {}

poll_sessions::~poll_sessions() {
  std::lock_guard lock(impl_->mu);
  impl_->stopped = true;
}

void poll_sessions::start() {
  asio::post(impl_->ioc, [self = impl_] { self->arm_sweep(); });
}

void poll_sessions::handle(bool post, std::string_view content_type, std::string body, const std::string& client_ip,
                           std::function<void(int status, std::string json)> done) {
  impl_->handle(post, content_type, std::move(body), client_ip, std::move(done));
}

void poll_sessions::close_all() { impl_->close_all(); }

}  // namespace barertc::net
