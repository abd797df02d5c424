// A Converse call whose credentials come from a role chain: the default chain (resolve_config)
// assumes the role through the fake STS, and the fake Bedrock verifies that the Converse request
// is signed with the assumed role's keys and carries its session token. Everything on 127.0.0.1.
#include <bedrock_lite/converse.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

using namespace bedrock_lite;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::FakeSts;

namespace {

converse::ConverseRequest recorded_request() {
  rapidjson::Document document;
  const std::string text = test::read_file(
      test::fixture_path("recorded/bedrock-recorded/test_bedrock_model/00/request.json"));
  document.Parse(text.c_str());
  REQUIRE(!document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  auto request = converse::parse_converse_request(buffer.GetString());
  REQUIRE(request.ok());
  request->model_id = "us.amazon.nova-micro-v1:0";
  return std::move(request).value();
}

}  // namespace

TEST_CASE("e2e: Converse signed with the keys of a role assumed through a two-hop chain",
          "[e2e][sts]") {
  test::FakeStsOptions sts_options;
  sts_options.keys = {{"AKIDBASE", "base/secret+key"}};
  sts_options.roles["arn:aws:iam::111111111111:role/hop"] = {"ASIAHOP", "hop/secret",
                                                             "hop-session-token"};
  sts_options.roles["arn:aws:iam::222222222222:role/bedrock"] = {
      "ASIABEDROCKROLE", "bedrock-role/secret+key", "bedrock-role-session-token"};
  FakeSts sts(sts_options);
  test::FakeBedrockOptions bedrock_options;
  // Only the assumed role's key is accepted: the base keys or the first hop's would fail.
  bedrock_options.keys = {{"ASIABEDROCKROLE", "bedrock-role/secret+key"}};
  FakeBedrock bedrock(bedrock_options);

  test::TempDir home;
  home.write(".aws/credentials",
             "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n");
  home.write(".aws/config",
             "[profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\nsource_profile = "
             "base\n[profile bedrock]\nregion = us-east-1\nrole_arn = "
             "arn:aws:iam::222222222222:role/bedrock\nsource_profile = hop\n");
  const credentials::Environment environment({{"HOME", home.path().string()},
                                              {"AWS_PROFILE", "bedrock"},
                                              {"AWS_EC2_METADATA_DISABLED", "true"},
                                              {"AWS_ENDPOINT_URL_STS", sts.url()},
                                              {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock.url()}});
  auto config = converse::resolve_config(environment);
  REQUIRE(config.ok());
  CHECK(sts.requests().empty());  // nothing before the first call
  auto client = converse::Client::create(std::move(config).value());
  REQUIRE(client.ok());
  auto response = client->converse(recorded_request());
  INFO((response ? std::string() : response.error().to_string()));
  REQUIRE(response.ok());

  const auto calls = sts.requests();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].signer == "AKIDBASE");
  CHECK(calls[1].signer == "ASIAHOP");
  const auto seen = bedrock.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].signature_valid);
  CHECK(seen[0].access_key_id == "ASIABEDROCKROLE");
  CHECK(seen[0].headers.at("x-amz-security-token") == "bedrock-role-session-token");
}
