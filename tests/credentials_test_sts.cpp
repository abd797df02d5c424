// STS: the XML reader over fixtures/sts, the endpoint rules, and the web-identity and
// assume-role providers against a fake STS on 127.0.0.1 (support/fake_sts.h) through the libcurl
// transport, with real files in a temporary HOME.
#include <bedrock_lite/credentials.h>

#include "sts_client.h"
#include "sts_xml.h"
#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace creds = bedrock_lite::credentials;
namespace detail = bedrock_lite::credentials::detail;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::Result;
using bedrock_lite::test::FakeImds;
using bedrock_lite::test::FakeSts;
using bedrock_lite::test::FakeStsOptions;
using bedrock_lite::test::FakeStsRole;
using bedrock_lite::test::LoopbackServer;
using bedrock_lite::test::TempDir;
using namespace std::chrono_literals;

namespace {

const creds::TimePoint kNow = *creds::parse_iso8601("2026-04-01T08:00:00Z");
const std::string kRoleA = "arn:aws:iam::111111111111:role/first";
const std::string kRoleB = "arn:aws:iam::222222222222:role/second";
const std::string kRoleC = "arn:aws:iam::333333333333:role/third";
const std::string kWebRole = "arn:aws:iam::444444444444:role/web";
const std::string kWebToken = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature";

FakeStsRole role(const std::string& name) {
  return {"ASIA" + name, name + "/secret+key", name + "-session-token"};
}

FakeStsOptions sts_options() {
  FakeStsOptions options;
  options.keys = {{"AKIDBASE", "base/secret+key"}};
  for (const auto& [arn, name] : {std::pair<std::string, std::string>{kRoleA, "FIRST"},
                                  {kRoleB, "SECOND"},
                                  {kRoleC, "THIRD"},
                                  {kWebRole, "WEB"}}) {
    options.roles[arn] = role(name);
  }
  options.clock = [] { return kNow; };
  return options;
}

struct Log {
  std::mutex mutex;
  std::vector<std::string> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(message);
    };
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

// A temp HOME, variables, and a fixed clock the tests move. The transport is declared after the
// fakes in each test (destroyed first), as in credentials_test_metadata.cpp.
struct World {
  TempDir home;
  std::map<std::string, std::string> vars;
  std::shared_ptr<std::atomic<std::int64_t>> offset =
      std::make_shared<std::atomic<std::int64_t>>(0);
  Log log;

  explicit World(const FakeSts* sts = nullptr) {
    vars["AWS_EC2_METADATA_DISABLED"] = "true";
    vars["AWS_REGION"] = "us-east-1";
    if (sts != nullptr) vars["AWS_ENDPOINT_URL_STS"] = sts->url();
  }
  void config(const std::string& text) { home.write(".aws/config", text); }
  void credentials(const std::string& text) { home.write(".aws/credentials", text); }
  creds::ProviderContext context(std::shared_ptr<bedrock_lite::http::Transport> transport) {
    auto v = vars;
    v["HOME"] = home.path().string();
    creds::ProviderContext c;
    c.environment = creds::Environment(v);
    c.transport = std::move(transport);
    auto o = offset;
    c.clock = [o] { return kNow + std::chrono::seconds(o->load()); };
    c.jitter = [] { return 0.5; };
    c.sleeper = [](std::chrono::milliseconds) {};
    c.log = log.hook();
    return c;
  }
};

std::shared_ptr<bedrock_lite::http::Transport> curl() {
  return bedrock_lite::http::make_curl_transport();
}

std::string message_of(const Result<creds::Credentials>& result) {
  return result ? std::string("ok: ") + result->source : result.error().to_string();
}

// Lines of a fixtures expectation file, '#' comments skipped, split on whitespace (the last
// field takes the rest of the line).
std::vector<std::vector<std::string>> table(const std::string& relative, std::size_t fields) {
  std::istringstream in(bedrock_lite::test::read_file(bedrock_lite::test::fixture_path(relative)));
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> row;
    std::string word;
    while (row.size() + 1 < fields && words >> word) row.push_back(word);
    std::getline(words >> std::ws, word);
    row.push_back(word);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

// ---- The XML reader -----------------------------------------------------------------------

TEST_CASE("STS XML: the API reference answers give their credentials and account id",
          "[credentials][sts][xml]") {
  const auto role = bedrock_lite::test::read_file(
      bedrock_lite::test::fixture_path("sts/answers/assume-role.xml"));
  auto read = detail::parse_sts_credentials(role, "AssumeRole", "test");
  REQUIRE(read.ok());
  CHECK(read->access_key_id == "ASIAIOSFODNN7EXAMPLE");
  CHECK(read->secret_access_key.reveal() == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  CHECK(read->session_token.reveal().rfind("AQoDYXdzEPT//////////wEXAMPLE", 0) == 0);
  CHECK(creds::format_iso8601(*read->expiration) == "2019-11-09T13:34:41Z");
  CHECK(read->account_id == "123456789012");

  const auto web = bedrock_lite::test::read_file(
      bedrock_lite::test::fixture_path("sts/answers/assume-role-with-web-identity.xml"));
  auto read_web = detail::parse_sts_credentials(web, "AssumeRoleWithWebIdentity", "test");
  REQUIRE(read_web.ok());
  CHECK(read_web->access_key_id == "ASgeIAIOSFODNN7EXAMPLE");
  CHECK(read_web->session_token.reveal() == "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  CHECK(creds::format_iso8601(*read_web->expiration) == "2014-10-24T23:00:23Z");
  // The wrong action's path finds nothing: the reader reads only the members it was asked for.
  auto wrong = detail::parse_sts_credentials(web, "AssumeRole", "test");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().kind == ErrorKind::Protocol);
  CHECK_THAT(wrong.error().message,
             Catch::Contains("no AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"));
}

TEST_CASE("STS XML: every error document maps to a typed Service error",
          "[credentials][sts][xml]") {
  const auto rows = table("sts/errors/expected.txt", 4);
  REQUIRE(rows.size() >= 6);
  for (const auto& row : rows) {
    SECTION(row[0]) {
      const auto body =
          bedrock_lite::test::read_file(bedrock_lite::test::fixture_path("sts/errors/" + row[0]));
      const int status = std::stoi(row[1]);
      const auto error = detail::sts_error_from_answer(status, body, "header-id", "STS AssumeRole");
      CHECK(error.kind == ErrorKind::Service);
      CHECK(error.aws_type == row[2]);
      CHECK(error.http_status == status);
      CHECK(error.retryable == (row[3] == "yes"));
      CHECK(error.request_id != "header-id");  // the document's RequestId wins
      CHECK(error.message.find('\n') == std::string::npos);
      CHECK_THAT(error.message, Catch::StartsWith("STS AssumeRole: "));
      CHECK(error.display_name() == row[2]);
    }
  }
}

TEST_CASE("STS XML: malformed, oversized and entity-bomb documents are Protocol errors",
          "[credentials][sts][xml]") {
  const auto rows = table("sts/malformed/expected.txt", 2);
  REQUIRE(rows.size() >= 8);
  for (const auto& row : rows) {
    SECTION(row[0]) {
      const auto body = bedrock_lite::test::read_file(
          bedrock_lite::test::fixture_path("sts/malformed/" + row[0]));
      auto read = detail::parse_sts_credentials(body, "AssumeRole", "STS AssumeRole at x");
      REQUIRE_FALSE(read.ok());
      CHECK(read.error().kind == ErrorKind::Protocol);
      CHECK_THAT(read.error().message, Catch::Contains(row[1]));
      CHECK(read.error().message.find("wJalrXUtnFEMI") == std::string::npos);
    }
  }
  SECTION("a member longer than its bound") {
    std::string big = bedrock_lite::test::read_file(
        bedrock_lite::test::fixture_path("sts/answers/assume-role.xml"));
    const auto at = big.find("<SessionToken>") + 14;
    big.insert(at, std::string(20000, 'A'));
    auto read = detail::parse_sts_credentials(big, "AssumeRole", "x");
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::Contains("member SessionToken longer than 16384"));
  }
  SECTION("a document longer than its bound") {
    auto read = detail::parse_sts_credentials(std::string(70000, ' '), "AssumeRole", "x");
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::Contains("larger than 65536 bytes"));
  }
}

// ---- Endpoint rules -----------------------------------------------------------------------

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

// ---- Web identity -------------------------------------------------------------------------

TEST_CASE("Web identity from the environment: unsigned form POST, default session name",
          "[credentials][sts][web-identity]") {
  FakeSts sts(sts_options());
  World world(&sts);
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
  World world(&sts);
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
  World world(&sts);
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
  World world(&sts);
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

// ---- Assume role ----------------------------------------------------------------------------

TEST_CASE("Assume role: a three-hop chain, each hop signed with the previous hop's keys",
          "[credentials][sts][assume-role]") {
  FakeSts sts(sts_options());
  World world(&sts);
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
  World world(&sts);
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
  World world(&sts);
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
  World world(&sts);
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
  World world(&sts);
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

// ---- STS failures -----------------------------------------------------------------------------

TEST_CASE("STS failures: 403 and 400 XML errors, retries, malformed answers, a slow STS",
          "[credentials][sts][errors]") {
  FakeSts sts(sts_options());
  World world(&sts);
  const auto token = world.home.write("token", kWebToken);
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token.string();
  world.vars["AWS_ROLE_ARN"] = kWebRole;
  auto transport = curl();
  auto fetch = [&](creds::StsSettings settings = {}) {
    auto context = world.context(transport);
    context.sts = settings;
    return creds::make_web_identity_provider(context)->resolve();
  };
  SECTION("403 AccessDenied is not retried") {
    sts.push_error(403, "access-denied.xml");
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Service);
    CHECK(result.error().aws_type == "AccessDenied");
    CHECK(result.error().http_status == 403);
    CHECK(result.error().request_id == "4f1a5e3c-0b5d-4d8e-9a43-1f9c2f3b7e21");
    CHECK_FALSE(result.error().retryable);
    CHECK_THAT(result.error().message,
               Catch::StartsWith("STS AssumeRoleWithWebIdentity at " + sts.url() +
                                 ": User: arn:aws:iam::123456789012:user/alice is not authorized"));
    CHECK(sts.requests().size() == 1);
  }
  SECTION("400 InvalidIdentityToken is not retried") {
    sts.push_error(400, "invalid-identity-token.xml");
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().aws_type == "InvalidIdentityToken");
    CHECK(result.error().http_status == 400);
    CHECK(sts.requests().size() == 1);
  }
  SECTION("IDPCommunicationError and throttling are retried, then succeed") {
    sts.push_error(400, "idp-communication.xml");
    sts.push_error(400, "throttling.xml");
    std::vector<std::chrono::milliseconds> pauses;
    auto context = world.context(transport);
    context.sleeper = [&pauses](std::chrono::milliseconds pause) { pauses.push_back(pause); };
    auto result = creds::make_web_identity_provider(context)->resolve();
    INFO(message_of(result));
    REQUIRE(result.ok());
    CHECK(sts.requests().size() == 3);
    // jitter 0.5 of 1 s, then of 2 s (standard mode's exponential backoff)
    CHECK(pauses == std::vector<std::chrono::milliseconds>{500ms, 1000ms});
  }
  SECTION("attempts are bounded") {
    for (int i = 0; i < 3; ++i) sts.push_error(400, "throttling.xml");
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().aws_type == "Throttling");
    CHECK(result.error().retryable);
    CHECK_THAT(result.error().message, Catch::EndsWith("(after 3 attempts)"));
    CHECK(sts.requests().size() == 3);
  }
  SECTION("an entity bomb is refused") {
    sts.push_raw(200, bedrock_lite::test::read_file(
                          bedrock_lite::test::fixture_path("sts/malformed/entity-bomb.xml")));
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK_THAT(result.error().message, Catch::Contains("DOCTYPE"));
  }
  SECTION("a malformed answer") {
    sts.push_raw(200, bedrock_lite::test::read_file(
                          bedrock_lite::test::fixture_path("sts/malformed/truncated.xml")));
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK_THAT(result.error().message, Catch::Contains("malformed XML at line"));
  }
  SECTION("an oversized answer") {
    sts.push_raw(200, std::string(200000, 'x'));
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK_THAT(result.error().message, Catch::Contains("larger than 65536 bytes"));
  }
  SECTION("a 503 without an STS document is retried, then reported") {
    for (int i = 0; i < 3; ++i) sts.push_raw(503, "<html>busy</html>");
    auto result = fetch();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Service);
    CHECK(result.error().http_status == 503);
    CHECK(sts.requests().size() == 3);
  }
  SECTION("a slow STS times out, bounded, without a hang") {
    sts.push_stall(10s);
    sts.push_stall(10s);
    creds::StsSettings settings;
    settings.attempt_timeout = 300ms;
    settings.max_attempts = 2;
    const auto start = std::chrono::steady_clock::now();
    auto result = fetch(settings);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Timeout);
    CHECK(took < 5s);
  }
}

// ---- The default chain --------------------------------------------------------------------------

TEST_CASE("Default chain: botocore's order around the new providers", "[credentials][sts][chain]") {
  FakeSts sts(sts_options());
  World world(&sts);
  world.credentials(
      "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n"
      "[roled]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = static\n");
  world.config("[profile roled]\nrole_arn = " + kRoleA + "\nsource_profile = base\n");
  world.vars["AWS_PROFILE"] = "roled";
  const auto token = world.home.write("token", kWebToken);
  auto transport = curl();
  SECTION("environment keys come first") {
    world.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    world.vars["AWS_SECRET_ACCESS_KEY"] = "env";
    auto result = creds::make_default_chain(world.context(transport))->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "environment");
    CHECK(sts.requests().empty());
  }
  SECTION("the profile's role_arn beats its own static keys and web identity") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token.string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    auto result = creds::make_default_chain(world.context(transport))->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "assume-role:roled");
    REQUIRE(sts.requests().size() == 1);
    CHECK(sts.requests()[0].signer == "AKIDBASE");
  }
  SECTION("web identity beats a profile's static keys") {
    world.vars["AWS_PROFILE"] = "base";
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token.string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    auto result = creds::make_default_chain(world.context(transport))->resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "web-identity");
  }
  SECTION("a failing STS stops the chain (no fall-through to another identity)") {
    world.vars["AWS_PROFILE"] = "base";
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = token.string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    sts.push_error(400, "expired-token.xml");
    auto result = creds::make_default_chain(world.context(transport))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().aws_type == "ExpiredTokenException");
    CHECK_FALSE(result.error().retryable);
  }
}

TEST_CASE("Fake STS: a signed AssumeRoleWithWebIdentity and an unsigned AssumeRole are refused",
          "[credentials][sts][fake]") {
  FakeSts sts(sts_options());
  World world(&sts);
  auto transport = curl();
  auto caller = detail::make_sts_caller(world.context(transport));
  const creds::StsEndpoint endpoint{sts.url(), "us-east-1", "test"};
  creds::Credentials base;
  base.access_key_id = "AKIDBASE";
  base.secret_access_key = bedrock_lite::Secret("base/secret+key");
  detail::StsCall web;
  web.action = "AssumeRoleWithWebIdentity";
  web.parameters = {{"RoleArn", kWebRole}, {"RoleSessionName", "s"}, {"WebIdentityToken", "t"}};
  web.signing_credentials = &base;
  auto signed_web = detail::call_sts(caller, endpoint, web);
  REQUIRE_FALSE(signed_web.ok());
  CHECK(signed_web.error().aws_type == "InvalidRequest");
  detail::StsCall role;
  role.action = "AssumeRole";
  role.parameters = {{"RoleArn", kRoleA}, {"RoleSessionName", "s"}};
  auto unsigned_role = detail::call_sts(caller, endpoint, role);
  REQUIRE_FALSE(unsigned_role.ok());
  CHECK(unsigned_role.error().aws_type == "SignatureDoesNotMatch");
  // Signed with a key the fake does not know.
  creds::Credentials stranger = base;
  stranger.access_key_id = "AKIDSTRANGER";
  role.signing_credentials = &stranger;
  auto unknown = detail::call_sts(caller, endpoint, role);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().aws_type == "SignatureDoesNotMatch");
  // And the right key, to show the refusals were about the signature.
  role.signing_credentials = &base;
  auto accepted = detail::call_sts(caller, endpoint, role);
  REQUIRE(accepted.ok());
  CHECK(accepted->access_key_id == "ASIAFIRST");
  CHECK(detail::form_encode("a b+c/d=é") == "a%20b%2Bc%2Fd%3D%C3%A9");
}

TEST_CASE("Default chain: concurrent callers share one STS call (single flight)",
          "[credentials][sts][chain]") {
  FakeSts sts(sts_options());
  World world(&sts);
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.write("token", kWebToken).string();
  world.vars["AWS_ROLE_ARN"] = kWebRole;
  auto transport = curl();
  auto chain = creds::make_default_chain(world.context(transport));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&chain, &ok] {
      auto result = chain->resolve();
      if (result && result->access_key_id == "ASIAWEB") ++ok;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok.load() == 8);
  CHECK(sts.requests().size() == 1);
}
