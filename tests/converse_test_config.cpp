// The client's configuration without a network: endpoint rules, request paths, and config
// resolution from a fake environment and a temporary HOME.
#include <bedrock_lite/converse.h>

#include "support/environment.h"

#include <catch2/catch.hpp>

#include <iterator>
#include <map>
#include <string>

using namespace bedrock_lite;
using namespace bedrock_lite::converse;
using std::chrono::milliseconds;

namespace {

// ---- endpoint rules --------------------------------------------------------------------------

struct EndpointCase {
  const char* name;
  const char* region;
  bool fips;
  bool dual_stack;
  const char* endpoint;        // nullptr: none
  const char* expected_url;    // nullptr when an error is expected
  const char* expected_error;  // substring of the error message
};

// From the service's endpoint rule set (docs/wire-protocol.md §1.2) and its endpoint-tests file.
const EndpointCase kEndpointCases[] = {
    {"us-east-1", "us-east-1", false, false, nullptr,
     "https://bedrock-runtime.us-east-1.amazonaws.com", nullptr},
    {"eu-central-1", "eu-central-1", false, false, nullptr,
     "https://bedrock-runtime.eu-central-1.amazonaws.com", nullptr},
    {"fips", "us-east-1", true, false, nullptr,
     "https://bedrock-runtime-fips.us-east-1.amazonaws.com", nullptr},
    {"dual-stack", "us-east-1", false, true, nullptr, "https://bedrock-runtime.us-east-1.api.aws",
     nullptr},
    {"fips+dual-stack", "us-east-1", true, true, nullptr,
     "https://bedrock-runtime-fips.us-east-1.api.aws", nullptr},
    {"china", "cn-north-1", false, false, nullptr,
     "https://bedrock-runtime.cn-north-1.amazonaws.com.cn", nullptr},
    {"china dual-stack", "cn-north-1", false, true, nullptr,
     "https://bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn", nullptr},
    {"china fips", "cn-northwest-1", true, false, nullptr,
     "https://bedrock-runtime-fips.cn-northwest-1.amazonaws.com.cn", nullptr},
    {"govcloud", "us-gov-west-1", false, false, nullptr,
     "https://bedrock-runtime.us-gov-west-1.amazonaws.com", nullptr},
    {"govcloud fips", "us-gov-west-1", true, false, nullptr,
     "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com", nullptr},
    {"iso", "us-iso-east-1", false, false, nullptr,
     "https://bedrock-runtime.us-iso-east-1.c2s.ic.gov", nullptr},
    {"iso-b", "us-isob-east-1", false, false, nullptr,
     "https://bedrock-runtime.us-isob-east-1.sc2s.sgov.gov", nullptr},
    {"iso dual-stack", "us-iso-east-1", false, true, nullptr, nullptr,
     "does not support DualStack"},
    {"custom endpoint", "us-east-1", false, false, "https://example.com", "https://example.com",
     nullptr},
    {"custom endpoint without region", "", false, false, "https://example.com/",
     "https://example.com", nullptr},
    {"custom endpoint http loopback", "us-east-1", false, false, "http://127.0.0.1:8080",
     "http://127.0.0.1:8080", nullptr},
    {"custom endpoint + fips", "us-east-1", true, false, "https://example.com", nullptr,
     "Invalid Configuration: FIPS and custom endpoint are not supported"},
    {"custom endpoint + dual-stack", "us-east-1", false, true, "https://example.com", nullptr,
     "Invalid Configuration: Dualstack and custom endpoint are not supported"},
    {"missing region", "", false, false, nullptr, nullptr, "Invalid Configuration: Missing Region"},
    {"region not a host label", "us-east-1.evil.com/x", false, false, nullptr, nullptr,
     "not a valid host label"},
    {"endpoint without scheme", "us-east-1", false, false, "example.com", nullptr, "has no scheme"},
    {"endpoint with ftp scheme", "us-east-1", false, false, "ftp://example.com", nullptr,
     "has scheme 'ftp'"},
};

}  // namespace

TEST_CASE("endpoint resolution follows the service's rule set", "[converse][endpoint]") {
  REQUIRE(std::size(kEndpointCases) >= 20);
  for (const auto& c : kEndpointCases) {
    SECTION(c.name) {
      EndpointParams params;
      params.region = c.region;
      params.use_fips = c.fips;
      params.use_dual_stack = c.dual_stack;
      if (c.endpoint != nullptr) params.endpoint_url = c.endpoint;
      auto url = resolve_endpoint(params);
      if (c.expected_url != nullptr) {
        INFO(c.name << ": " << (url.ok() ? "" : url.error().to_string()));
        REQUIRE(url.ok());
        CHECK(*url == c.expected_url);
      } else {
        REQUIRE_FALSE(url.ok());
        CHECK_THAT(url.error().message, Catch::Contains(c.expected_error));
      }
    }
  }
  EndpointParams missing;
  auto error = resolve_endpoint(missing);
  REQUIRE_FALSE(error.ok());
  CHECK(error.error().kind == ErrorKind::NoRegion);
}

TEST_CASE("model ids are percent-encoded once in the path", "[converse][path]") {
  struct Case {
    const char* model_id;
    Operation operation;
    const char* path;
  };
  const Case cases[] = {
      {"anthropic.claude-3-haiku-20240307-v1:0", Operation::Converse,
       "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"},
      {"us.amazon.nova-micro-v1:0", Operation::ConverseStream,
       "/model/us.amazon.nova-micro-v1%3A0/converse-stream"},
      {"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
       Operation::Converse,
       "/model/"
       "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%"
       "2Fabc123def456/converse"},
      {"arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345:1", Operation::Converse,
       "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt%2FPROMPT12345%3A1/converse"},
      {"anthropic.claude-sonnet-4-20250514-v1:0", Operation::CountTokens,
       "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens"},
      {"a b%c~_.-Z9", Operation::Converse, "/model/a%20b%25c~_.-Z9/converse"},
      {"caf\xc3\xa9", Operation::Converse, "/model/caf%C3%A9/converse"},
  };
  for (const auto& c : cases) {
    INFO(c.model_id);
    CHECK(operation_path(c.model_id, c.operation) == c.path);
  }
}

TEST_CASE("config resolution reads one Environment snapshot", "[converse][config]") {
  test::TempDir home;
  home.write(".aws/config",
             "[default]\nregion = eu-west-3\nmax_attempts = 5\n"
             "[profile svc]\nregion = ap-south-1\nservices = local\n"
             "[services local]\nbedrock_runtime =\n  endpoint_url = http://127.0.0.1:9999\n");
  auto env = [&](std::map<std::string, std::string> vars) {
    vars["HOME"] = home.path().string();
    vars["AWS_EC2_METADATA_DISABLED"] = "true";
    return credentials::Environment(std::move(vars));
  };
  auto origin_of = [](const Config& config, const std::string& setting) {
    for (const auto& o : config.origins) {
      if (o.setting == setting) return o.source;
    }
    return std::string("<none>");
  };

  SECTION("profile values") {
    auto config = resolve_config(env({}));
    REQUIRE(config.ok());
    CHECK(config->region == "eu-west-3");
    CHECK(config->endpoint == "https://bedrock-runtime.eu-west-3.amazonaws.com");
    CHECK(config->retry.max_attempts == 5);
    CHECK_THAT(origin_of(*config, "max_attempts"), Catch::Contains("config:3"));
    CHECK(config->credentials != nullptr);
    CHECK_FALSE(config->bearer_token);
  }
  SECTION("environment beats the profile, overrides beat both") {
    auto config = resolve_config(env({{"AWS_REGION", "us-west-2"}, {"AWS_MAX_ATTEMPTS", "7"}}));
    REQUIRE(config.ok());
    CHECK(config->region == "us-west-2");
    CHECK(config->retry.max_attempts == 7);
    CHECK(origin_of(*config, "region") == "AWS_REGION");
    ConfigOverrides overrides;
    overrides.region = "ca-central-1";
    overrides.max_attempts = 2;
    overrides.read_timeout = milliseconds(1500);
    auto again = resolve_config(env({{"AWS_REGION", "us-west-2"}}), overrides);
    REQUIRE(again.ok());
    CHECK(again->region == "ca-central-1");
    CHECK(again->retry.max_attempts == 2);
    CHECK(again->timeouts.stall == milliseconds(1500));
  }
  SECTION("endpoint precedence: service variable, general variable, services section") {
    auto both = resolve_config(env({{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:1"},
                                    {"AWS_ENDPOINT_URL", "http://127.0.0.1:2"}}));
    REQUIRE(both.ok());
    CHECK(both->endpoint == "http://127.0.0.1:1");
    auto general = resolve_config(env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:2/"}}));
    REQUIRE(general.ok());
    CHECK(general->endpoint == "http://127.0.0.1:2");
    auto section = resolve_config(env({{"AWS_PROFILE", "svc"}}));
    REQUIRE(section.ok());
    CHECK(section->region == "ap-south-1");
    CHECK(section->endpoint == "http://127.0.0.1:9999");
    auto ignored = resolve_config(env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:2"},
                                       {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}));
    REQUIRE(ignored.ok());
    CHECK(ignored->endpoint == "https://bedrock-runtime.eu-west-3.amazonaws.com");
  }
  SECTION("FIPS and dual-stack from the environment") {
    auto config = resolve_config(
        env({{"AWS_USE_FIPS_ENDPOINT", "true"}, {"AWS_USE_DUALSTACK_ENDPOINT", "true"}}));
    REQUIRE(config.ok());
    CHECK(config->endpoint == "https://bedrock-runtime-fips.eu-west-3.api.aws");
    auto clash = resolve_config(
        env({{"AWS_USE_FIPS_ENDPOINT", "true"}, {"AWS_ENDPOINT_URL", "https://x.example"}}));
    REQUIRE_FALSE(clash.ok());
    CHECK_THAT(clash.error().message,
               Catch::Contains("FIPS and custom endpoint are not supported"));
    CHECK_THAT(clash.error().message, Catch::Contains("AWS_ENDPOINT_URL"));
  }
  SECTION("bad values are Config errors naming their source") {
    auto bad = resolve_config(env({{"AWS_MAX_ATTEMPTS", "three"}}));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::Config);
    CHECK_THAT(bad.error().message, Catch::Contains("AWS_MAX_ATTEMPTS"));
    auto zero = resolve_config(env({{"AWS_MAX_ATTEMPTS", "0"}}));
    REQUIRE_FALSE(zero.ok());
  }
  SECTION("no region anywhere") {
    test::TempDir empty;
    auto config = resolve_config(credentials::Environment({{"HOME", empty.path().string()}}));
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().kind == ErrorKind::NoRegion);
  }
  SECTION("a Bedrock API key selects bearer auth") {
    auto config = resolve_config(env({{"AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-xyz"}}));
    REQUIRE(config.ok());
    REQUIRE(config->bearer_token);
    CHECK(config->bearer_token->reveal() == "bedrock-api-key-xyz");
    for (const auto& o : config->origins)
      CHECK(o.value.find("bedrock-api-key-xyz") == std::string::npos);
  }
}
