// STS: the endpoint rules (resolve_sts_endpoint) over variables and config files in a temporary
// HOME: regional by default, partitions, legacy global, FIPS, dual-stack, configured URLs, and
// the errors for a missing region or a bad value.
#include <bedrock_lite/credentials.h>

#include "support/environment.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::TempDir;

TEST_CASE("STS endpoint: regional by default, partitions, legacy global, FIPS and dual-stack",
          "[credentials][sts][endpoint]") {
  struct Case {
    std::map<std::string, std::string> vars;
    std::string config;
    std::string url;
    std::string signing_region;
  };
  const std::vector<Case> cases = {
      {{{"AWS_REGION", "eu-west-1"}}, "", "https://sts.eu-west-1.amazonaws.com", "eu-west-1"},
      {{{"AWS_REGION", "cn-north-1"}}, "", "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"},
      {{{"AWS_REGION", "us-east-1"}, {"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}},
       "",
       "https://sts.amazonaws.com",
       "us-east-1"},
      {{{"AWS_REGION", "eu-west-1"}},
       "[default]\nsts_regional_endpoints = legacy\n",
       "https://sts.amazonaws.com",
       "us-east-1"},
      // Regions that never used the global endpoint stay regional in legacy mode.
      {{{"AWS_REGION", "af-south-1"}, {"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}},
       "",
       "https://sts.af-south-1.amazonaws.com",
       "af-south-1"},
      {{{"AWS_REGION", "us-east-1"}, {"AWS_STS_REGIONAL_ENDPOINTS", "regional"}},
       "",
       "https://sts.us-east-1.amazonaws.com",
       "us-east-1"},
      {{{"AWS_REGION", "us-west-2"}, {"AWS_USE_FIPS_ENDPOINT", "true"}},
       "",
       "https://sts-fips.us-west-2.amazonaws.com",
       "us-west-2"},
      {{{"AWS_REGION", "us-west-2"}},
       "[default]\nuse_dualstack_endpoint = true\n",
       "https://sts.us-west-2.api.aws",
       "us-west-2"},
      {{{"AWS_REGION", "us-west-2"},
        {"AWS_USE_FIPS_ENDPOINT", "true"},
        {"AWS_USE_DUALSTACK_ENDPOINT", "true"}},
       "",
       "https://sts-fips.us-west-2.api.aws",
       "us-west-2"},
      {{{"AWS_REGION", "us-gov-west-1"}, {"AWS_USE_FIPS_ENDPOINT", "true"}},
       "",
       "https://sts.us-gov-west-1.amazonaws.com",
       "us-gov-west-1"},
      {{},
       "[default]\nregion = ap-south-1\n",
       "https://sts.ap-south-1.amazonaws.com",
       "ap-south-1"},
      {{{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"}},
       "",
       "http://127.0.0.1:9",
       "eu-west-1"},
      {{{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL", "https://vpce.example.test"}},
       "",
       "https://vpce.example.test",
       "eu-west-1"},
      {{{"AWS_REGION", "eu-west-1"}},
       "[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = "
       "http://127.0.0.1:7\n",
       "http://127.0.0.1:7",
       "eu-west-1"},
      {{{"AWS_REGION", "eu-west-1"}},
       "[default]\nendpoint_url = http://127.0.0.1:8\n",
       "http://127.0.0.1:8",
       "eu-west-1"},
      {{{"AWS_REGION", "eu-west-1"},
        {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}},
       "",
       "https://sts.eu-west-1.amazonaws.com",
       "eu-west-1"},
  };
  std::size_t index = 0;
  for (const auto& c : cases) {
    SECTION("case " + std::to_string(index++) + ": " + c.url) {
      TempDir home;
      home.write(".aws/config", c.config);
      auto vars = c.vars;
      vars["HOME"] = home.path().string();
      const creds::Environment environment(vars);
      auto shared = creds::SharedConfig::load(environment);
      REQUIRE(shared.ok());
      auto endpoint = creds::resolve_sts_endpoint(environment, *shared, std::nullopt, std::nullopt);
      INFO((endpoint ? endpoint->source : endpoint.error().to_string()));
      REQUIRE(endpoint.ok());
      CHECK(endpoint->url == c.url);
      CHECK(endpoint->signing_region == c.signing_region);
    }
  }
}

TEST_CASE("STS endpoint: no region and bad values say where they looked",
          "[credentials][sts][endpoint]") {
  TempDir home;
  home.write(".aws/config", "[default]\noutput = json\n");
  SECTION("no region anywhere") {
    const creds::Environment environment({{"HOME", home.path().string()}});
    auto shared = creds::SharedConfig::load(environment);
    REQUIRE(shared.ok());
    auto endpoint = creds::resolve_sts_endpoint(environment, *shared, std::nullopt, std::nullopt);
    REQUIRE_FALSE(endpoint.ok());
    CHECK(endpoint.error().kind == ErrorKind::NoRegion);
    CHECK_THAT(endpoint.error().message,
               Catch::StartsWith("STS needs a region: no region: looked at --region, AWS_REGION, "
                                 "AWS_DEFAULT_REGION and 'region' of profile 'default'"));
  }
  SECTION("--region wins") {
    const creds::Environment environment(
        {{"HOME", home.path().string()}, {"AWS_REGION", "eu-west-1"}});
    auto shared = creds::SharedConfig::load(environment);
    auto endpoint = creds::resolve_sts_endpoint(environment, *shared, std::nullopt,
                                                std::string("ap-northeast-1"));
    REQUIRE(endpoint.ok());
    CHECK(endpoint->url == "https://sts.ap-northeast-1.amazonaws.com");
  }
  SECTION("a bad sts_regional_endpoints") {
    const creds::Environment environment({{"HOME", home.path().string()},
                                          {"AWS_REGION", "eu-west-1"},
                                          {"AWS_STS_REGIONAL_ENDPOINTS", "global"}});
    auto shared = creds::SharedConfig::load(environment);
    auto endpoint = creds::resolve_sts_endpoint(environment, *shared, std::nullopt, std::nullopt);
    REQUIRE_FALSE(endpoint.ok());
    CHECK(endpoint.error().kind == ErrorKind::Config);
    CHECK(endpoint.error().message ==
          "AWS_STS_REGIONAL_ENDPOINTS: sts_regional_endpoints must be legacy or regional, not "
          "'global'");
  }
  SECTION("an endpoint URL without a scheme") {
    const creds::Environment environment({{"HOME", home.path().string()},
                                          {"AWS_REGION", "eu-west-1"},
                                          {"AWS_ENDPOINT_URL_STS", "sts.example.test"}});
    auto shared = creds::SharedConfig::load(environment);
    auto endpoint = creds::resolve_sts_endpoint(environment, *shared, std::nullopt, std::nullopt);
    REQUIRE_FALSE(endpoint.ok());
    CHECK(endpoint.error().kind == ErrorKind::Config);
    CHECK_THAT(endpoint.error().message,
               Catch::StartsWith("AWS_ENDPOINT_URL_STS: STS endpoint URL"));
  }
}
