// The website's JSON APIs (server.md D.3): each checked request is answered here, by the
// directory, or by the profile webhook.
#include "actors/website_api.hpp"

#include <spdlog/spdlog.h>

#include "actors/ask.hpp"
#include "protocol/admin_api.hpp"
#include "protocol/jwt.hpp"

namespace barertc::actors {
namespace {

using protocol::api_error;
using done_fn = std::function<void(int, std::string)>;

void answer(const done_fn& done, const protocol::api_reply& r) { done(r.status, r.body); }

/// A token from the website (amend-jwt) or a chat page (profile), checked against [JWT].
std::variant<protocol::jwt_claims, protocol::api_reply> verified(const settings::settings& cfg, const std::string& token,
                                                                 int refused_status) {
  if (!cfg.jwt.enabled) return api_error(400, "JWT authentication is not enabled on this server");
  auto v = protocol::verify_jwt(token, cfg.jwt, unix_now());
  if (auto* no = std::get_if<protocol::jwt_refusal>(&v)) return api_error(refused_status, "Invalid JWT token: " + no->reason);
  return std::get<protocol::jwt_claims>(std::move(v));
}

/// The DM history's answer to a query: its reply, or a 500 naming the database's error.
template <class T, class F>
auto history_answer(const done_fn& d, F to_reply) {
  return [d, to_reply](storage::result<T> r) {
    if (auto* err = std::get_if<1>(&r)) return answer(d, api_error(500, *err));
    answer(d, to_reply(std::get<0>(r)));
  };
}

struct handler {
  const api_env& env;
  const context_ptr& ctx;
  const done_fn& done;

  void operator()(const protocol::api_reply& r) const { answer(done, r); }

  void operator()(protocol::block_now_request& r) const {
    caf::anon_send(env.directory, blocknow_atom::value, std::move(r.usernames));
    answer(done, protocol::api_ok());
  }

  void operator()(const protocol::authenticate_request& r) const {
    const auto& secret = ctx->cfg.jwt.secret_key;
    if (secret.empty()) return answer(done, api_error(400, "JWT is not configured on this server ([JWT] SecretKey)"));
    auto token = protocol::sign_jwt(protocol::authenticate_payload(r.claims_json, unix_now(), 300), secret);
    answer(done, protocol::api_ok_jwt(token));
  }

  void operator()(protocol::amend_request& r) const {
    auto v = verified(ctx->cfg, r.token, 400);
    if (auto* err = std::get_if<protocol::api_reply>(&v)) return answer(done, *err);
    auto d = done;
    ask<std::string>(*env.system, env.directory,
                     [d](std::string outcome) {
                       if (outcome == "offline") return answer(d, api_error(404, "That user is not online"));
                       if (outcome == "badname")
                         return answer(d, api_error(400, "The new token's 'sub' is not a valid username"));
                       if (outcome == "timeout") return answer(d, api_error(500, "The chat did not answer in time"));
                       answer(d, protocol::api_ok());
                     },
                     std::string("timeout"), amend_atom::value, std::move(r.username),
                     std::get<protocol::jwt_claims>(std::move(v)), std::move(r.token));
  }

  void operator()(const protocol::shutdown_request&) const {
    caf::anon_send(env.directory, shutdown_atom::value);
    answer(done, protocol::api_ok());
  }

  void operator()(protocol::blocklist_request& r) const {
    caf::anon_send(env.directory, blocklist_atom::value, std::move(r.username), std::move(r.blocklist));
    answer(done, protocol::api_ok());
  }

  void operator()(protocol::disconnect_request& r) const {
    auto d = done;
    ask<int64_t>(*env.system, env.directory,
                 [d](int64_t removed) {
                   if (removed < 0) return answer(d, api_error(500, "The chat did not answer in time"));
                   answer(d, protocol::api_ok_removed(removed));
                 },
                 int64_t{-1}, discon_atom::value, std::move(r.usernames), std::move(r.message), r.kick);
  }

  /// The DM history, or the reply that it is off.
  std::shared_ptr<storage::dm_history> history() const {
    if (!ctx->history) answer(done, api_error(400, "Direct message history is not enabled on this server"));
    return ctx->history;
  }

  /// The caller of a DM history API by their chat token, who must be in the room: `then(name)`.
  void online_caller(const std::string& token, std::function<void(const std::string&)> then) const {
    auto v = verified(ctx->cfg, token, 401);
    if (auto* err = std::get_if<protocol::api_reply>(&v)) return answer(done, *err);
    auto name = std::get<protocol::jwt_claims>(v).subject;
    auto d = done;
    ask<int32_t>(*env.system, env.directory,
                 [d, name, then](int32_t online) {
                   if (online < 0) return answer(d, api_error(500, "The chat did not answer in time"));
                   if (!online) return answer(d, api_error(403, "You are not logged into the chat room"));
                   then(name);
                 },
                 int32_t{-1}, online_atom::value, name);
  }

  void operator()(const protocol::history_request& r) const {
    auto h = history();
    if (!h) return;
    auto d = done;
    online_caller(r.token, [h, d, r](const std::string& me) {
      h->page(me, r.username, r.before_id, barertc::defaults::dm_history_page,
              history_answer<storage::dm_page>(d, [](const storage::dm_page& p) {
                std::vector<protocol::history_entry> out;
                for (auto& m : p.messages)
                  out.push_back({m.from, m.message, m.msg_id, protocol::rfc3339(m.timestamp)});
                return protocol::api_ok_history(out, p.remaining);
              }));
    });
  }

  void operator()(const protocol::usernames_request& r) const {
    auto h = history();
    if (!h) return;
    auto order = r.sort == "oldest" ? storage::partner_order::oldest
                 : r.sort == "a-z"  ? storage::partner_order::a_z
                 : r.sort == "z-a"  ? storage::partner_order::z_a
                                    : storage::partner_order::newest;
    auto d = done;
    auto page = r.page;
    online_caller(r.token, [h, d, order, page](const std::string& me) {
      h->partners(me, order, page, barertc::defaults::dm_partners_page,
                  history_answer<storage::partners_page>(d, [](const storage::partners_page& p) {
                    return protocol::api_ok_usernames(p.usernames, p.count, p.pages);
                  }));
    });
  }

  void operator()(const protocol::clear_request& r) const {
    auto h = history();
    if (!h) return;
    std::string name = r.username;  // named by the website (APIKey checked)
    if (name.empty()) {             // or the caller's own, by token; they need not be online
      auto v = verified(ctx->cfg, r.token, 401);
      if (auto* err = std::get_if<protocol::api_reply>(&v)) return answer(done, *err);
      name = std::get<protocol::jwt_claims>(v).subject;
    }
    h->clear(name, history_answer<int64_t>(done, [](int64_t n) { return protocol::api_ok_erased(n); }));
  }

  void operator()(const protocol::profile_request& r) const {
    auto v = verified(ctx->cfg, r.token, 401);
    if (auto* err = std::get_if<protocol::api_reply>(&v)) return answer(done, *err);
    auto url = ctx->cfg.webhook_url("profile");
    if (url.empty() || !ctx->webhooks || !*ctx->webhooks)
      return answer(done, api_error(400, "The profile webhook is not enabled on this server"));
    auto d = done;
    (*ctx->webhooks)(url, protocol::profile_body(ctx->cfg.admin_api_key, r.username),
                     [d](protocol::webhook_result res) {
                       if (!res.ok) return answer(d, api_error(500, "The profile webhook failed: " + res.error));
                       answer(d, protocol::profile_reply(res.body));
                     });
  }
};

}  // namespace

void website_api(const api_env& env, const std::string& path, bool post, std::string_view content_type,
                 const std::string& body, std::function<void(int, std::string)> done) {
  auto ctx = env.cell->current.load();
  auto request = protocol::parse_api(path, post, content_type, body, ctx->cfg.admin_api_key);
  if (request.index() != 0 && path != "/api/profile" && path != "/api/message/history" &&
      path != "/api/message/usernames")  // the page's own calls
    spdlog::info("api: {} called", path);
  std::visit(handler{env, ctx, done}, request);
}

}  // namespace barertc::actors
