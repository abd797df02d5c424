// End to end over IAM Identity Center: resolve_config() over a temporary HOME with an SSO
// profile picks the default chain, which trades the cached SSO token for role credentials at the
// fake portal (support/fake_sso.h); the Converse request that follows must verify, at the fake
// Bedrock, with exactly those role credentials.
#include <bedrock_lite/converse.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fake_sso.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

using namespace bedrock_lite;

TEST_CASE("e2e: a Converse call signed with SSO role credentials verifies at Bedrock",
          "[e2e][sso]") {
  test::FakeSso sso;
  test::FakeBedrockOptions options;
  std::string key_id, secret, session_token;
  {
    auto l = sso.lock();
    key_id = sso.state().access_key_id;
    secret = sso.state().secret_access_key;
    session_token = sso.state().session_token;
    sso.state().expiration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            (std::chrono::system_clock::now() + std::chrono::hours(1)).time_since_epoch())
            .count();
  }
  options.keys = {{key_id, secret}};
  test::FakeBedrock bedrock(options);

  test::TempDir home;
  home.write(".aws/config",
             "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
             "sso_role_name = BedrockUser\n[sso-session my-sso]\n"
             "sso_start_url = https://d-9067642ac7.awsapps.com/start\nsso_region = eu-west-1\n");
  // SHA-1 of "my-sso" (Python hashlib), the cache file `aws sso login --sso-session my-sso` writes.
  home.write(
      ".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
      R"({"accessToken":"sso-access-token-1","expiresAt":")" +
          credentials::format_iso8601(std::chrono::system_clock::now() + std::chrono::hours(2)) +
          R"("})");
  credentials::Environment environment({{"HOME", home.path().string()},
                                        {"AWS_PROFILE", "dev"},
                                        {"AWS_REGION", "us-east-1"},
                                        {"AWS_EC2_METADATA_DISABLED", "true"},
                                        {"AWS_ENDPOINT_URL_SSO", sso.url()},
                                        {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock.url()}});
  auto config = converse::resolve_config(environment);
  INFO((config ? "" : config.error().to_string()));
  REQUIRE(config.ok());
  auto client = converse::Client::create(std::move(config).value());
  REQUIRE(client.ok());
  converse::ConverseRequest request;
  request.model_id = "us.amazon.nova-micro-v1:0";
  converse::ContentBlock text;
  text.text = "Hello";
  request.messages = {{"user", {text}, {}}};
  auto response = client->converse(request);
  INFO((response ? "" : response.error().to_string()));
  REQUIRE(response.ok());

  const auto seen = bedrock.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].access_key_id == key_id);
  CHECK(seen[0].signature_valid);
  CHECK(seen[0].headers.at("x-amz-security-token") == session_token);
  auto l = sso.lock();
  CHECK(sso.state().portal_calls == 1);
  CHECK_FALSE(sso.state().signed_request_seen);
}
