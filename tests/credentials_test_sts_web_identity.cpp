// STS web identity (AssumeRoleWithWebIdentity): the environment's and the profile's settings and
// which one wins, the token file read at every refresh, the configuration errors, and the form
// parameters as the query protocol encodes them, against the fake STS on 127.0.0.1
// (support/fake_sts.h) through the libcurl transport, with real files in a temporary HOME.
#include <bedrock_lite/credentials.h>

#include "support/fake_sts.h"
#include "support/sts_world.h"

#include <catch2/catch.hpp>

#include <string>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::Result;
using bedrock_lite::test::FakeSts;
using namespace bedrock_lite::test::sts_world;
using namespace std::chrono_literals;

TEST_CASE("Web identity from the environment: unsigned form POST, default session name",
          "[credentials][sts][web-identity]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  const auto token_file = world.home.write("token", kWebToken + "\n");
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token_file.string();
  world.vars["AWS_ROLE_ARN"] = kWebRole;
  auto transport = curl();
  auto provider = creds::make_web_identity_provider(world.context(transport));
  CHECK(sts.requests().empty());  // nothing before the first resolve()
  auto result = provider->resolve();
  INFO(message_of(result));
  REQUIRE(result.ok());
  CHECK(result->source == "web-identity");
  CHECK(result->access_key_id == "ASIAWEB");
  CHECK(result->secret_access_key.reveal() == "WEB/secret+key");
  CHECK(result->session_token.reveal() == "WEB-session-token");
  CHECK(*result->expiration == kNow + 1h);
  CHECK(result->account_id == "444444444444");
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].action == "AssumeRoleWithWebIdentity");
  CHECK_FALSE(seen[0].signed_request);
  CHECK(seen[0].form.at("RoleArn") == kWebRole);
  CHECK(seen[0].form.at("WebIdentityToken") == kWebToken);
  CHECK(seen[0].form.at("RoleSessionName") == "bedrock-lite-1775030400");
  CHECK(seen[0].status == 200);
}

TEST_CASE("Web identity from a profile, and which one wins", "[credentials][sts][web-identity]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  const auto env_token = world.home.write("env-token", "env-token-value");
  const auto profile_token = world.home.write("profile-token", "profile-token-value");
  world.config("[default]\nweb_identity_token_file = " + profile_token.string() +
               "\nrole_arn = " + kRoleA + "\nrole_session_name = from-profile\n" +
               "[profile pod]\nweb_identity_token_file = " + profile_token.string() +
               "\nrole_arn = " + kRoleB + "\n");
  auto transport = curl();
  SECTION("the profile alone") {
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE(result.ok());
    const auto seen = sts.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].form.at("RoleArn") == kRoleA);
    CHECK(seen[0].form.at("RoleSessionName") == "from-profile");
    CHECK(seen[0].form.at("WebIdentityToken") == "profile-token-value");
  }
  SECTION("the environment wins over a profile that was not chosen explicitly") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = env_token.string();
    world.vars["AWS_ROLE_ARN"] = kRoleC;
    world.vars["AWS_ROLE_SESSION_NAME"] = "from-env";
    world.vars["AWS_PROFILE"] = "pod";  // a variable is not an explicit choice (botocore)
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE(result.ok());
    const auto seen = sts.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].form.at("RoleArn") == kRoleC);
    CHECK(seen[0].form.at("RoleSessionName") == "from-env");
    CHECK(seen[0].form.at("WebIdentityToken") == "env-token-value");
  }
  SECTION("an explicitly chosen profile wins over the environment") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = env_token.string();
    world.vars["AWS_ROLE_ARN"] = kRoleC;
    auto context = world.context(transport);
    context.profile = "pod";
    auto result = creds::make_web_identity_provider(context)->resolve();
    REQUIRE(result.ok());
    const auto seen = sts.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].form.at("RoleArn") == kRoleB);
    CHECK(seen[0].form.at("WebIdentityToken") == "profile-token-value");
  }
}

TEST_CASE("Web identity: the token file is read again at every refresh",
          "[credentials][sts][web-identity]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  const auto token_file = world.home.write("token", "first-token");
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token_file.string();
  world.vars["AWS_ROLE_ARN"] = kWebRole;
  auto transport = curl();
  // Through the default chain, so the caching provider decides when to fetch.
  auto chain = creds::make_default_chain(world.context(transport));
  REQUIRE(chain->resolve().ok());
  REQUIRE(chain->resolve().ok());
  CHECK(sts.requests().size() == 1);  // cached
  world.home.write("token", "rotated-token");
  world.offset->store(3600 - 4 * 60);  // inside the advisory window
  auto refreshed = chain->resolve();
  REQUIRE(refreshed.ok());
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].form.at("WebIdentityToken") == "first-token");
  CHECK(seen[1].form.at("WebIdentityToken") == "rotated-token");
  CHECK(refreshed->source == "web-identity");
}

TEST_CASE("Web identity: missing token file, unreadable token file, no role ARN",
          "[credentials][sts][web-identity]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  auto transport = curl();
  SECTION("not configured at all") {
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
  }
  SECTION("a token file that does not exist") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = (world.home.path() / "nope").string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message == "web identity token file '" +
                                        (world.home.path() / "nope").string() +
                                        "' (from AWS_WEB_IDENTITY_TOKEN_FILE) does not exist");
  }
  SECTION("a token file that cannot be read (a directory)") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.path().string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::StartsWith("web identity token file (from AWS_WEB_IDENTITY_TOKEN_FILE): "));
  }
  SECTION("no role ARN") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.write("token", "t").string();
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message ==
          "web identity token file set by AWS_WEB_IDENTITY_TOKEN_FILE but no role ARN: set "
          "AWS_ROLE_ARN or role_arn in profile 'default'");
  }
  CHECK(sts.requests().empty());
}
