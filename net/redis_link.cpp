// hiredis (blocking API) on two threads: the publisher drains a queue in pipelined batches; the
// subscriber polls its socket, pings Redis, and hands each message to the receiver.
#include "net/redis_link.hpp"

#include <hiredis/hiredis.h>
#include <openssl/rand.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace barertc::net {
namespace {

using clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

timeval to_timeval(int millis) { return {millis / 1000, (millis % 1000) * 1000}; }

/// Queues one command (binary-safe arguments) in the context's output buffer.
void append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
}

/// Sends one command and reads its reply; nullptr (and `why`) on failure or an error reply.
reply_ptr command(redisContext* c, const std::vector<std::string>& args, std::string& why) {
  append(c, args);
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK) raw = nullptr;
  reply_ptr r(static_cast<redisReply*>(raw));
  if (!r) {
    why = c->errstr[0] ? c->errstr : "no reply";
    return nullptr;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    why = std::string(r->str, r->len);
    return nullptr;
  }
  return r;
}

/// A connected, authenticated context on database `db`; nullptr and `why` when Redis is not there.
context_ptr connect(const settings::redis_endpoint& ep, bool select_db, std::string& why) {
  context_ptr c(redisConnectWithTimeout(ep.host.c_str(), ep.port, to_timeval(barertc::defaults::redis_connect_timeout_ms)));
  if (!c) {
    why = "out of memory";
    return nullptr;
  }
  if (c->err) {
    why = c->errstr;
    return nullptr;
  }
  redisSetTimeout(c.get(), to_timeval(barertc::defaults::redis_silence_ms));
  redisEnableKeepAlive(c.get());
  if (!ep.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!ep.username.empty()) auth.push_back(ep.username);
    auth.push_back(ep.password);
    if (!command(c.get(), auth, why)) return nullptr;
  }
  if (select_db && ep.db != 0 && !command(c.get(), {"SELECT", std::to_string(ep.db)}, why)) return nullptr;
  return c;
}

/// Writes whatever the context has buffered; false on a socket error.
bool flush(redisContext* c) {
  int done = 0;
  while (!done)
    if (redisBufferWrite(c, &done) == REDIS_ERR) return false;
  return true;
}

}  // namespace

struct redis_link::impl {
  settings::redis_endpoint where;
  std::string prefix;
  std::string node;
  std::string instance;
  std::string where_text;
  receiver rx;
  std::vector<std::string> topics;

  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::vector<std::string>> queue;  // whole commands, prefix applied
  bool stopping = false;
  std::atomic<bool> is_up{false};
  std::thread publisher, subscriber;

  void set_up(bool up) {
    if (is_up.exchange(up) == up) return;
    if (up)
      spdlog::info("cluster: Redis link up at {} (node '{}'): the room is shared again", where_text, node);
    else
      spdlog::warn("cluster: Redis link down at {}: node '{}' serves its own users alone and reconnects with back-off",
                   where_text, node);
    if (rx.state) rx.state(up);
  }

  /// Sleeps up to `d` unless stop() is called; false when stopping.
  bool nap(ms d) {
    std::unique_lock lk(mu);
    wake.wait_for(lk, d, [&] { return stopping; });
    return !stopping;
  }

  void publish_loop() {
    context_ptr c;
    auto next_try = clock::now();
    auto backoff = ms(barertc::defaults::redis_backoff_min_ms);
    int64_t dropped = 0;
    for (;;) {
      std::deque<std::vector<std::string>> batch;
      {
        std::unique_lock lk(mu);
        wake.wait(lk, [&] { return stopping || !queue.empty(); });
        if (stopping && (queue.empty() || !c)) return;
        batch.swap(queue);
      }
      if (!c) {
        std::string why;
        if (clock::now() >= next_try) c = connect(where, true, why);
        if (!c) {
          if (!why.empty()) spdlog::debug("cluster: publisher cannot reach Redis at {}: {}", where_text, why);
          next_try = clock::now() + backoff;
          backoff = std::min(backoff * 2, ms(barertc::defaults::redis_backoff_max_ms));
          dropped += static_cast<int64_t>(batch.size());
          continue;
        }
        backoff = ms(barertc::defaults::redis_backoff_min_ms);
        if (dropped) spdlog::info("cluster: {} message(s) for other nodes were dropped while Redis was unreachable", dropped);
        dropped = 0;
      }
      // Pipelined: every command of the batch goes out, then every reply is read.
      for (auto& args : batch) append(c.get(), args);
      for (size_t i = 0; i < batch.size(); ++i) {
        void* r = nullptr;
        if (redisGetReply(c.get(), &r) != REDIS_OK) {
          spdlog::debug("cluster: publisher lost Redis at {}: {}", where_text, c->errstr);
          dropped += static_cast<int64_t>(batch.size() - i);
          c.reset();
          break;
        }
        freeReplyObject(r);
      }
      std::lock_guard lk(mu);
      if (stopping) return;  // what was queued before stop() went out
    }
  }

  /// One message from the subscribed connection: ["message", channel, payload] to the receiver.
  void on_reply(redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
    auto* kind = r->element[0];
    auto* chan = r->element[1];
    auto* body = r->element[2];
    if (kind->type != REDIS_REPLY_STRING || std::string_view(kind->str, kind->len) != "message") return;
    if (chan->type != REDIS_REPLY_STRING || body->type != REDIS_REPLY_STRING) return;
    std::string topic(chan->str, chan->len);
    if (topic.rfind(prefix, 0) == 0) topic.erase(0, prefix.size());
    if (rx.message) rx.message(std::move(topic), std::string(body->str, body->len));
  }

  /// One subscribed session until the link fails or stop(); true when it got as far as subscribing.
  bool subscribed_session(std::string& why) {
    auto c = connect(where, false, why);
    if (!c) return false;
    std::vector<std::string> sub{"SUBSCRIBE"};
    for (auto& t : topics) sub.push_back(prefix + t);
    append(c.get(), sub);
    for (size_t i = 0; i < topics.size(); ++i) {
      void* r = nullptr;
      if (redisGetReply(c.get(), &r) != REDIS_OK) {
        why = c->errstr;
        return false;
      }
      freeReplyObject(r);
    }
    set_up(true);
    auto heard = clock::now(), pinged = heard;
    for (;;) {
      {
        std::lock_guard lk(mu);
        if (stopping) return true;
      }
      void* r = nullptr;
      if (redisGetReplyFromReader(c.get(), &r) != REDIS_OK) {
        why = c->errstr;
        return true;
      }
      if (r) {
        reply_ptr owned(static_cast<redisReply*>(r));
        on_reply(owned.get());
        continue;
      }
      pollfd p{c->fd, POLLIN, 0};
      int n = ::poll(&p, 1, 200);
      auto now = clock::now();
      if (n > 0) {
        if (redisBufferRead(c.get()) != REDIS_OK) {
          why = c->errstr[0] ? c->errstr : "connection closed";
          return true;
        }
        heard = now;
      }
      if (now - pinged >= ms(barertc::defaults::redis_ping_ms)) {
        redisAppendCommand(c.get(), "PING");
        if (!flush(c.get())) {
          why = c->errstr;
          return true;
        }
        pinged = now;
      }
      if (now - heard >= ms(barertc::defaults::redis_silence_ms)) {
        why = "no answer for " + std::to_string(barertc::defaults::redis_silence_ms) + " ms";
        return true;
      }
    }
  }

  void subscribe_loop() {
    auto backoff = ms(barertc::defaults::redis_backoff_min_ms);
    bool told = false;
    while (nap(ms(0))) {
      std::string why;
      bool got_in = subscribed_session(why);
      {
        std::lock_guard lk(mu);
        if (stopping) return;
      }
      set_up(false);
      if (got_in) {
        backoff = ms(barertc::defaults::redis_backoff_min_ms);
        told = false;
      }
      if (!told) spdlog::warn("cluster: Redis at {}: {}; retrying in {} ms, then up to every {} ms", where_text,
                              why.empty() ? "unreachable" : why, backoff.count(), barertc::defaults::redis_backoff_max_ms);
      else spdlog::debug("cluster: Redis at {} still unreachable: {}", where_text, why);
      told = true;
      if (!nap(backoff)) return;
      backoff = std::min(backoff * 2, ms(barertc::defaults::redis_backoff_max_ms));
    }
  }

  void push(std::vector<std::string> cmd) {
    {
      std::lock_guard lk(mu);
      if (stopping || static_cast<int64_t>(queue.size()) >= barertc::defaults::redis_queue_limit) return;
      if (!is_up.load()) return;  // no link: the room is this node's alone meanwhile
      queue.push_back(std::move(cmd));
    }
    wake.notify_all();
  }
};

redis_link::redis_link(settings::redis_endpoint where, std::string prefix, std::string node)
    : impl_(std::make_shared<impl>()) {
  impl_->where_text = where.host + ":" + std::to_string(where.port);
  impl_->where = std::move(where);
  impl_->prefix = std::move(prefix);
  impl_->node = std::move(node);
  unsigned char bytes[8] = {};
  RAND_bytes(bytes, sizeof bytes);
  for (auto b : bytes) impl_->instance += "0123456789abcdef"[b >> 4], impl_->instance += "0123456789abcdef"[b & 15];
}

redis_link::~redis_link() { stop(); }

const std::string& redis_link::node() const { return impl_->node; }

const std::string& redis_link::instance() const { return impl_->instance; }

int64_t redis_link::claim_slot() {
  constexpr int64_t slots = int64_t(1) << barertc::defaults::msg_id_node_bits;
  std::string why;
  if (auto c = connect(impl_->where, true, why))
    if (auto r = command(c.get(), {"INCR", impl_->prefix + "node-seq"}, why); r && r->type == REDIS_REPLY_INTEGER)
      return r->integer % slots;
  auto slot = static_cast<int64_t>(std::hash<std::string>{}(impl_->node) % slots);
  spdlog::warn("cluster: could not ask Redis at {} for a node number ({}); using {} from the node name",
               impl_->where_text, why, slot);
  return slot;
}

void redis_link::start(std::vector<std::string> topics, receiver r) {
  impl_->topics = std::move(topics);
  impl_->rx = std::move(r);
  impl_->publisher = std::thread([i = impl_] { i->publish_loop(); });
  impl_->subscriber = std::thread([i = impl_] { i->subscribe_loop(); });
}

void redis_link::publish(std::string topic, std::string payload) {
  impl_->push({"PUBLISH", impl_->prefix + topic, std::move(payload)});
}

void redis_link::set_expiring(std::string key, std::string value, int ttl_ms) {
  impl_->push({"SET", impl_->prefix + key, std::move(value), "PX", std::to_string(ttl_ms)});
}

bool redis_link::up() const { return impl_->is_up.load(); }

void redis_link::stop() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->publisher.joinable()) impl_->publisher.join();
  if (impl_->subscriber.joinable()) impl_->subscriber.join();
  impl_->rx = {};
}

}  // namespace barertc::net
