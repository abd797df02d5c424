// The default chain end to end over real HTTP (env, profile, container, IMDS), the metadata
// requests' transport settings, and the secret sweep over every error, log line and debug line.
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

TEST_CASE("Default chain: lazy, env first, then profile, container, IMDS, reasons on --debug",
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
