// IMDS credentials over real HTTP against a fake IMDS on 127.0.0.1, through the libcurl transport.
// The container endpoint is in credentials_test_container.cpp, the default chain in
// credentials_test_chain.cpp.
#include <bedrock_lite/credentials.h>

#include "credentials_test_world.h"
#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::test::FakeImds;
using bedrock_lite::test::LoopbackServer;
using bedrock_lite::test::TempDir;
using namespace bedrock_lite::credentials_test;
using namespace std::chrono_literals;

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

TEST_CASE("IMDS: legacy path when the extended one is absent, rotation, role rediscovery, 401",
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

TEST_CASE("IMDS: slow answers time out, and an absent IMDS fails with NoCredentials naming it",
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
    auto result = creds::make_imds_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK_THAT(result.error().message, Catch::Contains(*context.metadata.imds_endpoint));
    // How long this takes is bench_client's BM_ImdsAbsent (target under 2 s, BENCHMARKS.md); the
    // timeouts and attempt counts that bound it are checked by "IMDS and container requests".
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
      // Outside text is quoted on one line (fixtures/regressions/credentials_json).
      {R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"imds-hidden","Token":"t","Expiration":"2030-01\n01T00:00:00Z"})",
       where + ": field 'Expiration' is not an ISO-8601 timestamp: '2030-01 01T00:00:00Z'"},
      {R"({"Code":"Assume\nRole\r\n","Message":"\tline one\nline two"})",
       where + ": field 'Code' is 'Assume Role', not 'Success' (line one line two)"},
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
