// The container credentials endpoint against a fake server on 127.0.0.1, through the libcurl
// transport.
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

TEST_CASE("Container: bad answers name the endpoint and field, 5xx is retried",
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
