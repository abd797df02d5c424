// credentials: IAM Identity Center (SSO) profiles over real HTTP against the fake portal and
// OIDC (support/fake_sso.h), with real files in a temporary HOME: both configuration forms,
// conflicting values, token refresh with the cache written back atomically, expired tokens,
// an unwritable cache folder, portal errors, and the caching provider in front.
#include <bedrock_lite/credentials.h>

#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/fake_sso.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"
#include "support/json.h"
#include "support/sts_world.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <mutex>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using bedrock_lite::test::FakeSso;
using bedrock_lite::test::TempDir;
using bedrock_lite::test::sts_world::kNow;
using namespace std::chrono_literals;

namespace {

const std::string kStartUrl = "https://d-9067642ac7.awsapps.com/start";
// SHA-1 of the session name and of the start URL, computed outside the library (Python
// hashlib): the names the AWS CLI gives these cache files.
const std::string kSessionCache = ".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json";
const std::string kLegacyCache = ".aws/sso/cache/9e104e67bc03709422c341f8e7b917448969b3a1.json";

const std::string kSessionConfig =
    "[profile dev]\n"
    "sso_session = my-sso\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = BedrockUser\n"
    "region = us-west-2\n"
    "\n"
    "[sso-session my-sso]\n"
    "sso_start_url = " +
    kStartUrl +
    "\n"
    "sso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n";

const std::string kLegacyConfig =
    "[profile dev]\n"
    "sso_start_url = " +
    kStartUrl +
    "\n"
    "sso_region = eu-west-1\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = BedrockUser\n";

struct SsoLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      const char* names[] = {"debug", "info", "warn", "error"};
      lines.push_back(std::string(names[static_cast<int>(level)]) + ": " + std::string(message));
    };
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

// A temp HOME with the config file, a fixed clock and the fake's endpoints in the environment.
struct SsoWorld {
  std::shared_ptr<bedrock_lite::http::Transport> transport =
      bedrock_lite::http::make_curl_transport();
  TempDir home;
  std::shared_ptr<std::atomic<std::int64_t>> clock_offset =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::map<std::string, std::string> vars;
  SsoLog log;

  SsoWorld(const FakeSso& sso, const std::string& config) {
    home.write(".aws/config", config);
    vars = {{"AWS_PROFILE", "dev"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_ENDPOINT_URL_SSO", sso.url()},
            {"AWS_ENDPOINT_URL_SSO_OIDC", sso.url()}};
  }
  creds::ProviderContext context() {
    auto v = vars;
    v["HOME"] = home.path().string();
    creds::ProviderContext c;
    c.environment = creds::Environment(v);
    c.transport = transport;
    auto offset = clock_offset;
    c.clock = [offset] { return kNow + std::chrono::seconds(offset->load()); };
    c.log = log.hook();
    return c;
  }
  bedrock_lite::Result<creds::Credentials> resolve() {
    return creds::make_profile_provider(context())->resolve();
  }
  std::filesystem::path write_token(const std::string& relative, const std::string& json) {
    return home.write(relative, json);
  }
};

std::string token_json(const std::string& token, creds::TimePoint expires_at,
                       const std::string& extra = "") {
  return R"({"startUrl":")" + kStartUrl + R"(","region":"eu-west-1","accessToken":")" + token +
         R"(","expiresAt":")" + creds::format_iso8601(expires_at) + "\"" + extra + "}";
}

// The refresh members of a cache written by `aws sso login` with a session.
std::string refresh_members(creds::TimePoint registration_expires_at) {
  return R"(,"clientId":"sso-client-id","clientSecret":"sso-client-secret",)"
         R"("refreshToken":"sso-refresh-token-1","registrationExpiresAt":")" +
         creds::format_iso8601(registration_expires_at) + "\"";
}

void set_portal(FakeSso& sso, creds::TimePoint expiration) {
  auto l = sso.lock();
  sso.state().expiration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(expiration.time_since_epoch()).count();
}

std::string member(const std::string& json, const char* name) {
  auto document = bedrock_lite::test::parse_json(json);
  REQUIRE(document.IsObject());
  auto it = document.FindMember(name);
  if (it == document.MemberEnd()) return "<absent>";
  return it->value.IsString() ? it->value.GetString() : bedrock_lite::test::render_json(it->value);
}

}  // namespace

TEST_CASE("SSO: sso-session form trades the cached token for role credentials, unsigned",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
  set_portal(sso, kNow + 3h);

  auto result = world.resolve();
  INFO(world.log.all());
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "ASIASSOROLE1");
  CHECK(result->secret_access_key.reveal() == "sso/role+secret/0001");
  CHECK(result->session_token.reveal() == "sso-role-session-token-0001");
  CHECK(result->source == "sso:my-sso");
  CHECK(result->account_id == "123456789012");
  REQUIRE(result->expiration.has_value());
  CHECK(*result->expiration == kNow + 3h);  // epoch milliseconds, not seconds

  auto l = sso.lock();
  CHECK(sso.state().portal_calls == 1);
  CHECK(sso.state().oidc_calls == 0);
  CHECK_FALSE(sso.state().signed_request_seen);
  REQUIRE(sso.state().portal_targets.size() == 1);
  CHECK(sso.state().portal_targets[0].find("role_name=BedrockUser") != std::string::npos);
  CHECK(sso.state().portal_targets[0].find("account_id=123456789012") != std::string::npos);
  // --debug shows each hop: session, start URL, SSO region, account, role, endpoints.
  const std::string log = world.log.all();
  for (const std::string& hop :
       {std::string("sso-session 'my-sso'"), kStartUrl, std::string("SSO region eu-west-1"),
        std::string("account 123456789012"), std::string("role BedrockUser"), sso.url(),
        std::string("AWS_ENDPOINT_URL_SSO")}) {
    INFO(hop);
    CHECK(log.find(hop) != std::string::npos);
  }
  CHECK(log.find("sso-access-token-1") == std::string::npos);
}

TEST_CASE("SSO: legacy form keys the cache by start URL and names the profile",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kLegacyConfig);
  world.write_token(kLegacyCache, token_json("sso-access-token-1", kNow + 1h));
  set_portal(sso, kNow + 2h);
  auto result = world.resolve();
  INFO(world.log.all());
  REQUIRE(result.ok());
  CHECK(result->source == "sso:dev");
  CHECK(result->access_key_id == "ASIASSOROLE1");
  CHECK(world.log.all().find("legacy SSO form") != std::string::npos);
}

TEST_CASE("SSO: values in both profile and session must agree, missing pieces are named",
          "[credentials][sso]") {
  FakeSso sso;
  SECTION("sso_region differs") {
    SsoWorld world(sso,
                   "[profile dev]\nsso_session = my-sso\nsso_region = us-east-1\n"
                   "sso_account_id = 1\nsso_role_name = r\n[sso-session my-sso]\n"
                   "sso_start_url = " +
                       kStartUrl + "\nsso_region = eu-west-1\n");
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    const std::string home = world.home.path().string();
    CHECK(result.error().message ==
          home +
              "/.aws/config:3: profile 'dev' sets sso_region = us-east-1, but [sso-session "
              "my-sso] (" +
              home + "/.aws/config:8) sets eu-west-1; they must agree");
  }
  SECTION("the same value in both is fine") {
    SsoWorld world(sso, "[profile dev]\nsso_session = my-sso\nsso_start_url = " + kStartUrl +
                            "\nsso_account_id = 123456789012\nsso_role_name = BedrockUser\n"
                            "[sso-session my-sso]\nsso_start_url = " +
                            kStartUrl + "\nsso_region = eu-west-1\n");
    world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
    set_portal(sso, kNow + 2h);
    auto result = world.resolve();
    INFO((result ? "" : result.error().to_string()));
    CHECK(result.ok());
  }
  SECTION("no [sso-session] section") {
    SsoWorld world(sso,
                   "[profile dev]\nsso_session = nowhere\nsso_account_id = 1\n"
                   "sso_role_name = r\n");
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message.find("names sso_session 'nowhere', but there is no "
                                      "[sso-session nowhere] section") != std::string::npos);
  }
  SECTION("a legacy profile without sso_role_name") {
    SsoWorld world(sso, "[profile dev]\nsso_start_url = " + kStartUrl +
                            "\nsso_region = eu-west-1\nsso_account_id = 1\n");
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message ==
          "profile 'dev' is configured for SSO but is missing sso_role_name");
  }
  auto l = sso.lock();
  CHECK(sso.state().oidc_calls == 0);
}

TEST_CASE("SSO: a token near expiry is refreshed through OIDC and written back atomically",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  // 2 minutes left (inside the 5-minute window), registration valid for a month, and members
  // this library does not know, which must survive the rewrite.
  const auto path = world.write_token(
      kSessionCache,
      token_json("sso-access-token-1", kNow + 2min,
                 refresh_members(kNow + 24h * 30) +
                     R"(,"x-future":{"kept":[1,2,3]},"scopes":["sso:account:access"])"));
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  set_portal(sso, kNow + 4h);

  auto result = world.resolve();
  INFO(world.log.all());
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "ASIASSOROLE1");
  {
    auto l = sso.lock();
    CHECK(sso.state().oidc_calls == 1);
    CHECK(sso.state().problem.empty());
    CHECK(sso.state().portal_calls == 1);  // with the new token: the old one is refused now
  }
  const std::string written = bedrock_lite::test::read_file(path);
  CHECK(member(written, "accessToken") == "sso-access-token-2");
  CHECK(member(written, "refreshToken") == "sso-refresh-token-2");
  CHECK(member(written, "expiresAt") == creds::format_iso8601(kNow + 8h));
  CHECK(member(written, "clientSecret") == "sso-client-secret");
  CHECK(member(written, "startUrl") == kStartUrl);
  CHECK(member(written, "x-future") == R"({"kept":[1,2,3]})");
  CHECK(member(written, "scopes") == R"(["sso:account:access"])");
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(after.st_ino != before.st_ino);  // a new file renamed over the old, not rewritten in place
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);  // no temporary file left behind

  // The next resolve reads the new token and needs no refresh.
  auto again = world.resolve();
  REQUIRE(again.ok());
  auto l = sso.lock();
  CHECK(sso.state().oidc_calls == 1);
  CHECK(sso.state().portal_calls == 2);
}

TEST_CASE("SSO: an expired token that cannot be refreshed asks for aws sso login",
          "[credentials][sso]") {
  FakeSso sso;
  SECTION("session form, no refresh token") {
    SsoWorld world(sso, kSessionConfig);
    const auto path =
        world.write_token(kSessionCache, token_json("sso-access-token-1", kNow - 1min));
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message == "the SSO token for sso:my-sso (" + path.string() +
                                        ") expired at 2026-04-01T07:59:00Z; run `aws sso login "
                                        "--sso-session my-sso`");
  }
  SECTION("legacy form, registration expired") {
    SsoWorld world(sso, kLegacyConfig);
    world.write_token(kLegacyCache,
                      token_json("sso-access-token-1", kNow - 1h, refresh_members(kNow - 1min)));
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message.find("run `aws sso login --profile dev`") != std::string::npos);
  }
  SECTION("refresh refused (invalid_grant)") {
    SsoWorld world(sso, kSessionConfig);
    world.write_token(kSessionCache,
                      token_json("sso-access-token-1", kNow - 1min, refresh_members(kNow + 24h)));
    {
      auto l = sso.lock();
      sso.state().oidc_status = 400;
    }
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message.find("could not be refreshed (InvalidGrantException: SSO OIDC "
                                      "CreateToken at " +
                                      sso.url() + " answered HTTP 400: Invalid refresh token)") !=
          std::string::npos);
    CHECK(result.error().message.find("--sso-session my-sso") != std::string::npos);
  }
  SECTION("no cache file at all") {
    SsoWorld world(sso, kSessionConfig);
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message.find("no SSO token in ") == 0);
  }
  auto l = sso.lock();
  CHECK(sso.state().portal_calls == 0);
}

TEST_CASE("SSO: an expired session ends the default chain, IMDS is never asked",
          "[credentials][sso][chain]") {
  FakeSso sso;
  bedrock_lite::test::FakeImds imds;
  SsoWorld world(sso, kSessionConfig);
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow - 1min));
  // An instance role is there to be found: falling through to it would be a silent switch of
  // identity.
  world.vars.erase("AWS_EC2_METADATA_DISABLED");
  world.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  auto result = creds::make_default_chain(world.context())->resolve();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::NoCredentials);
  CHECK_THAT(result.error().message, Catch::StartsWith("the SSO token for sso:my-sso ("));
  CHECK_THAT(result.error().message, Catch::EndsWith("run `aws sso login --sso-session my-sso`"));
  auto lock = imds.lock();
  CHECK(imds.state().token_puts == 0);
}

TEST_CASE("SSO: an unwritable cache folder still serves credentials and logs why",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  const auto path = world.write_token(
      kSessionCache, token_json("sso-access-token-1", kNow + 1min, refresh_members(kNow + 24h)));
  set_portal(sso, kNow + 4h);
  const auto folder = path.parent_path();
  REQUIRE(::chmod(folder.c_str(), 0555) == 0);
  // Root ignores folder modes: a file-size limit makes the write itself fail instead.
  rlimit saved{};
  const bool root = ::geteuid() == 0;
  if (root) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit tiny = saved;
    tiny.rlim_cur = 16;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &tiny) == 0);
  }
  auto result = world.resolve();
  if (root) {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, SIG_DFL);
  }
  ::chmod(folder.c_str(), 0755);
  INFO(world.log.all());
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "ASIASSOROLE1");
  const std::string log = world.log.all();
  CHECK(log.find("warn: credentials: sso:my-sso: the refreshed SSO token is used but could not "
                 "be saved: " +
                 path.string() + ": cannot ") != std::string::npos);
  CHECK(log.find("sso-access-token-2") == std::string::npos);
  // The old file is untouched and no temporary file is left.
  CHECK(member(bedrock_lite::test::read_file(path), "accessToken") == "sso-access-token-1");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("SSO: portal errors are typed", "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
  SECTION("401 UnauthorizedException asks for a new login") {
    {
      auto l = sso.lock();
      sso.state().portal_status = 401;
    }
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Service);
    CHECK(result.error().aws_type == "UnauthorizedException");
    CHECK(result.error().http_status == 401);
    CHECK(result.error().request_id == "fake-sso-request-401");
    CHECK_FALSE(result.error().retryable);
    CHECK(result.error().message ==
          "SSO GetRoleCredentials at " + sso.url() +
              " answered HTTP 401: Session token not found or invalid; run `aws sso login "
              "--sso-session my-sso`");
  }
  SECTION("403 ForbiddenException") {
    {
      auto l = sso.lock();
      sso.state().portal_status = 403;
    }
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().aws_type == "ForbiddenException");
    CHECK(result.error().display_name() == "ForbiddenException");
    CHECK(result.error().http_status == 403);
    CHECK(result.error().message.find("answered HTTP 403: No access") != std::string::npos);
  }
  SECTION("429 TooManyRequestsException is retryable") {
    {
      auto l = sso.lock();
      sso.state().portal_status = 429;
    }
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().aws_type == "TooManyRequestsException");
    CHECK(result.error().retryable);
  }
}

TEST_CASE("SSO: behind the default chain's cache: no I/O until resolve, refresh ahead of expiry",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 12h));
  set_portal(sso, kNow + 1h);
  auto chain = creds::make_default_chain(world.context());
  {
    auto l = sso.lock();
    CHECK(sso.state().portal_calls == 0);  // built, not asked
  }
  auto first = chain->resolve();
  REQUIRE(first.ok());
  CHECK(first->source == "sso:my-sso");
  auto second = chain->resolve();
  REQUIRE(second.ok());
  {
    auto l = sso.lock();
    CHECK(sso.state().portal_calls == 1);
    sso.state().access_key_id = "ASIASSOROLE2";
    sso.state().expiration_ms += 3600 * 1000;
  }
  *world.clock_offset +=
      std::chrono::seconds(56min).count();  // inside the 5-minute advisory window
  auto third = chain->resolve();
  REQUIRE(third.ok());
  CHECK(third->access_key_id == "ASIASSOROLE2");
  auto l = sso.lock();
  CHECK(sso.state().portal_calls == 2);
}

TEST_CASE("SSO: malformed and oversized portal answers are Protocol errors naming the endpoint",
          "[credentials][sso]") {
  FakeSso sso;
  SsoWorld world(sso, kSessionConfig);
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
  const std::pair<std::string, std::string> cases[] = {
      {R"({"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T",)"
       R"("expiration":"1775030400000"}})",
       "roleCredentials lacks accessKeyId, secretAccessKey, sessionToken or a numeric expiration"},
      {R"({"credentials":{}})", "answer has no roleCredentials object"},
      {"<html>", "invalid JSON at offset 0: Invalid value."},
      {std::string(70000, ' ') + "{}", "response body larger than 65536 bytes"},
      {std::string(40, '[') + std::string(40, ']'),
       "JSON nested deeper than 16 levels at offset 16"}};
  for (const auto& [body, message] : cases) {
    {
      auto l = sso.lock();
      sso.state().portal_body = body;
    }
    auto result = world.resolve();
    INFO(message);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK(result.error().message.find("SSO GetRoleCredentials at " + sso.url()) == 0);
    CHECK(result.error().message.find(message) != std::string::npos);
  }
}

TEST_CASE("SSO: the services section and AWS_ENDPOINT_URL place the portal and OIDC",
          "[credentials][sso]") {
  FakeSso sso;
  SECTION("services section sso = / sso_oidc = endpoint_url") {
    SsoWorld world(sso,
                   "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
                   "sso_role_name = BedrockUser\nservices = local\n[sso-session my-sso]\n"
                   "sso_start_url = " +
                       kStartUrl +
                       "\nsso_region = eu-west-1\n[services local]\nsso =\n  endpoint_url = " +
                       sso.url() + "\nsso_oidc =\n  endpoint_url = " + sso.url() + "/\n");
    world.vars.erase("AWS_ENDPOINT_URL_SSO");
    world.vars.erase("AWS_ENDPOINT_URL_SSO_OIDC");
    world.write_token(kSessionCache,
                      token_json("sso-access-token-1", kNow + 1min, refresh_members(kNow + 24h)));
    set_portal(sso, kNow + 1h);
    auto result = world.resolve();
    INFO(world.log.all());
    REQUIRE(result.ok());
    CHECK(world.log.all().find("endpoint from profile dev services sso endpoint_url") !=
          std::string::npos);
    CHECK(world.log.all().find("endpoint from profile dev services sso_oidc endpoint_url") !=
          std::string::npos);
    auto l = sso.lock();
    CHECK(sso.state().oidc_calls == 1);
    CHECK(sso.state().portal_calls == 1);
  }
  SECTION("AWS_ENDPOINT_URL for both") {
    SsoWorld world(sso, kSessionConfig);
    world.vars.erase("AWS_ENDPOINT_URL_SSO");
    world.vars.erase("AWS_ENDPOINT_URL_SSO_OIDC");
    world.vars["AWS_ENDPOINT_URL"] = sso.url();
    world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
    set_portal(sso, kNow + 1h);
    auto result = world.resolve();
    REQUIRE(result.ok());
    CHECK(world.log.all().find("(endpoint from AWS_ENDPOINT_URL)") != std::string::npos);
  }
}

TEST_CASE(
    "SSO: a role_arn profile whose source_profile is an SSO profile signs AssumeRole with "
    "the SSO role credentials",
    "[credentials][sso][sts]") {
  FakeSso sso;
  bedrock_lite::test::FakeStsOptions options;
  options.keys = {{"ASIASSOROLE1", "sso/role+secret/0001"}};
  options.roles["arn:aws:iam::111111111111:role/admin"] = {"ASIAADMIN", "admin-secret",
                                                           "admin-session-token"};
  bedrock_lite::test::FakeSts sts(options);
  SsoWorld world(sso, kSessionConfig +
                          "[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\n"
                          "source_profile = dev\n");
  world.vars["AWS_PROFILE"] = "admin";
  world.vars["AWS_REGION"] = "us-east-1";
  world.vars["AWS_ENDPOINT_URL_STS"] = sts.url();
  world.write_token(kSessionCache, token_json("sso-access-token-1", kNow + 1h));
  set_portal(sso, kNow + 3h);
  auto result = creds::make_default_chain(world.context())->resolve();
  INFO(world.log.all());
  INFO((result ? "" : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(result->source == "assume-role:admin");
  CHECK(result->access_key_id == "ASIAADMIN");
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].action == "AssumeRole");
  CHECK(seen[0].signature_valid);
  CHECK(seen[0].signer == "ASIASSOROLE1");
  CHECK(seen[0].security_token == "sso-role-session-token-0001");
  auto l = sso.lock();
  CHECK(sso.state().portal_calls == 1);
}
