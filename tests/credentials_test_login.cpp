// credentials: `aws login` profiles. The SDKs' shared login provider cases
// (fixtures/vectors/login-provider/, see its README for how they are run) drive a table; each
// case gets real files in a temporary HOME and a loopback fake of the sign-in service that checks
// every DPoP proof (support/fake_signin.h). Then the cases the table does not cover.
#include <bedrock_lite/credentials.h>

#include "support/environment.h"
#include "support/fake_signin.h"
#include "support/fixtures.h"
#include "support/json.h"

#include <catch2/catch.hpp>

#include <mutex>

namespace creds = bedrock_lite::credentials;
namespace test = bedrock_lite::test;
using bedrock_lite::ErrorKind;
using bedrock_lite::LogLevel;
using namespace std::chrono_literals;

namespace {

// The clock every SDK runs these cases at.
const creds::TimePoint kCaseNow = *creds::parse_iso8601("2025-11-19T00:00:00Z");
const std::string kSession = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
// SHA-256 of kSession, as the fixture names its cache file (and Python hashlib agrees).
const std::string kCacheName =
    "4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json";

std::int64_t seconds_of(creds::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct LoginLog {
  std::mutex mutex;
  std::string text;
  bedrock_lite::LogHook hook() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      text += (level == LogLevel::Warn ? "warn: " : "debug: ") + std::string(message) + "\n";
    };
  }
};

struct LoginWorld {
  std::shared_ptr<bedrock_lite::http::Transport> transport =
      bedrock_lite::http::make_curl_transport();
  test::TempDir home;
  std::map<std::string, std::string> vars;
  creds::TimePoint now = kCaseNow;
  LoginLog log;

  LoginWorld(const test::FakeSignin& signin, const std::string& config) {
    home.write(".aws/config", config);
    vars = {{"HOME", home.path().string()},
            {"AWS_PROFILE", "signin"},
            {"AWS_REGION", "us-west-2"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_ENDPOINT_URL_SIGNIN", signin.url()}};
  }
  bedrock_lite::Result<creds::Credentials> resolve() {
    creds::ProviderContext context;
    context.environment = creds::Environment(vars);
    context.transport = transport;
    const auto at = now;
    context.clock = [at] { return at; };
    context.log = log.hook();
    return creds::make_profile_provider(std::move(context))->resolve();
  }
};

std::string string_of(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  REQUIRE(it != object.MemberEnd());
  REQUIRE(it->value.IsString());
  return it->value.GetString();
}

// A fixture cache file's dpopKey, for the fake's signature check.
std::string dpop_key_of(const rapidjson::Value& cache_contents) {
  for (auto it = cache_contents.MemberBegin(); it != cache_contents.MemberEnd(); ++it) {
    auto key = it->value.FindMember("dpopKey");
    if (key != it->value.MemberEnd()) return key->value.GetString();
  }
  return {};
}

void check_credentials(const bedrock_lite::Result<creds::Credentials>& result,
                       const rapidjson::Value& outcome) {
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  CHECK(result->access_key_id == string_of(outcome, "accessKeyId"));
  CHECK(result->secret_access_key.reveal() == string_of(outcome, "secretAccessKey"));
  CHECK(result->session_token.reveal() == string_of(outcome, "sessionToken"));
  CHECK(result->account_id == string_of(outcome, "accountId"));
  CHECK(result->source == "login:signin");
  REQUIRE(result->expiration.has_value());
  const std::string expires_at = string_of(outcome, "expiresAt");
  if (auto expected = creds::parse_iso8601(expires_at)) {
    CHECK(*result->expiration == *expected);
  } else {
    // Beyond a system_clock time point (year 3025): "never", later than any real expiry.
    CHECK(*result->expiration > *creds::parse_iso8601("2200-01-01T00:00:00Z"));
  }
}

void check_cache(const LoginWorld& world, const rapidjson::Value& outcome) {
  for (auto file = outcome.MemberBegin(); file != outcome.MemberEnd(); ++file) {
    const std::string name = file->name.GetString();
    if (name == "result") continue;
    const auto path = world.home.path() / ".aws/login/cache" / name;
    auto actual = test::parse_json(test::read_file(path));
    REQUIRE(actual.IsObject());
    for (auto expected = file->value.MemberBegin(); expected != file->value.MemberEnd();
         ++expected) {
      const std::string key = expected->name.GetString();
      INFO(name << " member " << key);
      auto found = actual.FindMember(key.c_str());
      REQUIRE(found != actual.MemberEnd());
      CHECK(test::json_difference(test::render_json(found->value),
                                  test::render_json(expected->value)) == "");
    }
  }
}

void run_case(const rapidjson::Value& c) {
  test::FakeSignin signin;
  LoginWorld world(signin, string_of(c, "configContents"));
  const auto& cache = c["cacheContents"];
  for (auto file = cache.MemberBegin(); file != cache.MemberEnd(); ++file) {
    world.home.write(std::string(".aws/login/cache/") + file->name.GetString(),
                     test::render_json(file->value));
  }
  signin.expect(dpop_key_of(cache), seconds_of(world.now));
  std::vector<std::string> expected_inputs;
  if (c.HasMember("mockApiCalls")) {
    for (const auto& call : c["mockApiCalls"].GetArray()) {
      expected_inputs.push_back(test::render_json(call["request"]["tokenInput"]));
      if (call.HasMember("responseCode")) {
        signin.push({call["responseCode"].GetInt(), R"({"error":"refresh_failed"})"});
      } else {
        signin.push({200, test::render_json(call["response"]["tokenOutput"])});
      }
    }
  }
  const auto result = world.resolve();
  for (const auto& outcome : c["outcomes"].GetArray()) {
    const std::string kind = string_of(outcome, "result");
    INFO("outcome " << kind << "\n" << world.log.text);
    if (kind == "credentials") {
      check_credentials(result, outcome);
    } else if (kind == "cacheContents") {
      check_cache(world, outcome);
    } else {
      REQUIRE(kind == "error");
      CHECK_FALSE(result.ok());
    }
  }
  const auto seen = signin.seen();
  REQUIRE(seen.size() == expected_inputs.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].dpop_problem == "");
    CHECK(test::json_difference(seen[i].body, expected_inputs[i]) == "");
  }
  // Whatever happened, no secret of the cache reached the log.
  for (const char* secret : {"wJalrXUtnFEMI", "newRefreshedSecretKey", "refresh_token\"",
                             "BEGIN EC PRIVATE KEY", "valid_refresh_token"}) {
    CHECK(world.log.text.find(secret) == std::string::npos);
  }
}

std::string fixture_cache(const std::string& access_expires_at,
                          const std::string& key_id = "ASIALOGIN1") {
  auto cases = test::parse_json(
      test::read_file(test::fixture_path("vectors/login-provider/login-provider-test-cases.json")));
  auto& file = cases[6]["cacheContents"][kCacheName.c_str()];
  auto& allocator = cases.GetAllocator();
  file["accessToken"]["expiresAt"].SetString(access_expires_at.c_str(), allocator);
  file["accessToken"]["accessKeyId"].SetString(key_id.c_str(), allocator);
  return test::render_json(file);
}

const char* kLoginConfig =
    "[profile signin]\nlogin_session = arn:aws:sts::012345678910:assumed-role/Admin/admin\n";

}  // namespace

TEST_CASE("login: the SDKs' shared login provider cases", "[credentials][login]") {
  const auto text =
      test::read_file(test::fixture_path("vectors/login-provider/login-provider-test-cases.json"));
  auto cases = test::parse_json(text);
  REQUIRE_FALSE(cases.HasParseError());
  REQUIRE(cases.IsArray());
  REQUIRE(cases.Size() >= 8);
  for (const auto& c : cases.GetArray()) {
    SECTION(string_of(c, "documentation")) {
      run_case(c);
    }
  }
}

TEST_CASE("login: inside the refresh window a failed refresh keeps the cached credentials",
          "[credentials][login]") {
  test::FakeSignin signin;
  LoginWorld world(signin, kLoginConfig);
  world.home.write(".aws/login/cache/" + kCacheName,
                   fixture_cache(creds::format_iso8601(kCaseNow + 3min)));
  auto cases = test::parse_json(
      test::read_file(test::fixture_path("vectors/login-provider/login-provider-test-cases.json")));
  signin.expect(dpop_key_of(cases[6]["cacheContents"]), seconds_of(world.now));
  signin.push({401, R"({"error":"TOKEN_EXPIRED","message":"Session expired"})"});
  auto result = world.resolve();
  REQUIRE(result.ok());
  CHECK(result->access_key_id == "ASIALOGIN1");
  CHECK(*result->expiration == kCaseNow + 3min);
  CHECK(world.log.text.find("warn: credentials: login:signin: refresh failed "
                            "(AccessDeniedException: sign-in CreateOAuth2Token at " +
                            signin.url() + "/v1/token answered HTTP 401: Session expired") !=
        std::string::npos);
  REQUIRE(signin.seen().size() == 1);
  CHECK(signin.seen()[0].dpop_problem == "");
}

TEST_CASE("login: an expired session the service refuses asks for aws login",
          "[credentials][login]") {
  test::FakeSignin signin;
  LoginWorld world(signin, kLoginConfig);
  world.home.write(".aws/login/cache/" + kCacheName, fixture_cache("2025-11-18T00:00:00Z"));
  auto cases = test::parse_json(
      test::read_file(test::fixture_path("vectors/login-provider/login-provider-test-cases.json")));
  signin.expect(dpop_key_of(cases[6]["cacheContents"]), seconds_of(world.now));
  signin.push({401, R"({"error":"TOKEN_EXPIRED","message":"Session expired"})"});
  auto result = world.resolve();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().aws_type == "AccessDeniedException");
  CHECK(result.error().http_status == 401);
  CHECK(result.error().message.find("; run `aws login --profile signin`") != std::string::npos);
}

TEST_CASE("login: AWS_LOGIN_CACHE_DIRECTORY, a trimmed session, no cache", "[credentials][login]") {
  test::FakeSignin signin;
  SECTION("the cache folder comes from AWS_LOGIN_CACHE_DIRECTORY; the session is trimmed") {
    LoginWorld world(signin, "[profile signin]\nlogin_session =   " + kSession + "   \n");
    world.home.write("elsewhere/" + kCacheName, fixture_cache("2026-01-01T00:00:00Z"));
    world.vars["AWS_LOGIN_CACHE_DIRECTORY"] = (world.home.path() / "elsewhere").string();
    auto result = world.resolve();
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "ASIALOGIN1");
    CHECK(result->source == "login:signin");
    CHECK(world.log.text.find("login_session '" + kSession + "'") != std::string::npos);
  }
  SECTION("no cache file: NoCredentials naming the file and the command") {
    LoginWorld world(signin, kLoginConfig);
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
    CHECK(result.error().message ==
          "no `aws login` session cache at " +
              (world.home.path() / ".aws/login/cache" / kCacheName).string() +
              " for login_session '" + kSession + "'; run `aws login --profile signin`");
  }
  SECTION("a malformed key is a Config error that does not quote it") {
    LoginWorld world(signin, kLoginConfig);
    auto cache = test::parse_json(fixture_cache("2025-11-18T00:00:00Z"));
    cache["dpopKey"].SetString(
        "-----BEGIN EC PRIVATE KEY-----\nnot-a-key\n-----END EC PRIVATE "
        "KEY-----\n");
    world.home.write(".aws/login/cache/" + kCacheName, test::render_json(cache));
    auto result = world.resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message.find("login dpopKey: not a PEM private key") != std::string::npos);
    CHECK(result.error().message.find("not-a-key") == std::string::npos);
    CHECK(signin.seen().empty());
  }
}

TEST_CASE("login: botocore's order inside a profile", "[credentials][login]") {
  test::FakeSignin signin;
  LoginWorld world(signin, std::string(kLoginConfig) + "credential_process = /bin/false\n");
  world.home.write(".aws/login/cache/" + kCacheName, fixture_cache("2026-01-01T00:00:00Z"));
  SECTION("login_session comes before credential_process") {
    auto result = world.resolve();
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(result->source == "login:signin");
  }
  SECTION("static keys in the credentials file come before login_session") {
    world.home.write(".aws/credentials",
                     "[signin]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
    auto result = world.resolve();
    REQUIRE(result.ok());
    CHECK(result->source == "profile:signin");
    CHECK(result->access_key_id == "AKIDFILE");
  }
}
