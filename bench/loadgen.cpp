// BareRTC load generator: drives many WebSocket clients against a server on loopback and prints
// one JSON line per scenario plus a human summary. Scenarios: join, fanout (closed loop),
// fanout-open (offered rate), dm (ping-pong pairs), idle (memory), slow (a client that never reads).
// Every chat message carries its send time, so latency is measured per delivery.
#include "bench/client.hpp"

#include <algorithm>
#include <iostream>

using namespace barertc::bench;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 9000;
  std::string scenario = "fanout";
  int users = 1000;
  int senders = 10;
  double rate = 0;         // fanout-open: messages per second (all senders together)
  double duration = 10;    // seconds of measurement
  int pairs = 50;
  int concurrency = 50;    // join: connections in flight
  int server_pid = 0;
  double timeout = 600;    // the whole run stops by itself after this many seconds
};

/// Parses `"<p>L <ns> <sender> <seq>` out of a message frame; false if it is not a bench message.
bool parse_bench(std::string_view m, int64_t& sent_ns, int& sender) {
  auto p = m.find("\"message\":\"<p>L ");
  if (p == std::string_view::npos) return false;
  p += 16;
  sent_ns = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sent_ns = sent_ns * 10 + (m[p++] - '0');
  ++p;
  sender = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sender = sender * 10 + (m[p++] - '0');
  return true;
}

/// Extra characters appended to each bench message (the slow scenario uses bigger messages so a
/// reader that stops fills its queue sooner).
size_t g_pad = 0;

std::string bench_message(const std::string& channel, int sender, uint64_t seq) {
  return R"({"action":"message","channel":")" + channel + R"(","message":"L )" + std::to_string(now_ns()) + " " +
         std::to_string(sender) + " " + std::to_string(seq) + (g_pad ? " " + std::string(g_pad, 'x') : "") + "\"}";
}

struct latencies {
  std::vector<uint32_t> us;
  void add(int64_t ns) { us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, ns / 1000))); }
  double pct(double q) {
    if (us.empty()) return 0;
    auto k = static_cast<size_t>(q * (us.size() - 1));
    std::nth_element(us.begin(), us.begin() + k, us.end());
    return us[k] / 1000.0;
  }
  double max() { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()) / 1000.0; }
};

class runner {
 public:
  explicit runner(options o) : o_(std::move(o)), ep_(asio::ip::make_address(o_.host), o_.port) {}

  int run() {
    auto deadline = std::make_shared<asio::steady_timer>(ioc_);
    deadline->expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.timeout)));
    deadline->async_wait([this](beast::error_code ec) {
      if (!ec) {
        std::fprintf(stderr, "loadgen: timed out after %.0f s\n", o_.timeout);
        timed_out_ = true;
        ioc_.stop();
      }
    });
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
    rss0_ = rss_kib(o_.server_pid);
    if (o_.scenario == "join") join(o_.users, [this] { finish_join(); });
    else if (o_.scenario == "fanout" || o_.scenario == "fanout-open" || o_.scenario == "slow")
      join(o_.users, [this] { after_settle([this] { start_fanout(); }); });
    else if (o_.scenario == "dm") join(o_.users, [this] { after_settle([this] { start_dm(); }); });
    else if (o_.scenario == "idle") join(o_.users, [this] {
        // Idle memory is read once the room has been idle for 10 s: the server returns free heap
        // pages every 5 s, and a room is idle for much longer than that in practice.
        after_settle([this] { finish_idle(); }, std::chrono::seconds(10));
      });
    else {
      std::fprintf(stderr, "loadgen: unknown scenario %s\n", o_.scenario.c_str());
      return 2;
    }
    ioc_.run();
    return timed_out_ ? 1 : 0;
  }

 private:
  /// Connects n users, o_.concurrency at a time, and calls done when all are logged in and every
  /// who list shows everyone.
  void join(int n, std::function<void()> done) {
    join_start_ = steady::now();
    join_done_ = std::move(done);
    target_ = n;
    for (int i = 0; i < std::min(n, o_.concurrency); ++i) connect_next();
  }

  void connect_next() {
    if (next_id_ >= target_) return;
    auto c = std::make_shared<client>(ioc_, next_id_++);
    c->on_login = [this](client&) {
      if (++logged_in_ == target_) login_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
      connect_next();
      check_joined();
    };
    c->on_who = [this](client& cl) {
      if (cl.who_size == static_cast<size_t>(target_)) check_joined();
    };
    clients_.push_back(c);
    c->start(ep_);
  }

  void check_joined() {
    if (joined_ || logged_in_ < target_) return;
    for (auto& c : clients_)
      if (c->who_size != static_cast<size_t>(target_)) return;
    joined_ = true;
    join_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
    asio::post(ioc_, join_done_);
  }

  void after_settle(std::function<void()> next, std::chrono::milliseconds wait = std::chrono::milliseconds(500)) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, wait);
    t->async_wait([t, next](beast::error_code) { next(); });
  }

  void finish_join() {
    uint64_t bytes = 0;
    for (auto& c : clients_) bytes += c->bytes_in;
    report("join", {{"users", double(o_.users)},
                    {"seconds", join_seconds_},
                    {"all_logged_in_s", login_seconds_},
                    {"bytes_received", double(bytes)}});
    ioc_.stop();
  }

  void finish_idle() {
    long rss = rss_kib(o_.server_pid);
    report("idle", {{"users", double(o_.users)},
                    {"server_rss_kib_before", double(rss0_)},
                    {"server_rss_kib", double(rss)},
                    {"kib_per_user", o_.users ? double(rss - rss0_) / o_.users : 0}});
    ioc_.stop();
  }

  void start_fanout() {
    bool open = o_.scenario == "fanout-open";
    if (o_.scenario == "slow") add_slow_client();
    for (auto& c : clients_) {
      c->on_message = [this](client& cl, std::string_view m) {
        int64_t sent;
        int sender;
        if (!parse_bench(m, sent, sender)) return;
        if (measuring_) {
          ++deliveries_;
          lat_.add(now_ns() - sent);
        }
        if (!open_loop_ && sender == cl.id && cl.id < o_.senders && running_) send_from(cl);
      };
    }
    open_loop_ = open;
    running_ = true;
    begin_measure();
    if (open) {
      tick_ = std::make_shared<asio::steady_timer>(ioc_);
      open_start_ = steady::now();
      tick();
    } else {
      for (int i = 0; i < o_.senders && i < static_cast<int>(clients_.size()); ++i) send_from(*clients_[i]);
    }
    end_after(o_.duration, [this, open] {
      double secs = measured_seconds();
      std::vector<std::pair<std::string, double>> f{{"users", double(o_.users)},
                                                    {"senders", double(o_.senders)},
                                                    {"deliveries_per_s", deliveries_ / secs},
                                                    {"messages_per_s", double(sent_) / secs}};
      if (open) f.push_back({"offered_deliveries_per_s", o_.rate * o_.users});
      if (slow_) {
        f.push_back({"slow_client_dropped", slow_->closed ? 1.0 : 0.0});
        f.push_back({"slow_client_close_code", double(slow_->close_code)});
      }
      report(o_.scenario, f, true);
    });
  }

  void add_slow_client() {
    // A client with a tiny receive buffer that stops reading once logged in.
    auto c = std::make_shared<client>(ioc_, 1000000);
    c->on_login = [](client& cl) { cl.reading = false; };
    slow_ = c;
    c->start(ep_, 4096);
  }

  void send_from(client& c) {
    ++sent_;
    c.send(bench_message("lobby", c.id, sent_));
  }

  void tick() {
    // Open loop: keep the offered rate whatever the latency.
    double elapsed = std::chrono::duration<double>(steady::now() - open_start_).count();
    auto due = static_cast<uint64_t>(elapsed * o_.rate);
    while (sent_ < due) send_from(*clients_[sent_ % std::max(1, o_.senders)]);
    if (!running_) return;
    tick_->expires_after(std::chrono::microseconds(500));
    tick_->async_wait([this](beast::error_code ec) {
      if (!ec) tick();
    });
  }

  void start_dm() {
    int pairs = std::min(o_.pairs, o_.users / 2);
    for (int i = 0; i < 2 * pairs; ++i) {
      auto& c = *clients_[i];
      bool initiator = i % 2 == 0;
      std::string partner = clients_[initiator ? i + 1 : i - 1]->name;
      c.on_message = [this, initiator, partner](client& cl, std::string_view m) {
        int64_t sent;
        int sender;
        if (!parse_bench(m, sent, sender)) return;
        if (m.find("\"username\":\"" + cl.name + "\"") != std::string_view::npos) return;  // own copy
        if (initiator) {
          if (measuring_) {
            ++deliveries_;
            lat_.add(now_ns() - sent);
          }
          if (running_) {
            ++sent_;
            cl.send(bench_message("@" + partner, cl.id, sent_));
          }
        } else {
          // Echo the same send time back: the initiator measures the round trip.
          cl.send(R"({"action":"message","channel":"@)" + partner + R"(","message":"L )" + std::to_string(sent) +
                  " " + std::to_string(cl.id) + " 0\"}");
        }
      };
    }
    running_ = true;
    begin_measure();
    for (int i = 0; i < 2 * pairs; i += 2) {
      ++sent_;
      clients_[i]->send(bench_message("@" + clients_[i + 1]->name, i, sent_));
    }
    end_after(o_.duration, [this, pairs] {
      double secs = measured_seconds();
      report("dm", {{"users", double(o_.users)}, {"pairs", double(pairs)}, {"round_trips_per_s", deliveries_ / secs}},
             true);
    });
  }

  void begin_measure() {
    measuring_ = true;
    measure_start_ = steady::now();
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
  }
  double measured_seconds() { return std::chrono::duration<double>(measure_end_ - measure_start_).count(); }

  void end_after(double seconds, std::function<void()> done) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::duration_cast<steady::duration>(
                                                            std::chrono::duration<double>(seconds)));
    t->async_wait([this, t, done](beast::error_code) {
      measuring_ = false;
      running_ = false;
      measure_end_ = steady::now();
      // Give in-flight messages (and the slow client's close) a moment, then report.
      auto grace = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(300));
      grace->async_wait([this, grace, done](beast::error_code) {
        if (slow_) {
          slow_->reading = true;
          slow_->read();
        }
        auto more = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(slow_ ? 1500 : 0));
        more->async_wait([this, more, done](beast::error_code) {
          done();
          ioc_.stop();
        });
      });
    });
  }

  void report(const std::string& scenario, std::vector<std::pair<std::string, double>> fields, bool latency = false) {
    double server_cpu = cpu_seconds(o_.server_pid) - cpu0_server_;
    double self_cpu = cpu_seconds(0) - cpu0_self_;
    std::ostringstream js;
    js << R"({"scenario":")" << scenario << '"';
    for (auto& [k, v] : fields) js << ",\"" << k << "\":" << v;
    if (latency) {
      js << ",\"p50_ms\":" << lat_.pct(0.5) << ",\"p90_ms\":" << lat_.pct(0.9) << ",\"p99_ms\":" << lat_.pct(0.99)
         << ",\"max_ms\":" << lat_.max() << ",\"samples\":" << lat_.us.size();
    }
    if (o_.server_pid) js << ",\"server_cpu_s\":" << server_cpu << ",\"server_rss_kib\":" << rss_kib(o_.server_pid);
    js << ",\"loadgen_cpu_s\":" << self_cpu << "}";
    std::cout << js.str() << "\n";
    std::cout << "# " << scenario << ":";
    for (auto& [k, v] : fields) std::cout << " " << k << "=" << v;
    if (latency)
      std::cout << " latency p50=" << lat_.pct(0.5) << "ms p99=" << lat_.pct(0.99) << "ms max=" << lat_.max() << "ms";
    std::cout << " | cpu: server " << server_cpu << "s, loadgen " << self_cpu << "s\n";
    std::cout.flush();
  }

  options o_;
  asio::io_context ioc_;
  tcp::endpoint ep_;
  std::vector<std::shared_ptr<client>> clients_;
  std::shared_ptr<client> slow_;
  int next_id_ = 0, target_ = 0, logged_in_ = 0;
  bool joined_ = false, timed_out_ = false, running_ = false, measuring_ = false, open_loop_ = false;
  steady::time_point join_start_, measure_start_, measure_end_, open_start_;
  double join_seconds_ = 0, login_seconds_ = 0;
  std::function<void()> join_done_;
  std::shared_ptr<asio::steady_timer> tick_;
  uint64_t sent_ = 0;
  double deliveries_ = 0;
  latencies lat_;
  double cpu0_server_ = 0, cpu0_self_ = 0;
  long rss0_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--scenario") o.scenario = v;
    else if (k == "--users") o.users = std::stoi(v);
    else if (k == "--senders") o.senders = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--pairs") o.pairs = std::stoi(v);
    else if (k == "--concurrency") o.concurrency = std::stoi(v);
    else if (k == "--server-pid") o.server_pid = std::stoi(v);
    else if (k == "--timeout") o.timeout = std::stod(v);
    else if (k == "--pad") g_pad = std::stoul(v);
    else {
      std::fprintf(stderr, "loadgen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto addr = asio::ip::make_address(o.host);
  if (o.scenario == "slow" && g_pad == 0) g_pad = 3900;
  if (!addr.is_loopback()) {
    std::fprintf(stderr, "loadgen: only loopback addresses are allowed (got %s)\n", o.host.c_str());
    return 2;
  }
  raise_fd_limit();
  return runner(o).run();
}
