// credentials over real HTTP: the container endpoint and IMDS against fake servers on
// 127.0.0.1 (cpp-httplib), through the libcurl transport; and the default chain end to end.
#include <bedrock_lite/credentials.h>

#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::test::FakeImds;
using bedrock_lite::test::LoopbackServer;
using bedrock_lite::test::TempDir;
using namespace std::chrono_literals;

namespace {

const creds::TimePoint kNow = *creds::parse_iso8601("2026-04-01T08:00:00Z");

struct Log {
  std::mutex mutex;
  std::vector<std::string> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      const char* names[] = {"debug", "info", "warn", "error"};
      lines.push_back(std::string(names[static_cast<int>(level)]) + ": " + std::string(message));
    };
  }
  bool contains(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

// A context over a temp HOME with a fixed clock (movable through `clock_offset`). Its own curl
// transport: declared after the fake servers, it is destroyed (closing its keep-alive
// connections) before them, so their shutdown does not wait out httplib's keep-alive timeout.
struct World {
  std::shared_ptr<bedrock_lite::http::Transport> transport =
      bedrock_lite::http::make_curl_transport();
  TempDir home;
  std::shared_ptr<std::atomic<std::int64_t>> clock_offset =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::map<std::string, std::string> vars;
  Log log;

  creds::ProviderContext context() {
    auto v = vars;
    v["HOME"] = home.path().string();
    v.emplace("PATH", "/usr/bin:/bin");
    creds::ProviderContext c;
    c.environment = creds::Environment(v);
    c.transport = transport;
    auto offset = clock_offset;
    c.clock = [offset] { return kNow + std::chrono::seconds(offset->load()); };
    c.jitter = [] { return 0.5; };
    c.sleeper = [](std::chrono::milliseconds) {};
    c.log = log.hook();
    return c;
  }
  void advance(std::chrono::seconds by) { *clock_offset += by.count(); }
  creds::TimePoint now() const { return kNow + std::chrono::seconds(clock_offset->load()); }
};

// A 127.0.0.1 port with nothing listening: bound, then closed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

const char* kContainerBody =
    R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"container-secret","Token":"container-token",)"
    R"("Expiration":"2026-04-01T14:00:00Z","AccountId":"210987654321","RoleArn":"arn:aws:iam::210987654321:role/r"})";

}  // namespace

TEST_CASE("Container: relative URI against the base, Authorization token, Accept json",
          "[credentials][container]") {
  std::mutex mutex;
  std::vector<std::string> authorizations;
  std::vector<std::string> accepts;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/v2/credentials/task-1", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      authorizations.push_back(req.get_header_value("Authorization"));
      accepts.push_back(req.get_header_value("Accept"));
      res.set_content(kContainerBody, "application/json");
    });
  });
  World world;
  world.vars = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc=="}};
  auto context = world.context();
  context.metadata.container_relative_base = server.url();
  auto result = creds::make_container_provider(context)->resolve();
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "ASIACONTAINER");
  CHECK(result->secret_access_key.reveal() == "container-secret");
  CHECK(result->session_token.reveal() == "container-token");
  CHECK(creds::format_iso8601(*result->expiration) == "2026-04-01T14:00:00Z");
  CHECK(result->account_id == "210987654321");
  CHECK(result->source == "container");
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(authorizations == std::vector<std::string>{"Basic abc=="});
  CHECK(accepts == std::vector<std::string>{"application/json"});
}

TEST_CASE("Container: full loopback URI with a token file re-read on every fetch",
          "[credentials][container]") {
  std::mutex mutex;
  std::vector<std::string> authorizations;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex);
      authorizations.push_back(req.get_header_value("Authorization"));
      res.set_content(kContainerBody, "application/json");
    });
  });
  World world;
  auto token_file = world.home.write("eks/token", "first-token");
  world.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.string()},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-the-file-wins"}};
  auto provider = creds::make_container_provider(world.context());
  REQUIRE(provider->resolve().ok());
  world.home.write("eks/token", "rotated-token\n");  // a trailing newline is not part of it
  REQUIRE(provider->resolve().ok());
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(authorizations == std::vector<std::string>{"first-token", "rotated-token"});
}

TEST_CASE("Container: disallowed hosts, CR/LF in tokens, unset variables",
          "[credentials][container]") {
  World world;
  for (const char* url :
       {"http://example.com/creds", "http://10.0.0.1/creds", "http://127.0.0.1.evil.example/creds",
        "ftp://127.0.0.1/creds", "http://169.254.169.254/latest"}) {
    world.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}};
    auto result = creds::make_container_provider(world.context())->resolve();
    INFO(url);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message.find("is not allowed") != std::string::npos);
  }
  world.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Injected: 1"}};
  auto injected = creds::make_container_provider(world.context())->resolve();
  REQUIRE_FALSE(injected.ok());
  CHECK(injected.error().message ==
        "AWS_CONTAINER_AUTHORIZATION_TOKEN contains a CR or LF character");

  auto file = world.home.write("token", "abc\nX-Injected: 1");
  world.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.string()}};
  auto from_file = creds::make_container_provider(world.context())->resolve();
  REQUIRE_FALSE(from_file.ok());
  CHECK(from_file.error().message.find("contains a CR or LF character") != std::string::npos);

  world.vars = {};
  auto unset = creds::make_container_provider(world.context())->resolve();
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().kind == ErrorKind::NoCredentials);
}

TEST_CASE("Container: bad answers name the endpoint and field; 5xx is retried",
          "[credentials][container]") {
  std::atomic<int> calls{0};
  std::string body;
  int fail_first = 0;
  int status = 200;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/creds", [&](const httplib::Request&, httplib::Response& res) {
      const int n = ++calls;
      if (n <= fail_first) {
        res.status = 500;
        return;
      }
      res.status = status;
      res.set_content(body, "application/json");
    });
  });
  World world;
  const std::string url = server.url() + "/creds";
  world.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}};

  SECTION("not JSON") {
    body = "<html>oops</html>";
    auto result = creds::make_container_provider(world.context())->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK(result.error().message.rfind("container endpoint " + url + ": response is not JSON", 0) ==
          0);
  }
  SECTION("missing field") {
    body = R"({"AccessKeyId":"A","SecretAccessKey":"hidden-secret","Token":"t"})";
    auto result = creds::make_container_provider(world.context())->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "container endpoint " + url + ": missing field 'Expiration'");
  }
  SECTION("two 500s then success: three attempts, sleeping through the injected sleeper") {
    body = kContainerBody;
    fail_first = 2;
    std::vector<std::chrono::milliseconds> sleeps;
    auto context = world.context();
    context.sleeper = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
    auto result = creds::make_container_provider(context)->resolve();
    REQUIRE(result.ok());
    CHECK(calls == 3);
    CHECK(sleeps == std::vector<std::chrono::milliseconds>{1000ms, 1000ms});
  }
  SECTION("404 is not retried") {
    status = 404;
    auto result = creds::make_container_provider(world.context())->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(calls == 1);
    CHECK(result.error().message == "container endpoint " + url + " answered HTTP 404");
    CHECK(result.error().http_status == 404);
  }
}

namespace {

creds::ProviderContext imds_context(World& world, FakeImds& imds) {
  auto context = world.context();
  context.metadata.imds_endpoint = imds.url();
  return context;
}

}  // namespace

TEST_CASE("IMDS: token PUT with TTL, extended path, token reused, then refreshed near its end",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 6h;
  }
  auto provider = creds::make_imds_provider(imds_context(world, imds));
  auto result = provider->resolve();
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(result->access_key_id == FakeImds::access_key_for(1));
  CHECK(result->secret_access_key.reveal() == FakeImds::secret_for(1));
  CHECK(result->session_token.reveal() == "imds-token-1");
  CHECK(result->account_id == "123456789012");
  CHECK(result->source == "imds");
  CHECK(*result->expiration == kNow + 6h);

  REQUIRE(provider->resolve().ok());
  {
    auto lock = imds.lock();
    CHECK(imds.state().token_puts == 1);  // reused
    CHECK(imds.state().paths ==
          std::vector<std::string>{
              "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials-extended/",
              "GET /latest/meta-data/iam/security-credentials-extended/bedrock-role",
              "GET /latest/meta-data/iam/security-credentials-extended/bedrock-role"});
  }
  world.advance(6h - 100s);  // within 120 s of the 6 h TTL: a new token
  REQUIRE(provider->resolve().ok());
  auto lock = imds.lock();
  CHECK(imds.state().token_puts == 2);
  for (bool had : imds.state().had_token) CHECK(had);
}

TEST_CASE("IMDS: legacy path when the extended one is absent; rotation; role rediscovery; 401",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
    imds.state().extended_available = false;
  }
  auto provider = creds::make_imds_provider(imds_context(world, imds));
  auto first = provider->resolve();
  REQUIRE(first.ok());
  CHECK(first->account_id.empty());
  {
    auto lock = imds.lock();
    CHECK(imds.state().paths ==
          std::vector<std::string>{"PUT /latest/api/token",
                                   "GET /latest/meta-data/iam/security-credentials-extended/",
                                   "GET /latest/meta-data/iam/security-credentials/",
                                   "GET /latest/meta-data/iam/security-credentials/bedrock-role"});
    imds.state().paths.clear();
    imds.state().generation = 2;  // rotated credentials
    imds.state().expiration = kNow + 2h;
  }
  auto rotated = provider->resolve();
  REQUIRE(rotated.ok());
  CHECK(rotated->access_key_id == FakeImds::access_key_for(2));
  CHECK(*rotated->expiration == kNow + 2h);
  {
    auto lock = imds.lock();
    CHECK(imds.state().paths ==  // legacy remembered, role remembered
          std::vector<std::string>{"GET /latest/meta-data/iam/security-credentials/bedrock-role"});
    imds.state().paths.clear();
    imds.state().role = "replaced-role";
  }
  auto rediscovered = provider->resolve();
  REQUIRE(rediscovered.ok());
  {
    auto lock = imds.lock();
    CHECK(imds.state().paths ==
          std::vector<std::string>{"GET /latest/meta-data/iam/security-credentials/bedrock-role",
                                   "GET /latest/meta-data/iam/security-credentials/",
                                   "GET /latest/meta-data/iam/security-credentials/replaced-role"});
    imds.state().paths.clear();
  }
  imds.revoke_tokens();  // 401 on the next GET: fetch a new token and carry on
  auto after_revoke = provider->resolve();
  REQUIRE(after_revoke.ok());
  auto lock = imds.lock();
  CHECK(imds.state().paths ==
        std::vector<std::string>{"GET /latest/meta-data/iam/security-credentials/replaced-role",
                                 "PUT /latest/api/token",
                                 "GET /latest/meta-data/iam/security-credentials/replaced-role"});
}

TEST_CASE("IMDS: configured instance profile name skips discovery", "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
  }
  world.vars = {{"AWS_EC2_INSTANCE_PROFILE_NAME", "bedrock-role"}};
  REQUIRE(creds::make_imds_provider(imds_context(world, imds))->resolve().ok());
  auto lock = imds.lock();
  CHECK(imds.state().paths ==
        std::vector<std::string>{
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials-extended/bedrock-role"});
}

TEST_CASE("IMDS: token endpoint disabled falls back to IMDSv1 only when allowed",
          "[credentials][imds]") {
  for (auto mode : {FakeImds::TokenMode::Forbidden403, FakeImds::TokenMode::NotFound404}) {
    FakeImds imds;
    World world;
    {
      auto lock = imds.lock();
      imds.state().expiration = kNow + 1h;
      imds.state().token_mode = mode;
      imds.state().allow_v1 = true;
    }
    auto v1 = creds::make_imds_provider(imds_context(world, imds))->resolve();
    INFO((v1 ? std::string() : v1.error().to_string()));
    REQUIRE(v1.ok());
    {
      auto lock = imds.lock();
      for (bool had : imds.state().had_token) CHECK_FALSE(had);
    }
    world.vars = {{"AWS_EC2_METADATA_V1_DISABLED", "true"}};
    auto refused = creds::make_imds_provider(imds_context(world, imds))->resolve();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("IMDSv1 fallback is disabled") != std::string::npos);
  }
  SECTION("the profile setting ec2_metadata_v1_disabled works too") {
    FakeImds imds;
    World world;
    {
      auto lock = imds.lock();
      imds.state().token_mode = FakeImds::TokenMode::Forbidden403;
      imds.state().allow_v1 = true;
    }
    world.home.write(".aws/config", "[default]\nec2_metadata_v1_disabled = true\n");
    auto refused = creds::make_imds_provider(imds_context(world, imds))->resolve();
    REQUIRE_FALSE(refused.ok());
    auto lock = imds.lock();
    CHECK(imds.state().gets == 0);
  }
  SECTION("a 400 on the token request is a hard error") {
    FakeImds imds;
    World world;
    {
      auto lock = imds.lock();
      imds.state().token_mode = FakeImds::TokenMode::BadRequest400;
    }
    auto result = creds::make_imds_provider(imds_context(world, imds))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK(result.error().message ==
          "IMDS " + imds.url() + "/latest/api/token rejected the token request (HTTP 400)");
  }
}

TEST_CASE("IMDS: a token PUT that times out (hop limit) falls back to v1 within the budget",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
    imds.state().token_mode = FakeImds::TokenMode::Hang;
    imds.state().allow_v1 = true;
  }
  auto context = imds_context(world, imds);
  context.metadata.imds_timeout = 500ms;
  auto result = creds::make_imds_provider(context)->resolve();
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(result->access_key_id == FakeImds::access_key_for(1));
}

TEST_CASE("IMDS: slow answers time out fast; an absent IMDS fails in under 2 s",
          "[credentials][imds]") {
  SECTION("GETs that hang") {
    FakeImds imds;
    World world;
    {
      auto lock = imds.lock();
      imds.state().hang_gets = true;
    }
    auto context = imds_context(world, imds);
    context.metadata.imds_timeout = 200ms;
    auto result = creds::make_imds_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message.rfind(
              "IMDS " + imds.url() + "/latest/meta-data/iam/security-credentials-extended/: ", 0) ==
          0);
  }
  SECTION("nothing listening, default 1 s timeouts") {
    World world;
    auto context = world.context();
    context.metadata.imds_endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
    const auto start = std::chrono::steady_clock::now();
    auto result = creds::make_imds_provider(context)->resolve();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    // The issue's bound for a machine without IMDS, not a performance measurement.
    CHECK(elapsed < 2s);
  }
  SECTION("a token endpoint that never answers, v1 disabled: one timeout, then done") {
    FakeImds imds;
    World world;
    {
      auto lock = imds.lock();
      imds.state().token_mode = FakeImds::TokenMode::Hang;
    }
    world.vars = {{"AWS_EC2_METADATA_V1_DISABLED", "true"}};
    auto context = imds_context(world, imds);
    context.metadata.imds_timeout = 200ms;
    auto result = creds::make_imds_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    auto lock = imds.lock();
    CHECK(imds.state().gets == 0);
  }
}

TEST_CASE("IMDS: bad documents name the endpoint and field", "[credentials][imds]") {
  FakeImds imds;
  World world;
  const std::string where =
      "IMDS " + imds.url() + "/latest/meta-data/iam/security-credentials-extended/bedrock-role";
  struct Row {
    const char* body;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"not json at all",
       where + ": response is not JSON (invalid JSON at offset 1: Invalid value.)"},
      {R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"imds-hidden","Expiration":"2026-04-01T09:00:00Z"})",
       where + ": missing field 'Token'"},
      {R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"imds-hidden","Token":"t"})",
       where + ": missing field 'Expiration'"},
      {R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"role cannot be assumed"})",
       where + ": field 'Code' is 'AssumeRoleUnauthorizedAccess', not 'Success' (role cannot be "
               "assumed)"},
      {R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"imds-hidden","Token":"t","Expiration":"soon"})",
       where + ": field 'Expiration' is not an ISO-8601 timestamp: 'soon'"},
  };
  for (const auto& row : rows) {
    {
      auto lock = imds.lock();
      imds.state().body_override = row.body;
    }
    auto result = creds::make_imds_provider(imds_context(world, imds))->resolve();
    INFO(row.body);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK(result.error().message == row.message);
    CHECK(result.error().message.find("imds-hidden") == std::string::npos);
  }
}

TEST_CASE("IMDS: disabled, endpoint settings from the environment and the profile",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
  }
  world.vars = {{"AWS_EC2_METADATA_DISABLED", "TRUE"},
                {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}};
  auto disabled = creds::make_imds_provider(world.context())->resolve();
  REQUIRE_FALSE(disabled.ok());
  CHECK(disabled.error().message == "disabled by AWS_EC2_METADATA_DISABLED");

  world.vars = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/"}};
  REQUIRE(creds::make_imds_provider(world.context())->resolve().ok());

  world.vars = {};
  world.home.write(".aws/config",
                   "[default]\nec2_metadata_service_endpoint = " + imds.url() + "\n");
  REQUIRE(creds::make_imds_provider(world.context())->resolve().ok());

  world.home.write(".aws/config", "[default]\nec2_metadata_service_endpoint_mode = IPv5\n");
  auto bad_mode = creds::make_imds_provider(world.context())->resolve();
  REQUIRE_FALSE(bad_mode.ok());
  CHECK(bad_mode.error().kind == ErrorKind::Config);
  CHECK(bad_mode.error().message == "IMDS endpoint mode 'IPv5' is neither IPv4 nor IPv6");
  auto lock = imds.lock();
  CHECK(imds.state().token_puts == 2);
}

TEST_CASE("IMDS static stability: an outage or expired answer extends the last credentials",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
  }
  auto context = imds_context(world, imds);
  auto imds_provider = creds::make_imds_provider(context);
  auto cache = creds::make_caching_provider(imds_provider, context.clock, context.log);
  REQUIRE(cache->resolve().ok());

  SECTION("IMDS down past expiry: the cache gets the old credentials with a bounded extension") {
    {
      auto lock = imds.lock();
      imds.state().down = true;
    }
    world.advance(1h + 1min);  // expired
    auto kept = cache->resolve();
    INFO(world.log.all());
    REQUIRE(kept.ok());
    CHECK(kept->access_key_id == FakeImds::access_key_for(1));
    // 10 min + jitter 0.5 * 5 min, from now.
    CHECK(*kept->expiration == world.now() + 12min + 30s);
    CHECK(world.log.contains("warn: credentials: IMDS unavailable"));
    CHECK(world.log.contains("static stability: using the last IMDS credentials until " +
                             creds::format_iso8601(world.now() + 12min + 30s)));
    // IMDS comes back: the next refresh picks up fresh credentials.
    {
      auto lock = imds.lock();
      imds.state().down = false;
      imds.state().generation = 3;
      imds.state().expiration = world.now() + 6h;
    }
    world.advance(10min);  // inside the advisory window of the extension
    auto fresh = cache->resolve();
    REQUIRE(fresh.ok());
    CHECK(fresh->access_key_id == FakeImds::access_key_for(3));
  }
  SECTION("IMDS answers with already-expired credentials: used, extended, logged") {
    {
      auto lock = imds.lock();
      imds.state().generation = 2;
      imds.state().expiration = kNow + 30min;  // will be in the past
    }
    world.advance(2h);
    auto result = cache->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == FakeImds::access_key_for(2));
    CHECK(*result->expiration == world.now() + 12min + 30s);
    CHECK(world.log.contains("IMDS returned credentials that expired at 2026-04-01T08:30:00Z"));
  }
  CHECK(world.log.all().find("imds-secret") == std::string::npos);
}

TEST_CASE("Default chain: lazy, env first, then profile, container, IMDS; reasons on --debug",
          "[credentials][chain]") {
  FakeImds imds;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
  }
  World world;

  SECTION("construction does no I/O; environment credentials never touch IMDS") {
    world.vars = {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "env-secret"}};
    auto chain = creds::make_default_chain(imds_context(world, imds));
    {
      auto lock = imds.lock();
      CHECK(imds.state().token_puts + imds.state().gets == 0);
    }
    auto result = chain->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "environment");
    auto lock = imds.lock();
    CHECK(imds.state().token_puts + imds.state().gets == 0);
  }
  SECTION("profile before IMDS") {
    world.home.write(".aws/credentials",
                     "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
    auto result = creds::make_default_chain(imds_context(world, imds))->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "profile:default");
  }
  SECTION("falls through to IMDS, each skip logged") {
    auto result = creds::make_default_chain(imds_context(world, imds))->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "imds");
    CHECK(
        world.log.contains("debug: credentials: environment skipped: AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY are not set"));
    CHECK(
        world.log.contains("debug: credentials: profile skipped: profile 'default' not found in"));
    CHECK(
        world.log.contains("debug: credentials: container skipped: "
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set"));
    CHECK(world.log.contains("debug: credentials: using imds (source imds)"));
  }
  SECTION("nothing anywhere: NoCredentials naming every place") {
    auto context = world.context();
    context.metadata.imds_endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
    auto result = creds::make_default_chain(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    const auto& message = result.error().message;
    CHECK(message.rfind("no credentials found (environment: ", 0) == 0);
    CHECK(message.find("; profile: profile 'default' not found in ") != std::string::npos);
    CHECK(message.find("; container: ") != std::string::npos);
    CHECK(message.find("; imds: IMDS http://127.0.0.1:") != std::string::npos);
  }
  SECTION("a broken explicit profile stops the chain before IMDS") {
    world.vars = {{"AWS_PROFILE", "missing"}};
    auto result = creds::make_default_chain(imds_context(world, imds))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    auto lock = imds.lock();
    CHECK(imds.state().token_puts == 0);
  }
}

namespace {

// Records every request and fails it as a refused connection would: shows what the providers
// would send where no server can be reached (the IPv6 IMDS address).
class RecordingTransport : public bedrock_lite::http::Transport {
 public:
  bedrock_lite::Result<bedrock_lite::http::ResponseHead> send(
      const bedrock_lite::http::Request& request, bedrock_lite::http::BodySink&) override {
    std::lock_guard<std::mutex> lock(mutex);
    requests.push_back(request);
    return bedrock_lite::make_error(ErrorKind::Network, request.url + ": connection refused", true);
  }
  std::mutex mutex;
  std::vector<bedrock_lite::http::Request> requests;
};

}  // namespace

TEST_CASE("IMDS and container requests: IPv6 mode, no proxy, 1 s timeouts, bounded attempts",
          "[credentials][imds]") {
  World world;
  auto recorder = std::make_shared<RecordingTransport>();
  SECTION("IMDS in IPv6 mode") {
    world.vars = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"},
                  {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"}};
    auto context = world.context();
    context.transport = recorder;
    auto result = creds::make_imds_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    REQUIRE(recorder->requests.size() == 2);  // two attempts at the token, then no IMDS
    for (const auto& request : recorder->requests) {
      CHECK(request.method == "PUT");
      CHECK(request.url == "http://[fd00:ec2::254]/latest/api/token");
      CHECK_FALSE(request.use_proxy);
      CHECK(request.timeouts.connect <= 1000ms);
      CHECK(request.timeouts.stall <= 1000ms);
      REQUIRE(request.timeouts.total.has_value());
      CHECK(*request.timeouts.total <= 1000ms);
      const std::string* ttl =
          bedrock_lite::http::find_header(request.headers, "x-aws-ec2-metadata-token-ttl-seconds");
      REQUIRE(ttl != nullptr);
      CHECK(*ttl == "21600");
    }
  }
  SECTION("AWS_METADATA_SERVICE_TIMEOUT shortens the per-request limit") {
    world.vars = {{"AWS_METADATA_SERVICE_TIMEOUT", "0.25"}};
    auto context = world.context();
    context.transport = recorder;
    (void)creds::make_imds_provider(context)->resolve();
    REQUIRE(recorder->requests.size() == 1);
    CHECK(recorder->requests[0].url == "http://169.254.169.254/latest/api/token");
    CHECK(recorder->requests[0].timeouts.connect == 250ms);
  }
  SECTION("container: relative URI on 169.254.170.2, no proxy, 3 attempts") {
    world.vars = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"}};
    auto context = world.context();
    context.transport = recorder;
    auto result = creds::make_container_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Network);
    REQUIRE(recorder->requests.size() == 3);
    CHECK(recorder->requests[0].url == "http://169.254.170.2/v2/creds");
    CHECK_FALSE(recorder->requests[0].use_proxy);
    CHECK(recorder->requests[0].timeouts.connect == 2000ms);
  }
}

TEST_CASE("Secret sweep: no secret in any error, log line or debug output",
          "[credentials][secrets]") {
  // Known secret values planted everywhere a secret can come from.
  const std::vector<std::string> secrets = {
      "SWEEP-ENV-SECRET",      "SWEEP-ENV-TOKEN",      "SWEEP-FILE-SECRET", "SWEEP-PROC-SECRET",
      "SWEEP-CONTAINER-TOKEN", "SWEEP-CONTAINER-AUTH", "SWEEP-BEARER"};
  std::vector<std::string> outputs;
  LoopbackServer server([](httplib::Server& s) {
    s.Get("/c", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          R"({"AccessKeyId":"A","SecretAccessKey":"S","Token":"SWEEP-CONTAINER-TOKEN"})",
          "application/json");
    });
  });
  World world;  // after the server: its transport closes its connections first
  auto script = world.home.write("proc.sh",
                                 "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"A\","
                                 "\"SecretAccessKey\":\"SWEEP-PROC-SECRET\"' \nexit 0\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  world.home.write(".aws/credentials", "[half]\naws_secret_access_key = SWEEP-FILE-SECRET\n");
  world.home.write(".aws/config", "[profile proc]\ncredential_process = " + script.string() + "\n");
  const std::vector<std::map<std::string, std::string>> scenarios = {
      {{"AWS_SECRET_ACCESS_KEY", "SWEEP-ENV-SECRET"}, {"AWS_SESSION_TOKEN", "SWEEP-ENV-TOKEN"}},
      {{"AWS_PROFILE", "half"}},
      {{"AWS_PROFILE", "proc"}},
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/c"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "SWEEP-CONTAINER-AUTH"},
       {"AWS_BEARER_TOKEN_BEDROCK", "SWEEP-BEARER"}},
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example/c"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "SWEEP-CONTAINER-AUTH"}},
  };
  for (const auto& vars : scenarios) {
    world.vars = vars;
    world.vars["AWS_EC2_METADATA_DISABLED"] = "true";
    auto result = creds::make_default_chain(world.context())->resolve();
    REQUIRE_FALSE(result.ok());
    outputs.push_back(result.error().to_string());
  }
  outputs.push_back(world.log.all());
  for (const auto& output : outputs) {
    for (const auto& secret : secrets) {
      INFO(output);
      CHECK(output.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("IMDS behind the cache: rotating credentials are picked up before expiry",
          "[credentials][imds]") {
  FakeImds imds;
  World world;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 1h;
  }
  auto context = imds_context(world, imds);
  auto cache = creds::make_caching_provider(creds::make_imds_provider(context), context.clock);
  REQUIRE(cache->resolve()->access_key_id == FakeImds::access_key_for(1));
  {
    auto lock = imds.lock();
    imds.state().generation = 2;  // IMDS rotates well before the old ones expire
    imds.state().expiration = kNow + 2h;
  }
  world.advance(30min);
  CHECK(cache->resolve()->access_key_id == FakeImds::access_key_for(1));  // still fresh: cached
  world.advance(26min);                                                   // 4 min left
  auto rotated = cache->resolve();
  REQUIRE(rotated.ok());
  CHECK(rotated->access_key_id == FakeImds::access_key_for(2));
  CHECK(rotated->secret_access_key.reveal() == FakeImds::secret_for(2));
  auto lock = imds.lock();
  CHECK(imds.state().token_puts == 1);  // one session token served both fetches
}
