// BareRTC server: reads settings, starts the chat actors and the network, and waits for a signal.
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "actors/chat.hpp"
#include "net/redis_link.hpp"
#include "net/server.hpp"
#include "net/webhook_client.hpp"
#include "protocol/log_format.hpp"
#include "protocol/metrics.hpp"
#include "settings/settings.hpp"

namespace {

struct flags {
  std::string config = "settings.toml";
  std::optional<std::string> address;
  std::optional<int> workers;
  std::optional<int> io_threads;
  std::string web_root = "web/dist";
  bool debug = false;
  bool check_config = false;
  bool log_json = false;
};

[[noreturn]] void usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "barertc: " << problem << "\n";
  std::cerr << "usage: barertc [--config PATH] [-address HOST:PORT] [--workers N] [--io-threads N]\n"
               "               [--web-root DIR] [-debug] [--log-json] [--check-config] [--version]\n";
  std::exit(problem.empty() ? 0 : 2);
}

int to_int(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    int n = std::stoi(value, &used);
    if (used == value.size() && n >= 0 && n <= 256) return n;
  } catch (...) {
  }
  usage(flag + " takes a whole number from 0 to 256, not '" + value + "'");
}

flags parse_flags(int argc, char** argv) {
  flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("-", 0) == 0) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg.rfind("--", 0) == 0) arg = arg.substr(1);  // -flag and --flag are the same
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-config") f.config = next();
    else if (arg == "-address") f.address = next();
    else if (arg == "-workers") f.workers = to_int(arg, next());
    else if (arg == "-io-threads") f.io_threads = std::max(1, to_int(arg, next()));
    else if (arg == "-web-root") f.web_root = next();
    else if (arg == "-debug") f.debug = true;
    else if (arg == "-check-config") f.check_config = true;
    else if (arg == "-log-json") f.log_json = true;
    else if (arg == "-version") {
      std::cout << "barertc " << barertc::protocol::build_version() << "\n";
      std::exit(0);
    }
    else if (arg == "-help" || arg == "-h") usage("");
    else usage("unknown flag '" + std::string(argv[i]) + "'");
  }
  return f;
}

/// Big who lists (a few hundred KB each) should go back to the system once sent, and a handful of
/// malloc arenas is enough: without this glibc keeps the memory of a join storm's lists.
void tune_malloc() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 2);
#endif
}

/// Gives the heap's free pages back to the kernel every few seconds. glibc only trims the top of
/// each heap, so the pages freed inside it after a join storm (queues, lists, parser buffers)
/// otherwise stay resident for as long as the process lives.
void trim_heap_periodically(std::chrono::seconds every) {
  std::thread([every] {
    for (;;) {
      std::this_thread::sleep_for(every);
      malloc_trim(0);
    }
  }).detach();
}

/// Each browser holds a socket: lift the soft open-file limit to the hard one.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// The Redis link of a node of a cluster ([Cluster] Enabled), or nothing.
std::shared_ptr<barertc::protocol::cluster_link> cluster_link(const barertc::settings::cluster& c) {
  if (!c.enabled) return nullptr;
  auto where = std::get<barertc::settings::redis_endpoint>(barertc::settings::parse_redis_url(c.redis_url));
  std::string node = c.node_name;
  if (node.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) node = host;
    if (node.empty()) node = "node-" + std::to_string(getpid());
  }
  spdlog::info("cluster: node '{}', Redis at {}:{}, key prefix '{}'", node, where.host, where.port, c.key_prefix);
  return std::make_shared<barertc::net::redis_link>(std::move(where), c.key_prefix, std::move(node));
}

/// After a stop signal every client has had its 1001 and the network is down; only the chat
/// actors are left. The actor system waits for each of them on the way out, and a user actor hears
/// of its closed socket only after the frames already in its mailbox (a flood queued before the
/// signal can take seconds, or minutes in a sanitizer build). Past `grace`, exit without them.
void exit_if_teardown_hangs(std::chrono::milliseconds grace, int status) {
  if (grace.count() < 1) grace = std::chrono::milliseconds(1);
  std::thread([grace, status] {
    std::this_thread::sleep_for(grace);
    std::fprintf(stderr, "barertc: chat actors still busy %lld ms after the network stopped; exiting\n",
                 static_cast<long long>(grace.count()));
    std::_Exit(status);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace barertc;
  auto f = parse_flags(argc, argv);
  spdlog::set_level(f.debug ? spdlog::level::debug : spdlog::level::info);

  raise_fd_limit();
  tune_malloc();
  trim_heap_periodically(std::chrono::seconds(barertc::defaults::heap_trim_seconds));
  bool created = false;
  auto loaded = f.check_config ? [&]() -> std::variant<settings::settings, settings::errors> {
    std::ifstream probe(f.config);
    if (!probe) return settings::errors{{f.config + ": cannot read the settings file"}};
    return settings::load_or_create(f.config);
  }()
                               : settings::load_or_create(f.config, &created);
  if (auto* errs = std::get_if<settings::errors>(&loaded)) {
    for (auto& p : errs->problems) std::cerr << p << "\n";
    std::cerr << "barertc: " << f.config << " has " << errs->problems.size() << " problem(s); not starting\n";
    return 1;
  }
  auto cfg = std::get<settings::settings>(std::move(loaded));
  if (f.check_config) {
    for (auto& w : cfg.warnings) std::cout << w << "\n";
    std::cout << f.config << ": OK" << (cfg.warnings.empty() ? "" : " (with warnings)") << "\n";
    return 0;
  }
  protocol::set_log_format(f.log_json ? "json" : cfg.server.log_format);
  if (created) spdlog::info("wrote default settings to {} (mode 0600)", f.config);
  for (auto& w : cfg.warnings) spdlog::warn("settings: {}", w);
  for (auto& name : settings::apply_environment(cfg)) spdlog::info("settings: {} is taken from the environment", name);
  if (f.address) cfg.server.address = *f.address;
  if (f.workers) cfg.server.worker_threads = *f.workers;
  if (f.io_threads) cfg.server.io_threads = *f.io_threads;

  // The website's webhooks are called from threads of their own (server.md E).
  net::webhook_client webhooks(barertc::defaults::webhook_in_flight, barertc::defaults::webhook_queue,
                               barertc::defaults::webhook_timeout_seconds);
  auto link = cluster_link(cfg.cluster);
  actors::chat chat(
      cfg, f.config,
      [&webhooks](std::string url, std::string body, auto done) {
        webhooks.post(std::move(url), std::move(body), std::move(done));
      },
      link);
  net::options o;
  o.address = cfg.server.address;
  o.io_threads = cfg.server.io_threads;
  o.max_message_bytes = cfg.server.max_message_bytes;
  o.send_queue_limit = cfg.server.send_queue_limit;
  o.send_queue_bytes = cfg.server.send_queue_bytes;
  o.send_timeout_seconds = cfg.websocket_send_timeout;
  o.use_x_forwarded_for = cfg.use_x_forwarded_for;
  o.max_connections_per_ip = cfg.server.max_connections_per_ip;
  o.idle_timeout_seconds = cfg.server.idle_timeout;
  o.max_header_bytes = cfg.server.max_header_bytes;
  o.max_body_bytes = cfg.server.max_body_bytes;
  o.compression = cfg.server.compression;
  o.poll_timeout_seconds = cfg.server.poll_timeout;
  o.poll_queue_limit = cfg.server.poll_queue_limit;
  o.cors_hosts = cfg.cors_hosts;
  o.web_root = f.web_root;
  o.title = cfg.title;
  o.website_url = cfg.website_url;
  // ShutdownTimeout: most of it for the close handshakes, the rest for the chat actors.
  auto shutdown_ms = static_cast<int64_t>(cfg.server.shutdown_timeout * 1000);
  o.drain_timeout_ms = static_cast<int>(static_cast<double>(shutdown_ms) * barertc::defaults::drain_share);
  auto teardown_ms = std::chrono::milliseconds(shutdown_ms - o.drain_timeout_ms);
  net::hooks h;
  h.connect = [&chat](protocol::connection_ptr conn, const std::string& ip) {
    spdlog::debug("client connected from {}", ip);
    return chat.connect(std::move(conn));
  };
  h.statistics = [&chat](std::function<void(std::string)> done) { chat.statistics(std::move(done)); };
  h.page = [&chat](std::string_view token, const std::string& index) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return protocol::chat_page(chat.current_settings(), token, index, now);
  };
  h.metrics = [&chat](std::function<void(std::string)> done) {
    chat.gauges([done](protocol::chat_gauges g) {
      done(protocol::prometheus_text(protocol::metrics(), g, protocol::read_process_stats()));
    });
  };
  h.health = [&chat](std::function<void(bool)> done) {
    chat.alive(std::chrono::milliseconds(barertc::defaults::health_timeout_ms), std::move(done));
  };
  if (link) h.degraded = [&chat] { return chat.cluster_trouble(); };
  h.live = [&chat] {
    auto s = chat.current_settings();
    return net::live_options{s.title, s.cors_hosts, s.website_url};
  };
  h.api = [&chat](const std::string& path, bool post, std::string_view type, std::string body,
                  std::function<void(int, std::string)> done) { chat.api(path, post, type, body, std::move(done)); };
  h.reload = [&chat] {
    spdlog::info("SIGHUP: reloading settings");
    chat.reload([](const std::string& report) {  // a reload logs its own outcome, in plain text
      if (report == "the chat did not answer") spdlog::warn("settings reload: the chat did not answer");
    });
  };
  net::server srv(o, h);
  try {
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << "barertc: " << e.what() << "\n";
    return 1;
  }
  // Tests start the server on port 0 and read the real port from this line.
  spdlog::info("BareRTC listening on {} (port {}), {} I/O thread(s), {} worker thread(s)", o.address, srv.port(),
               o.io_threads, cfg.server.worker_threads ? std::to_string(cfg.server.worker_threads) : "auto");
  srv.run();
  chat.shutdown();
  // /shutdown and /api/shutdown mean "restart the chat": a status a supervisor restarts on
  // (systemd's Restart=on-failure); SIGTERM and SIGINT stay a clean stop with 0.
  int status = actors::chat::restart_requested() ? barertc::defaults::restart_exit_status : 0;
  exit_if_teardown_hangs(teardown_ms, status);
  if (status) spdlog::info("stopped for a restart (exit status {})", status);
  else spdlog::info("stopped");
  return status;
}
