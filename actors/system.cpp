// Wires the actor system: context, channels, directory, and one user actor per connection.
#include <spdlog/spdlog.h>

#include <chrono>

#include "actors/actors.hpp"
#include "actors/media.hpp"
#include "actors/ask.hpp"
#include "actors/website_api.hpp"
#include "actors/chat.hpp"
#include "protocol/codec.hpp"
#include "protocol/markdown.hpp"

namespace barertc::actors {
namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg, const settings::settings& s) {
  if (s.server.worker_threads > 0) cfg.set("scheduler.max-threads", static_cast<size_t>(s.server.worker_threads));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  // An idle worker spins briefly, then sleeps until work is handed to it, skipping CAF's middle
  // phase of 500 naps of 50 us. Those naps took half the server's CPU at a steady 40 messages/s
  // and, on a small machine, the cores the I/O threads and clients needed: measured with
  // bench/loadgen on 2 cores, fan-out 580-660k -> 720-750k deliveries/s, open-loop CPU halved.
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  return cfg;
}

/// Forwards the network's calls for one connection to its user actor.
class gateway final : public protocol::connection_handler {
 public:
  explicit gateway(caf::actor user) : user_(std::move(user)) {}
  ~gateway() override { on_close(); }
  void on_text(std::string text) override { caf::anon_send(user_, text_atom::value, std::move(text)); }
  void on_binary(size_t bytes) override { caf::anon_send(user_, binary_atom::value, static_cast<uint64_t>(bytes)); }
  void on_close() override {
    if (!closed_) caf::anon_send(user_, closed_atom::value);
    closed_ = true;
  }
  void on_timed_out() override {
    if (!closed_) caf::anon_send(user_, closed_atom::value, true);
    closed_ = true;
  }

 private:
  caf::actor user_;
  bool closed_ = false;
};

}  // namespace

caf::error log_actor_exception(const char* actor_name, std::exception_ptr& eptr) {
  std::string what = "unknown exception";
  try {
    if (eptr) std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  spdlog::critical("{} actor stopped by an exception: {}", actor_name, what);
  return caf::make_error(caf::sec::runtime_error, what);
}

context_ptr make_context(const settings::settings& s, std::shared_ptr<std::atomic<int64_t>> msg_ids,
                         std::shared_ptr<const protocol::webhook_poster> webhooks,
                         std::shared_ptr<storage::dm_history> history,
                         std::shared_ptr<protocol::cluster_link> cluster, int64_t msg_id_step) {
  auto c = std::make_shared<context>();
  c->cfg = s;
  for (auto& ch : s.public_channels)
    for (auto& text : ch.welcome_messages)
      c->welcome.push_back(protocol::encode_frame(protocol::chat_server(protocol::render_markdown(text), ch.id)));
  protocol::message ping;
  ping.action = "ping";
  c->ping = protocol::encode_frame(ping);
  protocol::message disconnect;
  disconnect.action = "disconnect";
  c->disconnect = protocol::encode_frame(disconnect);
  c->msg_ids = std::move(msg_ids);
  c->filters = std::make_shared<const message_filters>(s.message_filters);
  c->webhooks = std::move(webhooks);
  c->history = std::move(history);
  c->cluster = std::move(cluster);
  c->msg_id_step = msg_id_step;
  return c;
}

struct chat::impl {
  caf::actor_system_config cfg;
  caf::actor_system system;
  std::shared_ptr<config_cell> cell = std::make_shared<config_cell>();
  std::shared_ptr<std::map<std::string, caf::actor>> channels = std::make_shared<std::map<std::string, caf::actor>>();
  caf::actor directory;
  std::shared_ptr<media_pool> media;

  std::shared_ptr<protocol::cluster_link> cluster;
  caf::actor bridge;

  impl(const settings::settings& s, const std::string& path, protocol::webhook_poster webhooks,
       std::shared_ptr<protocol::cluster_link> link)
      : system(configure(cfg, s)), media(std::make_shared<media_pool>(system, s.server.image_workers)),
        cluster(std::move(link)) {
    std::shared_ptr<storage::dm_history> history;
    if (s.direct_message_history.enabled)
      history = std::make_shared<storage::dm_history>(storage::dm_history::options{
          s.direct_message_history.sqlite_database, s.direct_message_history.retention_days,
          static_cast<size_t>(barertc::defaults::dm_history_queue), static_cast<size_t>(barertc::defaults::dm_history_batch),
          std::chrono::seconds(barertc::defaults::dm_history_purge_seconds)});
    // msgIDs start at the start-up time in unix seconds (protocol.md B.5), and above every stored
    // DM's, so a takeback never names an old DM. In a cluster: that times 2^msg_id_node_bits plus
    // this node's slot, going up by 2^msg_id_node_bits.
    int64_t step = 1, slot = 0;
    if (cluster) {
      step = int64_t(1) << barertc::defaults::msg_id_node_bits;
      slot = cluster->claim_slot();
    }
    int64_t base = std::max(unix_now(), history ? history->max_msg_id() / step + 1 : 0);
    auto ids = std::make_shared<std::atomic<int64_t>>(base * step + slot - step + 1);
    cell->current.store(make_context(s, ids, std::make_shared<const protocol::webhook_poster>(std::move(webhooks)),
                                     std::move(history), cluster, step));
    cell->path = path;
    std::vector<caf::actor> ordered;
    for (auto& ch : s.public_channels) {
      auto a = spawn_channel(system, cell->current.load(), ch);
      channels->emplace(ch.id, a);
      ordered.push_back(a);
    }
    directory = spawn_directory(system, cell, ordered);
    if (cluster) start_cluster(s);
  }

  /// The bridge, and the link's subscriptions: everyone's topic, this node's, each channel's.
  void start_cluster(const settings::settings& s) {
    bridge = spawn_cluster_bridge(system, cluster->node(), cluster->instance(), directory, channels);
    std::vector<std::string> topics{"all", "node:" + cluster->node()};
    for (auto& ch : s.public_channels) topics.push_back("room:" + ch.id);
    auto to = bridge;
    cluster->start(std::move(topics),
                   {[to](std::string topic, std::string payload) {
                      caf::anon_send(to, cluster_atom::value, std::move(topic), std::move(payload));
                    },
                    [to](bool up) { caf::anon_send(to, linkup_atom::value, up); }});
    spdlog::info("cluster: node '{}' joins through Redis", cluster->node());
  }
};

chat::chat(const settings::settings& cfg, const std::string& settings_path, protocol::webhook_poster webhooks,
           std::shared_ptr<protocol::cluster_link> cluster)
    : impl_(std::make_unique<impl>(cfg, settings_path, std::move(webhooks), std::move(cluster))) {}

std::string chat::cluster_trouble() const {
  auto& link = impl_->cluster;
  if (!link || link->up()) return {};
  return "degraded: Redis is unreachable; node '" + link->node() + "' serves its own users alone";
}

bool chat::restart_requested() { return actors::restart_requested(); }

chat::~chat() { shutdown(); }

protocol::handler_ptr chat::connect(protocol::connection_ptr conn) {
  auto user = spawn_user(impl_->system, impl_->cell->current.load(), std::move(conn), impl_->directory,
                         impl_->channels, impl_->media);
  return std::make_shared<gateway>(std::move(user));
}

settings::settings chat::current_settings() const { return impl_->cell->current.load()->cfg; }

void chat::statistics(std::function<void(std::string)> done) {
  ask<std::string>(impl_->system, impl_->directory, std::move(done), R"({"UserCount":0,"Usernames":[]})",
                   stats_atom::value);
}

void chat::api(const std::string& path, bool post, std::string_view content_type, const std::string& body,
               std::function<void(int, std::string)> done) {
  website_api({&impl_->system, impl_->directory, impl_->cell}, path, post, content_type, body, std::move(done));
}

void chat::gauges(std::function<void(protocol::chat_gauges)> done) {
  auto dir = impl_->directory;
  auto channels = impl_->channels;
  impl_->system.spawn([dir, channels, done = std::move(done)](caf::event_based_actor* self) {
    // The directory first, then every channel; whatever does not answer counts as nothing waiting.
    auto g = std::make_shared<protocol::chat_gauges>();
    auto left = std::make_shared<size_t>(channels->size());
    auto finish = [g, left, done] {
      if (--*left == 0) done(*g);
    };
    self->request(dir, std::chrono::seconds(barertc::defaults::ask_timeout_seconds), stats_atom::value, count_atom::value)
        .then(
            [=](int64_t users, int64_t backlog) {
              g->users = users;
              g->directory_backlog = backlog;
              if (channels->empty()) return done(*g);
              for (auto& [id, ch] : *channels)
                self->request(ch, std::chrono::seconds(barertc::defaults::ask_timeout_seconds), stats_atom::value, count_atom::value)
                    .then(
                        [=](int64_t n) {
                          g->channel_backlog += n;
                          g->channel_backlog_max = std::max(g->channel_backlog_max, n);
                          finish();
                        },
                        [=](const caf::error&) { finish(); });
            },
            [done](const caf::error&) { done(protocol::chat_gauges{}); });
  });
}

void chat::alive(std::chrono::milliseconds bound, std::function<void(bool)> done) {
  auto dir = impl_->directory;
  if (!dir) return done(false);
  impl_->system.spawn([dir, bound, done = std::move(done)](caf::event_based_actor* self) {
    self->request(dir, bound, stats_atom::value, count_atom::value)
        .then([done](int64_t, int64_t) { done(true); }, [done](const caf::error&) { done(false); });
  });
}

void chat::reload(std::function<void(std::string)> done) {
  ask<std::string>(impl_->system, impl_->directory, std::move(done), "the chat did not answer", reconfig_atom::value);
}

void chat::shutdown() {
  if (!impl_ || !impl_->directory) return;
  if (auto& link = impl_->cluster) {
    // The other nodes drop this node's users at once rather than after the heartbeat's TTL.
    link->publish("all", protocol::encode_packet({"bye", link->node(), {}}));
    link->stop();
    caf::anon_send_exit(impl_->bridge, caf::exit_reason::user_shutdown);
  }
  caf::anon_send_exit(impl_->directory, caf::exit_reason::user_shutdown);
  for (auto& [id, ch] : *impl_->channels) caf::anon_send_exit(ch, caf::exit_reason::user_shutdown);
  impl_->media->stop();
  impl_->directory = nullptr;
}

}  // namespace barertc::actors
