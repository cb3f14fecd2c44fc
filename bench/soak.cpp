// BareRTC soak: thousands of clients join, chat in the lobby, send DMs, toggle their webcam flags
// and leave (cleanly, or by dropping the TCP socket in the middle of a frame), in waves, for a
// while; then everyone leaves and the server must return to where it started. Reports the server's
// RSS and open file descriptors at the start, after a warm-up cycle, periodically, and at the end,
// plus every error seen. Prints one JSON line and a human summary; exits 1 when file descriptors
// leaked, errors occurred or RSS grew past the limit, 2 on bad usage. Loopback only.
//
//   soak [--server PATH | --port P --pid PID] [--users 2000] [--seconds 600] [--warmup 30] ...
//
// Phases: baseline (idle server) -> warm-up (all users join, chat and churn for --warmup s, all
// leave, settle) -> soak (all join again, chat and churn for --seconds, all leave, settle).
// "Settled" means the server's fd count is back to the baseline and /metrics shows no open
// connection, polled for up to --settle seconds.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "bench/client.hpp"

extern char** environ;

using namespace barertc::bench;
namespace fs = std::filesystem;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;  ///< With --pid: soak a server that is already running.
  int pid = 0;
  std::string server;       ///< The barertc binary to start (default: next to this program).
  int users = 2000;
  double seconds = 600;     ///< Length of the soak phase.
  double warmup = 30;       ///< Length of the warm-up phase (its RSS is the reference).
  int wave_size = 0;        ///< Users who leave (and as many who join) per wave; 0 = users / 20.
  double wave_interval = 5;
  double abrupt = 0.25;     ///< Share of leavers that drop the socket mid-frame instead of closing.
  double lobby_rate = 10;   ///< Lobby messages per second (each goes to every user).
  double dm_rate = 40;      ///< DMs per second.
  double me_rate = 5;       ///< Webcam-flag changes (`me`) per second.
  int concurrency = 100;    ///< Connections being opened at once.
  double report_every = 60;
  double settle = 10;       ///< How long the server may take to return to its baseline.
  long rss_growth_kib = -1; ///< Allowed RSS growth from warm-up to end; -1 = max(64 MiB, warm-up RSS).
  unsigned seed = 1;
};

constexpr double login_timeout_s = 30;  ///< A client without `me` by then counts as an error.
constexpr double close_timeout_s = 5;   ///< A clean leave without the server's close reply by then.

double since(steady::time_point t) { return std::chrono::duration<double>(steady::now() - t).count(); }

steady::duration secs(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

/// GET /metrics over a blocking loopback socket; the value of one gauge, or -1.
long metric(const std::string& host, unsigned short port, const std::string& name) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  std::string body;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) body.append(buf, n);
    }
  }
  close(fd);
  auto p = body.find("\n" + name + " ");
  if (p == std::string::npos) return -1;
  return std::atol(body.c_str() + p + name.size() + 2);
}

/// A soak user: a chat client plus what the soak checks about it.
struct user : client {
  using client::client;
  steady::time_point started = steady::now();
  steady::time_point leave_at{};
  size_t slot = SIZE_MAX;  ///< Index in the online list while logged in and not leaving.
  bool leaving = false;    ///< We sent a close frame and wait for the server's reply.
  bool dropped = false;    ///< We dropped the socket ourselves.
  int video = 0;
  int64_t pending_own = 0;  ///< Chat messages sent whose own copy has not come back yet.
};

/// Counts of everything that happened, and of everything that went wrong.
struct tally {
  uint64_t connections = 0, logins = 0, clean_leaves = 0, abrupt_leaves = 0;
  uint64_t lobby_sent = 0, dm_sent = 0, me_sent = 0, own_copies = 0, deliveries = 0, dms_undeliverable = 0;
  // Errors.
  uint64_t connect_failures = 0, login_timeouts = 0, unexpected_closes = 0, error_frames = 0;
  uint64_t protocol_violations = 0, close_handshake_failures = 0, lost_messages = 0;
  std::map<int, uint64_t> close_codes;  ///< unexpected closes by code (0 = no close frame)
  std::vector<std::string> samples;     ///< the first few error descriptions

  uint64_t errors() const {
    return connect_failures + login_timeouts + unexpected_closes + error_frames + protocol_violations +
           close_handshake_failures + lost_messages;
  }
  void note(std::string what) {
    if (samples.size() < 10) samples.push_back(std::move(what));
  }
};

struct sample {
  long rss = 0;
  int fds = 0;
};

class soak {
 public:
  explicit soak(options o) : o_(std::move(o)), ep_(asio::ip::make_address(o_.host), o_.port), rng_(o_.seed) {
    if (o_.wave_size <= 0) o_.wave_size = std::max(1, o_.users / 20);
  }

  int run(int pid) {
    pid_ = pid;
    started_ = steady::now();
    baseline_ = wait_idle();
    std::cout << "# baseline (idle server): rss " << baseline_.rss << " KiB, fds " << baseline_.fds << std::endl;
    every(1, [this] {
      housekeeping();
      return true;
    });
    phase("warm-up", o_.warmup, [this] {
      warm_ = after_;
      warm_settled_ = settled_;
      std::cout << "# after warm-up: rss " << warm_.rss << " KiB, fds " << warm_.fds
                << (warm_settled_ ? "" : " (did not settle)") << std::endl;
      phase("soak", o_.seconds, [this] { ioc_.stop(); });
    });
    ioc_.run();
    return report();
  }

 private:
  // ---- phases ----

  /// All users join; activity and waves run for `seconds`; all leave; the server settles; then next.
  void phase(std::string name, double seconds, std::function<void()> next) {
    phase_ = std::move(name);
    phase_start_ = steady::now();
    next_phase_ = std::move(next);
    active_ = false;
    for (int i = 0; i < o_.users; ++i) want_join();
    std::cout << "# " << phase_ << ": " << o_.users << " users joining" << std::endl;
    every(0.2, [this, seconds]() {
      if ((to_connect_ > 0 || connecting_ > 0) && since(phase_start_) < 120) return true;
      std::cout << "# " << phase_ << ": " << online_.size() << " online after " << since(phase_start_) << " s"
                << std::endl;
      start_activity(seconds);
      return false;
    });
  }

  void start_activity(double seconds) {
    active_ = true;
    int gen = ++generation_;  // the timers of this phase stop when the next phase starts
    activity_start_ = steady::now();
    done_lobby_ = done_dm_ = done_me_ = 0;
    every(0.01, [this, gen] { return gen == generation_ && activity(); });
    every(o_.wave_interval, [this, gen] { return gen == generation_ && wave(); });
    every(o_.report_every, [this, gen] { return gen == generation_ && periodic(); });
    after(seconds, [this] {
      active_ = false;
      // Let the last messages come back before everyone leaves.
      auto t0 = steady::now();
      every(0.1, [this, t0] {
        bool waiting = false;
        for (auto& u : online_) waiting |= u->pending_own > 0;
        if (waiting && since(t0) < 10) return true;
        for (auto& u : online_)
          if (u->pending_own > 0) {
            t_.lost_messages += u->pending_own;
            t_.note(u->name + ": " + std::to_string(u->pending_own) + " own messages never came back");
          }
        everyone_leaves();
        return false;
      });
    });
  }

  void everyone_leaves() {
    std::cout << "# " << phase_ << ": everyone leaves (" << online_.size() << " online)" << std::endl;
    while (!online_.empty()) leave(pick(), chance(o_.abrupt));
    every(0.1, [this] {
      if (!live_.empty() || connecting_) return true;
      wait_settled([this] {
        auto next = std::move(next_phase_);
        next();
      });
      return false;
    });
  }

  /// Polls until the server's fds are back to the baseline and no connection is open (or until
  /// --settle seconds), then waits 2 s more for memory and samples.
  void wait_settled(std::function<void()> then) {
    auto t0 = steady::now();
    every(0.2, [this, t0, then] {
      int fds = fd_count(pid_);
      long open = metric(o_.host, o_.port, "barertc_connections_open");
      settled_ = fds >= 0 && fds <= baseline_.fds && open <= 0;
      if (!settled_ && since(t0) < o_.settle) return true;
      settle_seconds_ = since(t0);
      after(2, [this, then] {
        after_ = {rss_kib(pid_), fd_count(pid_)};
        then();
      });
      return false;
    });
  }

  /// Samples the idle server until its fd count has not changed for a second.
  sample wait_idle() {
    sample s{rss_kib(pid_), fd_count(pid_)};
    for (int stable = 0; stable < 5;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      sample n{rss_kib(pid_), fd_count(pid_)};
      stable = n.fds == s.fds ? stable + 1 : 0;
      s = n;
    }
    return s;
  }

  // ---- activity ----

  bool activity() {
    if (!active_) return false;
    double t = since(activity_start_);
    while (done_lobby_ < t * o_.lobby_rate && !online_.empty()) {
      ++done_lobby_;
      auto& u = *pick();
      ++u.pending_own;
      ++t_.lobby_sent;
      u.send(R"({"action":"message","channel":"lobby","message":"soak )" + std::to_string(t_.lobby_sent) +
             " from " + u.name + "\"}");
    }
    while (done_dm_ < t * o_.dm_rate && online_.size() >= 2) {
      ++done_dm_;
      auto& u = *pick();
      auto& to = *pick();
      if (&u == &to) continue;
      ++u.pending_own;
      ++t_.dm_sent;
      u.send(R"({"action":"message","channel":"@)" + to.name + R"(","message":"dm )" + std::to_string(t_.dm_sent) +
             "\"}");
    }
    while (done_me_ < t * o_.me_rate && !online_.empty()) {
      ++done_me_;
      auto& u = *pick();
      // Camera on (sometimes NSFW, muted or mutual), or off.
      static constexpr int flags[] = {1, 1 | 2, 1 | 4, 1 | 16, 0};
      u.video = u.video ? 0 : flags[rng_() % 4];
      ++t_.me_sent;
      u.send(R"({"action":"me","video":)" + std::to_string(u.video) + R"(,"status":"online"})");
    }
    return true;
  }

  /// Some users leave (a share of them abruptly) and as many new ones join.
  bool wave() {
    if (!active_) return false;
    int n = std::min<int>(o_.wave_size, static_cast<int>(online_.size()));
    for (int i = 0; i < n; ++i) {
      leave(pick(), chance(o_.abrupt));
      want_join();
    }
    return true;
  }

  bool periodic() {
    if (!active_) return false;
    sample s{rss_kib(pid_), fd_count(pid_)};
    samples_.push_back(s);
    rss_max_ = std::max(rss_max_, s.rss);
    std::cout << "# t=" << static_cast<int>(since(started_)) << "s " << phase_ << ": online " << online_.size()
              << ", rss " << s.rss << " KiB, fds " << s.fds << ", connections " << t_.connections << ", lobby "
              << t_.lobby_sent << ", dm " << t_.dm_sent << ", me " << t_.me_sent << ", deliveries " << t_.deliveries
              << ", errors " << t_.errors() << std::endl;
    return true;
  }

  /// Clients that never logged in, and clean leavers the server never answered.
  void housekeeping() {
    std::vector<std::shared_ptr<user>> late;
    for (auto& [id, u] : live_) {
      if (!u->logged_in && !u->closed && since(u->started) > login_timeout_s) {
        ++t_.login_timeouts;
        t_.note(u->name + ": no login reply within " + std::to_string(int(login_timeout_s)) + " s");
        late.push_back(u);
      } else if (u->leaving && since(u->leave_at) > close_timeout_s) {
        ++t_.close_handshake_failures;
        t_.note(u->name + ": no close reply within " + std::to_string(int(close_timeout_s)) + " s");
        late.push_back(u);
      }
    }
    for (auto& u : late) drop(*u, false);
  }

  // ---- joining and leaving ----

  void want_join() {
    ++to_connect_;
    connect_more();
  }

  void connect_more() {
    while (to_connect_ > 0 && connecting_ < o_.concurrency) {
      --to_connect_;
      ++connecting_;
      ++t_.connections;
      auto u = std::make_shared<user>(ioc_, next_id_++, "s");
      u->count_who = false;
      u->quiet = true;
      u->on_login = [this](client& c) { on_login(static_cast<user&>(c)); };
      u->on_message = [this](client& c, std::string_view m) { on_message(static_cast<user&>(c), m); };
      u->on_end = [this](client& c) { on_end(static_cast<user&>(c)); };
      live_.emplace(u->id, u);
      u->start(ep_);
    }
  }

  void on_login(user& u) {
    --connecting_;
    ++t_.logins;
    u.slot = online_.size();
    online_.push_back(std::static_pointer_cast<user>(u.shared_from_this()));
    connect_more();
  }

  void on_message(user& u, std::string_view m) {
    if (u.leaving || u.dropped) return;
    if (m.rfind(R"({"action":"message")", 0) == 0) {
      auto own = R"("username":")" + u.name + '"';
      if (m.find(own) != std::string_view::npos) {
        --u.pending_own;
        ++t_.own_copies;
      } else {
        ++t_.deliveries;
      }
    } else if (m.rfind(R"({"action":"error")", 0) == 0) {
      if (m.find(R"("channel":)") != std::string_view::npos) return;  // welcome messages
      if (m.find("appears not to be online") != std::string_view::npos) {
        ++t_.dms_undeliverable;  // the recipient left while the DM was on its way
        return;
      }
      ++t_.error_frames;
      t_.note(u.name + " got " + std::string(m.substr(0, 200)));
    } else if (m.rfind(R"({"action":"disconnect")", 0) == 0) {
      ++t_.error_frames;
      t_.note(u.name + " got " + std::string(m));
    }
  }

  void on_end(user& u) {
    using why = client::end_reason;
    auto keep = u.shared_from_this();  // we erase it from live_ below
    if (!u.logged_in) --connecting_;
    take_offline(u);
    if (u.ended == why::local) {
      // Dropped on purpose (or given up on by housekeeping): nothing to check.
    } else if (u.leaving) {
      if (u.ended == why::close_frame && u.close_code == 1000) {
        ++t_.clean_leaves;
      } else {
        ++t_.close_handshake_failures;
        t_.note(u.name + ": clean leave ended by " + describe(u));
      }
    } else if (u.ended == why::connect || u.ended == why::handshake) {
      ++t_.connect_failures;
      t_.note(u.name + ": " + describe(u));
    } else {
      if (u.ended == why::protocol_error || u.close_code == 1002) ++t_.protocol_violations;
      else ++t_.unexpected_closes;
      ++t_.close_codes[u.ended == why::close_frame ? u.close_code : 0];
      t_.note(u.name + ": unexpected end: " + describe(u));
    }
    u.close_socket();
    live_.erase(u.id);
    connect_more();
    if (active_ && !u.leaving && !u.dropped) want_join();  // keep the population (the loss is already counted)
  }

  static std::string describe(const user& u) {
    using why = client::end_reason;
    switch (u.ended) {
      case why::connect: return "connect failed";
      case why::handshake: return "upgrade refused";
      case why::close_frame: return "close frame " + std::to_string(u.close_code);
      case why::protocol_error: return "bad frame from the server (" + std::to_string(u.close_code) + ")";
      case why::eof: return "TCP closed without a close frame";
      case why::io_error: return "TCP error (reset)";
      case why::write: return "write failed";
      default: return "ended";
    }
  }

  /// Leaves cleanly (close frame 1000, then wait for the server's reply) or abruptly: half of a
  /// text frame, then the socket is closed (with RST for half of those, FIN for the rest).
  void leave(std::shared_ptr<user> u, bool abrupt) {
    take_offline(*u);
    if (!abrupt) {
      u->leaving = true;
      u->leave_at = steady::now();
      u->send_frame(barertc::net::opcode::close, barertc::net::close_payload(1000, "bye"));
      return;
    }
    ++t_.abrupt_leaves;
    bool reset = chance(0.5);
    std::string_view msg = R"({"action":"message","channel":"lobby","message":"never finished"})";
    auto partial = client::client_frame(barertc::net::opcode::text, msg);
    partial.resize(partial.size() - msg.size() / 2);  // the header and half of the payload
    u->on_drained = [this, reset](client& c) { drop(static_cast<user&>(c), reset); };
    u->queue(std::make_shared<const std::string>(std::move(partial)));
  }

  void drop(user& u, bool reset) {
    u.dropped = true;
    u.close_socket(reset);
    u.end(client::end_reason::local);
  }

  void take_offline(user& u) {
    if (u.slot == SIZE_MAX) return;
    auto last = online_.back();
    online_[u.slot] = last;
    last->slot = u.slot;
    online_.pop_back();
    u.slot = SIZE_MAX;
  }

  std::shared_ptr<user> pick() { return online_[rng_() % online_.size()]; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  // ---- timers ----

  /// Calls f every `interval` seconds while it returns true.
  void every(double interval, std::function<bool()> f) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, secs(interval));
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [t, f, interval, tick]() {
      t->async_wait([t, f, interval, tick](beast::error_code ec) {
        if (ec || !f()) {
          *tick = nullptr;  // break the cycle
          return;
        }
        t->expires_after(secs(interval));
        (*tick)();
      });
    };
    (*tick)();
  }

  void after(double seconds, std::function<void()> f) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, secs(seconds));
    t->async_wait([t, f](beast::error_code ec) {
      if (!ec) f();
    });
  }

  // ---- report ----

  int report() {
    sample end = after_;
    long limit = o_.rss_growth_kib >= 0 ? o_.rss_growth_kib : std::max<long>(64 * 1024, warm_.rss);
    long growth = end.rss - warm_.rss;
    bool fds_ok = end.fds >= 0 && end.fds <= baseline_.fds && settled_;
    bool rss_ok = growth <= limit;
    bool ok = fds_ok && rss_ok && t_.errors() == 0;
    std::ostringstream codes, rss_samples;
    for (auto& [code, n] : t_.close_codes) codes << (codes.tellp() ? "," : "") << '"' << code << "\":" << n;
    for (auto& s : samples_) rss_samples << (rss_samples.tellp() ? "," : "") << s.rss;
    std::ostringstream js;
    js << R"({"scenario":"soak","ok":)" << (ok ? "true" : "false") << ",\"users\":" << o_.users
       << ",\"seconds\":" << o_.seconds << ",\"warmup_s\":" << o_.warmup << ",\"run_s\":" << since(started_)
       << ",\"connections\":" << t_.connections << ",\"logins\":" << t_.logins
       << ",\"clean_leaves\":" << t_.clean_leaves << ",\"abrupt_leaves\":" << t_.abrupt_leaves
       << ",\"lobby_sent\":" << t_.lobby_sent << ",\"dm_sent\":" << t_.dm_sent << ",\"me_sent\":" << t_.me_sent
       << ",\"own_copies\":" << t_.own_copies << ",\"deliveries\":" << t_.deliveries
       << ",\"dms_undeliverable\":" << t_.dms_undeliverable << ",\"errors\":" << t_.errors()
       << ",\"connect_failures\":" << t_.connect_failures << ",\"login_timeouts\":" << t_.login_timeouts
       << ",\"unexpected_closes\":" << t_.unexpected_closes << ",\"unexpected_close_codes\":{" << codes.str() << "}"
       << ",\"error_frames\":" << t_.error_frames << ",\"protocol_violations\":" << t_.protocol_violations
       << ",\"close_handshake_failures\":" << t_.close_handshake_failures << ",\"lost_messages\":" << t_.lost_messages
       << ",\"rss_kib_start\":" << baseline_.rss << ",\"rss_kib_warm\":" << warm_.rss << ",\"rss_kib_end\":" << end.rss
       << ",\"rss_kib_max\":" << rss_max_ << ",\"rss_kib_samples\":[" << rss_samples.str() << "]"
       << ",\"rss_growth_kib\":" << growth << ",\"rss_growth_limit_kib\":" << limit
       << ",\"fds_start\":" << baseline_.fds << ",\"fds_warm\":" << warm_.fds << ",\"fds_end\":" << end.fds
       << ",\"settled\":" << (settled_ ? "true" : "false") << ",\"settle_s\":" << settle_seconds_
       << ",\"server_cpu_s\":" << cpu_seconds(pid_) << ",\"soak_cpu_s\":" << cpu_seconds(0) << "}";
    std::cout << js.str() << "\n";
    std::cout << "# soak: " << o_.users << " users, " << o_.seconds << " s (+" << o_.warmup << " s warm-up): "
              << t_.connections << " connections, " << t_.clean_leaves << " clean and " << t_.abrupt_leaves
              << " abrupt leaves, " << t_.lobby_sent << " lobby messages (" << t_.deliveries
              << " deliveries to others), " << t_.dm_sent << " DMs, " << t_.me_sent << " webcam changes\n";
    std::cout << "# server rss: start " << baseline_.rss << " KiB, after warm-up " << warm_.rss << " KiB, end "
              << end.rss << " KiB (growth " << growth << " KiB, limit " << limit << "), max under load " << rss_max_
              << " KiB\n";
    std::cout << "# server fds: start " << baseline_.fds << ", after warm-up " << warm_.fds << ", end " << end.fds
              << (fds_ok ? " (back to baseline" : " (NOT back to baseline") << " after " << settle_seconds_
              << " s)\n";
    std::cout << "# errors: " << t_.errors() << " (connect " << t_.connect_failures << ", login timeouts "
              << t_.login_timeouts << ", unexpected closes " << t_.unexpected_closes << ", error frames "
              << t_.error_frames << ", protocol violations " << t_.protocol_violations << ", close handshakes "
              << t_.close_handshake_failures << ", lost messages " << t_.lost_messages << ")\n";
    for (auto& s : t_.samples) std::cout << "#   " << s << "\n";
    std::cout << "# result: " << (ok ? "OK" : "FAILED") << std::endl;
    return ok ? 0 : 1;
  }

  options o_;
  asio::io_context ioc_;
  tcp::endpoint ep_;
  std::mt19937 rng_;
  int pid_ = 0;
  std::map<int, std::shared_ptr<user>> live_;  ///< every client with an open socket, by id
  std::vector<std::shared_ptr<user>> online_;  ///< logged in and not leaving
  int connecting_ = 0, to_connect_ = 0, next_id_ = 0, generation_ = 0;
  bool active_ = false, settled_ = false, warm_settled_ = false;
  std::string phase_;
  std::function<void()> next_phase_;
  steady::time_point started_, phase_start_, activity_start_;
  uint64_t done_lobby_ = 0, done_dm_ = 0, done_me_ = 0;
  tally t_;
  sample baseline_, warm_, after_;
  std::vector<sample> samples_;
  long rss_max_ = 0;
  double settle_seconds_ = 0;
};

/// The server we started, stopped with us when the soak is interrupted.
volatile sig_atomic_t g_child = 0;

extern "C" void on_interrupt(int sig) {
  if (g_child) kill(g_child, SIGTERM);
  _exit(128 + sig);
}

/// A barertc started for the soak: settings in a temporary directory, log beside them.
struct server_process {
  pid_t pid = 0;
  unsigned short port = 0;
  fs::path dir;

  bool start(const std::string& binary) {
    char tmpl[] = "/tmp/barertc-soak-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir = tmpl;
    std::ofstream(dir / "settings.toml") << R"(# Written by bench/soak: loopback only, limits out of the way.
[Server]
Address = "127.0.0.1:0"
RateLimit = 1000       # the soak's users post faster than people
RateBurst = 1000
MaxConnectionsPerIP = 0  # every client comes from 127.0.0.1
[[PublicChannels]]
ID = "lobby"
Name = "Lobby"
)";
    auto log = (dir / "server.log").string();
    auto config = (dir / "settings.toml").string();
    auto web = (dir / "web").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<std::string> args{binary, "--config", config, "--web-root", web};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      std::fprintf(stderr, "soak: cannot start %s: %s\n", binary.c_str(), strerror(rc));
      return false;
    }
    for (int i = 0; i < 300 && !port; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream f(log);
      std::string text((std::istreambuf_iterator<char>(f)), {});
      if (auto p = text.find("(port "); p != std::string::npos)
        port = static_cast<unsigned short>(std::atoi(text.c_str() + p + 6));
      int status;
      if (!port && waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        break;
      }
    }
    if (!port) std::fprintf(stderr, "soak: the server did not start; log: %s\n", log.c_str());
    return port != 0;
  }

  /// SIGTERM, then the exit status (-1 when it had to be killed after 10 s).
  int stop() {
    if (!pid) return -1;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = 0;
    return -1;
  }
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "soak: %s\nusage: soak [--server PATH | --port P --pid PID] [--users N] [--seconds S] [--warmup S]\n"
               "            [--wave-size N] [--wave-interval S] [--abrupt FRACTION] [--lobby-rate R] [--dm-rate R]\n"
               "            [--me-rate R] [--concurrency N] [--report-every S] [--settle S]\n"
               "            [--rss-growth-kib N] [--seed N]\n",
               problem.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage(k + " needs a value");
    std::string v = argv[i + 1];
    try {
      if (k == "--host") o.host = v;
      else if (k == "--port") o.port = static_cast<unsigned short>(std::stoi(v));
      else if (k == "--pid") o.pid = std::stoi(v);
      else if (k == "--server") o.server = v;
      else if (k == "--users") o.users = std::stoi(v);
      else if (k == "--seconds") o.seconds = std::stod(v);
      else if (k == "--warmup") o.warmup = std::stod(v);
      else if (k == "--wave-size") o.wave_size = std::stoi(v);
      else if (k == "--wave-interval") o.wave_interval = std::stod(v);
      else if (k == "--abrupt") o.abrupt = std::stod(v);
      else if (k == "--lobby-rate") o.lobby_rate = std::stod(v);
      else if (k == "--dm-rate") o.dm_rate = std::stod(v);
      else if (k == "--me-rate") o.me_rate = std::stod(v);
      else if (k == "--concurrency") o.concurrency = std::stoi(v);
      else if (k == "--report-every") o.report_every = std::stod(v);
      else if (k == "--settle") o.settle = std::stod(v);
      else if (k == "--rss-growth-kib") o.rss_growth_kib = std::stol(v);
      else if (k == "--seed") o.seed = static_cast<unsigned>(std::stoul(v));
      else usage("unknown option " + k);
    } catch (const std::exception&) {
      usage("bad value for " + k + ": " + v);
    }
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec || !addr.is_loopback() || !addr.is_v4())
    usage("only IPv4 loopback addresses are allowed (got " + o.host + ")");
  if (o.users < 2 || o.seconds <= 0 || o.warmup < 0 || o.wave_interval <= 0 || o.report_every <= 0)
    usage("--users must be at least 2 and the durations positive");
  if ((o.port != 0) != (o.pid != 0)) usage("--port and --pid go together (soak a running server)");
  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);

  server_process srv;
  int pid = o.pid;
  if (!pid) {
    if (o.server.empty()) o.server = (fs::read_symlink("/proc/self/exe").parent_path() / "barertc").string();
    if (!srv.start(o.server)) return 1;
    pid = srv.pid;
    g_child = pid;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    o.port = srv.port;
    std::cout << "# server: " << o.server << " (pid " << pid << ", port " << o.port << ", log " << srv.dir.string()
              << "/server.log)" << std::endl;
  }
  std::cout << "# machine: " << std::thread::hardware_concurrency() << " cores; soak: " << o.users << " users, "
            << o.seconds << " s, warm-up " << o.warmup << " s" << std::endl;
  int rc = soak(o).run(pid);
  if (srv.pid) {
    g_child = 0;
    int exit_code = srv.stop();
    std::cout << "# server exit status after SIGTERM: " << exit_code << std::endl;
    if (exit_code != 0) rc = 1;
    std::error_code fs_ec;
    if (rc == 0) fs::remove_all(srv.dir, fs_ec);
    else std::cout << "# server log kept: " << srv.dir.string() << "/server.log" << std::endl;
  }
  return rc;
}
