// STS assume role (AssumeRole, SigV4-signed): role chains, cycles and bad sources,
// credential_source, MFA, and a web identity profile at the base of a chain, against the fake STS
// on 127.0.0.1 (support/fake_sts.h) through the libcurl transport, with real files in a
// temporary HOME.
#include <bedrock_lite/credentials.h>

#include "support/fake_imds.h"
#include "support/fake_sts.h"
#include "support/loopback_server.h"
#include "support/sts_world.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::Result;
using bedrock_lite::test::FakeImds;
using bedrock_lite::test::FakeSts;
using bedrock_lite::test::LoopbackServer;
using namespace bedrock_lite::test::sts_world;
using namespace std::chrono_literals;

TEST_CASE("Assume role: a three-hop chain, each hop signed with the previous hop's keys",
          "[credentials][sts][assume-role]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  world.credentials(
      "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n");
  world.config("[profile one]\nrole_arn = " + kRoleA +
               "\nsource_profile = base\nexternal_id = ext-1\nduration_seconds = 900\n"
               "[profile two]\nrole_arn = " +
               kRoleB + "\nsource_profile = one\nrole_session_name = hop-two\n[profile three]\n" +
               "role_arn = " + kRoleC + "\nsource_profile = two\n");
  world.vars["AWS_PROFILE"] = "three";
  auto transport = curl();
  auto chain = creds::make_default_chain(world.context(transport));
  CHECK(sts.requests().empty());
  auto result = chain->resolve();
  INFO(message_of(result) << "\n" << world.log.all());
  REQUIRE(result.ok());
  CHECK(result->source == "assume-role:three");
  CHECK(result->access_key_id == "ASIATHIRD");
  CHECK(result->account_id == "333333333333");
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 3);
  for (const auto& request : seen) {
    CHECK(request.action == "AssumeRole");
    CHECK(request.signature_valid);
    CHECK(request.status == 200);
  }
  CHECK(seen[0].form.at("RoleArn") == kRoleA);
  CHECK(seen[0].signer == "AKIDBASE");
  CHECK(seen[0].security_token.empty());
  CHECK(seen[0].form.at("ExternalId") == "ext-1");
  CHECK(seen[0].form.at("DurationSeconds") == "900");
  CHECK(seen[1].form.at("RoleArn") == kRoleB);
  CHECK(seen[1].signer == "ASIAFIRST");
  CHECK(seen[1].security_token == "FIRST-session-token");
  CHECK(seen[1].form.at("RoleSessionName") == "hop-two");
  CHECK(seen[2].form.at("RoleArn") == kRoleC);
  CHECK(seen[2].signer == "ASIASECOND");
  CHECK(seen[2].security_token == "SECOND-session-token");
  CHECK(seen[2].form.count("ExternalId") == 0);
  // --debug shows each hop: profiles, role ARNs, the endpoint; never a key or token.
  const std::string log = world.log.all();
  CHECK_THAT(log, Catch::Contains("profile three assumes " + kRoleC + " with source_profile two"));
  CHECK_THAT(log, Catch::Contains("profile one assumes " + kRoleA + " with source_profile base"));
  CHECK_THAT(log, Catch::Contains("STS AssumeRole at " + sts.url()));
  for (const char* secret : {"base/secret+key", "FIRST/secret+key", "FIRST-session-token",
                             "SECOND-session-token", "THIRD/secret+key"}) {
    CHECK(log.find(secret) == std::string::npos);
  }
  // Cached: a second resolve asks nobody.
  REQUIRE(chain->resolve().ok());
  CHECK(sts.requests().size() == 3);
}

TEST_CASE("Assume role: cycles, self reference, missing and doubled sources",
          "[credentials][sts][assume-role]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  world.config("[profile a]\nrole_arn = " + kRoleA + "\nsource_profile = b\n" +
               "[profile b]\nrole_arn = " + kRoleB + "\nsource_profile = c\n" +
               "[profile c]\nrole_arn = " + kRoleC + "\nsource_profile = a\n" +
               "[profile self-keys]\nrole_arn = " + kRoleA +
               "\nsource_profile = self-keys\naws_access_key_id = AKIDBASE\n"
               "aws_secret_access_key = base/secret+key\n"
               "[profile self-bare]\nrole_arn = " +
               kRoleA + "\nsource_profile = self-bare\n[profile lost]\nrole_arn = " + kRoleA +
               "\nsource_profile = nowhere\n[profile both]\nrole_arn = " + kRoleA +
               "\nsource_profile = a\ncredential_source = Environment\n[profile neither]\n" +
               "role_arn = " + kRoleA + "\n[profile odd]\nrole_arn = " + kRoleA +
               "\ncredential_source = Laptop\n[profile short]\nrole_arn = " + kRoleA +
               "\ncredential_source = Environment\nduration_seconds = 60\n");
  auto transport = curl();
  auto resolve = [&](const std::string& profile) {
    auto context = world.context(transport);
    context.profile = profile;
    return creds::make_default_chain(context)->resolve();
  };
  SECTION("a three-profile cycle names its profiles") {
    auto result = resolve("a");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message == "source_profile cycle: a -> b -> c -> a");
  }
  SECTION("a profile naming itself with static keys uses them") {
    auto result = resolve("self-keys");
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(result->source == "assume-role:self-keys");
    REQUIRE(sts.requests().size() == 1);
    CHECK(sts.requests()[0].signer == "AKIDBASE");
  }
  SECTION("a profile naming itself without static keys is a cycle") {
    auto result = resolve("self-bare");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::StartsWith("source_profile cycle: self-bare -> self-bare (a profile may "
                                 "name itself only when it holds static keys)"));
  }
  SECTION("a source profile that does not exist") {
    auto result = resolve("lost");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::Contains("names source_profile 'nowhere', which is in neither"));
    CHECK_THAT(result.error().message, Catch::Contains("config:"));
  }
  SECTION("both source_profile and credential_source") {
    auto result = resolve("both");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::EndsWith("profile 'both' sets both source_profile and credential_source"));
  }
  SECTION("neither") {
    auto result = resolve("neither");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::EndsWith("profile 'neither' has role_arn but neither source_profile nor "
                               "credential_source"));
  }
  SECTION("an unknown credential_source") {
    auto result = resolve("odd");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::EndsWith("credential_source must be Environment, Ec2InstanceMetadata or "
                               "EcsContainer, not 'Laptop'"));
  }
  SECTION("a duration STS would refuse") {
    auto result = resolve("short");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(
        result.error().message,
        Catch::Contains("duration_seconds must be a whole number from 900 to 43200, not '60'"));
  }
  if (sts.requests().size() > 1) FAIL("more STS calls than the one self-keys case makes");
}

TEST_CASE("Assume role: credential_source Environment, EcsContainer and Ec2InstanceMetadata",
          "[credentials][sts][assume-role]") {
  auto options = sts_options();
  options.keys["AKIDENV"] = "env/secret";
  options.keys["ASIACONTAINER"] = "container-secret";
  options.keys[FakeImds::access_key_for(1)] = FakeImds::secret_for(1);
  FakeSts sts(options);
  LoopbackServer container([](httplib::Server& s) {
    s.Get("/creds", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"container-secret",)"
                      R"("Token":"container-token","Expiration":"2026-04-01T14:00:00Z"})",
                      "application/json");
    });
  });
  FakeImds imds;
  {
    auto lock = imds.lock();
    imds.state().expiration = kNow + 6h;
  }
  StsWorld world(&sts);
  world.config("[profile env]\nrole_arn = " + kRoleA + "\ncredential_source = environment\n" +
               "[profile ecs]\nrole_arn = " + kRoleB + "\ncredential_source = EcsContainer\n" +
               "[profile ec2]\nrole_arn = " + kRoleC +
               "\ncredential_source = Ec2InstanceMetadata\n");
  world.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url() + "/creds";
  auto transport = curl();
  auto resolve = [&](const std::string& profile) {
    auto context = world.context(transport);
    context.profile = profile;
    context.metadata.imds_endpoint = imds.url();
    return creds::make_assume_role_provider(context)->resolve();
  };
  SECTION("Environment (case-insensitive)") {
    world.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    world.vars["AWS_SECRET_ACCESS_KEY"] = "env/secret";
    auto result = resolve("env");
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "ASIAFIRST");
    CHECK(sts.requests().at(0).signer == "AKIDENV");
  }
  SECTION("Environment without keys ends the resolution") {
    auto result = resolve("env");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK_THAT(result.error().message,
               Catch::StartsWith("assume-role profile 'env': credential_source environment gave "
                                 "no credentials: "));
  }
  SECTION("EcsContainer") {
    auto result = resolve("ecs");
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "ASIASECOND");
    CHECK(sts.requests().at(0).signer == "ASIACONTAINER");
    CHECK(sts.requests().at(0).security_token == "container-token");
  }
  SECTION("Ec2InstanceMetadata") {
    world.vars.erase("AWS_EC2_METADATA_DISABLED");  // the endpoint is the loopback fake
    auto result = resolve("ec2");
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "ASIATHIRD");
    CHECK(sts.requests().at(0).signer == FakeImds::access_key_for(1));
  }
}

TEST_CASE("Assume role: MFA through the callback, without one, and on refresh",
          "[credentials][sts][assume-role][mfa]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  world.credentials(
      "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n");
  world.config("[profile mfa]\nrole_arn = " + kRoleA +
               "\nsource_profile = base\nmfa_serial = arn:aws:iam::111111111111:mfa/alice\n");
  world.vars["AWS_PROFILE"] = "mfa";
  auto transport = curl();
  SECTION("the code is asked for once and sent") {
    std::vector<std::string> asked;
    auto context = world.context(transport);
    context.mfa_code = [&asked](const std::string& serial) -> Result<std::string> {
      asked.push_back(serial);
      return std::string("123456");
    };
    auto chain = creds::make_default_chain(context);
    auto result = chain->resolve();
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(asked == std::vector<std::string>{"arn:aws:iam::111111111111:mfa/alice"});
    REQUIRE(sts.requests().size() == 1);
    CHECK(sts.requests()[0].form.at("SerialNumber") == "arn:aws:iam::111111111111:mfa/alice");
    CHECK(sts.requests()[0].form.at("TokenCode") == "123456");
    // Past expiry, a refresh would need a new code: it fails instead of asking again.
    world.offset->store(3600);
    auto later = chain->resolve();
    REQUIRE_FALSE(later.ok());
    CHECK_THAT(later.error().message, Catch::Contains("need a new MFA code"));
    CHECK(asked.size() == 1);
    CHECK(sts.requests().size() == 1);
  }
  SECTION("no callback is a clear Config error") {
    auto result = creds::make_default_chain(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message ==
          "assume-role profile 'mfa' has mfa_serial arn:aws:iam::111111111111:mfa/alice but no MFA "
          "code was given (--mfa-code CODE, or run on a terminal to be asked)");
    CHECK(sts.requests().empty());
  }
  SECTION("a callback error ends the resolution") {
    auto context = world.context(transport);
    context.mfa_code = [](const std::string&) -> Result<std::string> {
      return bedrock_lite::make_error(ErrorKind::Config, "no terminal to ask on");
    };
    auto result = creds::make_default_chain(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "no terminal to ask on");
  }
}

TEST_CASE("Assume role: a web identity profile as the base of a role chain",
          "[credentials][sts][assume-role][web-identity]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  const auto token = world.home.write("token", kWebToken);
  world.config("[profile pod]\nweb_identity_token_file = " + token.string() + "\nrole_arn = " +
               kWebRole + "\n[profile target]\nrole_arn = " + kRoleA + "\nsource_profile = pod\n");
  // The environment's web identity is not used for a source profile (botocore disables it).
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = (world.home.path() / "missing").string();
  world.vars["AWS_ROLE_ARN"] = kRoleC;
  world.vars["AWS_PROFILE"] = "target";
  auto transport = curl();
  auto result = creds::make_default_chain(world.context(transport))->resolve();
  INFO(message_of(result) << "\n" << world.log.all());
  REQUIRE(result.ok());
  CHECK(result->source == "assume-role:target");
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].action == "AssumeRoleWithWebIdentity");
  CHECK(seen[0].form.at("RoleArn") == kWebRole);
  CHECK_FALSE(seen[0].signed_request);
  CHECK(seen[1].action == "AssumeRole");
  CHECK(seen[1].signer == "ASIAWEB");
  CHECK(seen[1].security_token == "WEB-session-token");
}
