// resolve_config's replay and recording setup (ConfigOverrides::replay_dir / record_dir, the one
// place the CLI, the C API and the examples get it from) and the CA bundle it hands on.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/replay.h>

#include "support/environment.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
namespace test = bedrock_lite::test;

namespace {

std::string origin_of(const Config& config, const std::string& setting) {
  std::string found = "<none>";
  for (const auto& o : config.origins) {
    if (o.setting == setting) found = o.value + " (from " + o.source + ")";
  }
  return found;
}

const std::string kModelFolder = "recorded/bedrock-recorded/test_bedrock_model/00";

// The recorded request of kModelFolder, as a typed request.
ConverseRequest recorded_request() {
  auto request =
      parse_converse_request(R"({"messages":[{"role":"user","content":[{"text":"Hello!"}]}],)"
                             R"("system":[{"text":"You are a chatbot."}],"inferenceConfig":{}})");
  REQUIRE(request.ok());
  request->model_id = "us.amazon.nova-micro-v1:0";
  return std::move(request).value();
}

}  // namespace

TEST_CASE("config: replay_dir sets up the replay transport, a placeholder identity and a region",
          "[converse][config][replay]") {
  test::TempDir home;
  std::map<std::string, std::string> vars = {{"HOME", home.path().string()},
                                             {"AWS_EC2_METADATA_DISABLED", "true"}};
  ConfigOverrides overrides;
  overrides.replay_dir = test::fixture_path(kModelFolder).string();

  SECTION("no region, no credentials configured") {
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE(config.ok());
    CHECK(config->region == "us-east-1");
    CHECK(origin_of(*config, "region") == "us-east-1 (from replay default (no region configured))");
    CHECK(origin_of(*config, "transport") ==
          "replay of " + *overrides.replay_dir + " (from replay)");
    CHECK(origin_of(*config, "auth") == "sigv4 (from replay)");
    CHECK_FALSE(config->bearer_token);
    auto identity = config->credentials->resolve();
    REQUIRE(identity.ok());
    CHECK(identity->access_key_id == "AKIDREPLAY");
    CHECK(identity->source == "replay");
    // The replayed answer, through a real client.
    auto client = Client::create(std::move(config).value());
    REQUIRE(client.ok());
    auto response = client->converse(recorded_request());
    INFO((response ? std::string() : response.error().to_string()));
    REQUIRE(response.ok());
    REQUIRE(response->output.message);
    CHECK(response->stop_reason == "end_turn");
  }
  SECTION("a configured region is kept; a Bedrock API key does not switch the replay to bearer") {
    vars["AWS_REGION"] = "eu-west-1";
    vars["AWS_BEARER_TOKEN_BEDROCK"] = "bedrock-api-key-replay";
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE(config.ok());
    CHECK(config->region == "eu-west-1");
    CHECK(origin_of(*config, "region") == "eu-west-1 (from AWS_REGION)");
    CHECK_FALSE(config->bearer_token);
  }
  SECTION("credentials given by the caller are used instead of the placeholder") {
    vars["AWS_REGION"] = "us-west-2";
    credentials::Credentials given;
    given.access_key_id = "AKIDGIVEN";
    given.secret_access_key = Secret("given-secret");
    overrides.credentials = credentials::make_static_provider(given);
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE(config.ok());
    CHECK(config->credentials->resolve()->access_key_id == "AKIDGIVEN");
  }
  SECTION("a folder without fixtures is an error naming it") {
    overrides.replay_dir = (home.path() / "no-such-folder").string();
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE_FALSE(config.ok());
    CHECK_THAT(config.error().message, Catch::Contains("no-such-folder"));
  }
  SECTION("a transport and a replay_dir together are a Config error") {
    auto replay = replay::ReplayTransport::open(*overrides.replay_dir);
    REQUIRE(replay.ok());
    overrides.transport = std::move(replay).value();
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().kind == ErrorKind::Config);
    CHECK(config.error().message == "give a transport or a replay_dir, not both");
  }
}

TEST_CASE("config: record_dir records what the transport exchanges as a replayable fixture set",
          "[converse][config][replay]") {
  test::TempDir home;
  const credentials::Environment environment({{"HOME", home.path().string()},
                                              {"AWS_EC2_METADATA_DISABLED", "true"},
                                              {"AWS_REGION", "us-east-1"},
                                              {"AWS_ACCESS_KEY_ID", "AKIDRECORD"},
                                              {"AWS_SECRET_ACCESS_KEY", "record-secret"}});
  // Record a replayed exchange (no network), then replay the recording.
  auto source = replay::ReplayTransport::open(test::fixture_path(kModelFolder).string());
  REQUIRE(source.ok());
  const auto recorded = home.path() / "recorded";
  ConfigOverrides overrides;
  overrides.transport = std::move(source).value();
  overrides.record_dir = recorded.string();
  auto config = resolve_config(environment, overrides);
  REQUIRE(config.ok());
  CHECK(origin_of(*config, "transport") == "recording to " + recorded.string() + " (from record)");
  auto client = Client::create(std::move(config).value());
  REQUIRE(client.ok());
  auto first = client->converse(recorded_request());
  REQUIRE(first.ok());

  ConfigOverrides replaying;
  replaying.replay_dir = recorded.string();
  auto replay_config = resolve_config(environment, replaying);
  INFO((replay_config ? std::string() : replay_config.error().to_string()));
  REQUIRE(replay_config.ok());
  auto replay_client = Client::create(std::move(replay_config).value());
  REQUIRE(replay_client.ok());
  auto again = replay_client->converse(recorded_request());
  INFO((again ? std::string() : again.error().to_string()));
  REQUIRE(again.ok());
  CHECK(to_json(*again).value() == to_json(*first).value());
}

TEST_CASE("config: record_mode on replay_dir records with the real identity, then replays",
          "[converse][config][replay]") {
  test::TempDir home;
  std::map<std::string, std::string> vars = {{"HOME", home.path().string()},
                                             {"AWS_EC2_METADATA_DISABLED", "true"},
                                             {"AWS_ACCESS_KEY_ID", "AKIDRECORD"},
                                             {"AWS_SECRET_ACCESS_KEY", "record-secret"}};
  const auto cassette = (home.path() / "cassette").string();
  ConfigOverrides overrides;
  overrides.replay_dir = cassette;
  overrides.record_mode = replay::RecordMode::Once;

  SECTION("once over an empty folder records: a region is needed and the real identity signs") {
    auto no_region = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE_FALSE(no_region.ok());
    CHECK(no_region.error().kind == ErrorKind::NoRegion);

    vars["AWS_REGION"] = "us-west-2";
    // The "live" service here is a replay of a recorded exchange: no network.
    auto live = replay::ReplayTransport::open(test::fixture_path(kModelFolder).string());
    REQUIRE(live.ok());
    overrides.transport = std::move(live).value();
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE(config.ok());
    REQUIRE(config->recordings);
    CHECK_FALSE(config->recordings->replays_only());
    CHECK(origin_of(*config, "transport") ==
          "record mode once over " + cassette + " (from replay)");
    CHECK(config->credentials->resolve()->access_key_id == "AKIDRECORD");
    auto client = Client::create(std::move(config).value());
    REQUIRE(client.ok());
    auto first = client->converse(recorded_request());
    REQUIRE(first.ok());

    // The second run finds the recording and only replays: placeholder identity, no live
    // transport needed.
    vars.erase("AWS_REGION");
    overrides.transport.reset();
    auto again = resolve_config(credentials::Environment(vars), overrides);
    INFO((again ? std::string() : again.error().to_string()));
    REQUIRE(again.ok());
    CHECK(again->recordings->replays_only());
    CHECK(origin_of(*again, "transport") ==
          "record mode once over " + cassette + " (replaying) (from replay)");
    CHECK(again->credentials->resolve()->access_key_id == "AKIDREPLAY");
    auto replaying = Client::create(std::move(again).value());
    REQUIRE(replaying.ok());
    auto answer = replaying->converse(recorded_request());
    REQUIRE(answer.ok());
    CHECK(to_json(*answer).value() == to_json(*first).value());
  }
  SECTION("record_mode without replay_dir is a Config error") {
    overrides.replay_dir.reset();
    overrides.record_dir = cassette;
    auto config = resolve_config(credentials::Environment(vars), overrides);
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().kind == ErrorKind::Config);
    CHECK(config.error().message ==
          "record_mode once is set without replay_dir, the folder it uses");
  }
}

TEST_CASE("config: the CA bundle comes from AWS_CA_BUNDLE, else the profile's ca_bundle",
          "[converse][config]") {
  test::TempDir home;
  home.write(".aws/config", "[default]\nregion = us-east-1\nca_bundle = ~/profile-ca.pem\n");
  std::map<std::string, std::string> vars = {{"HOME", home.path().string()},
                                             {"AWS_EC2_METADATA_DISABLED", "true"}};
  auto from_profile = resolve_config(credentials::Environment(vars));
  REQUIRE(from_profile.ok());
  const std::string profile_origin = origin_of(*from_profile, "ca_bundle");
  CHECK(profile_origin.rfind((home.path() / "profile-ca.pem").string() + " (from profile default (",
                             0) == 0);
  CHECK_THAT(profile_origin, Catch::EndsWith("config:3))"));
  vars["AWS_CA_BUNDLE"] = "/etc/bundle.pem";
  auto from_environment = resolve_config(credentials::Environment(vars));
  REQUIRE(from_environment.ok());
  CHECK(origin_of(*from_environment, "ca_bundle") == "/etc/bundle.pem (from AWS_CA_BUNDLE)");

  auto shared = credentials::SharedConfig::load(credentials::Environment(vars));
  REQUIRE(shared.ok());
  auto bundle = credentials::resolve_ca_bundle(credentials::Environment(vars), *shared, {});
  REQUIRE(bundle);
  CHECK(bundle->path == "/etc/bundle.pem");
  vars.erase("AWS_CA_BUNDLE");
  auto none = credentials::resolve_ca_bundle(credentials::Environment(vars),
                                             credentials::SharedConfig(), {});
  CHECK_FALSE(none);
}
