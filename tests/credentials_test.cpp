// credentials: environment snapshot, shared-file parser (docs/wire-protocol.md §5.3), profile and
// environment providers, credential_process with real scripts, region, bearer token, timestamps.
#include <bedrock_lite/credentials.h>

#include "support/environment.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bl = bedrock_lite;
namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::TempDir;

namespace {

creds::Environment env_of(std::map<std::string, std::string> vars) {
  return creds::Environment(std::move(vars));
}

creds::SharedConfig parse_ok(const std::string& config, const std::string& credentials = "") {
  auto parsed = creds::SharedConfig::parse(config, "config", credentials, "credentials");
  INFO((parsed ? std::string() : parsed.error().to_string()));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string value_of(const creds::SharedConfig& config, const std::string& profile,
                     const std::string& key) {
  const auto* property = config.get(profile, key);
  return property == nullptr ? std::string("<absent>") : property->value;
}

// A context for providers that need no network, over a temp HOME.
creds::ProviderContext context_for(const TempDir& home,
                                   std::map<std::string, std::string> vars = {}) {
  vars["HOME"] = home.path().string();
  vars.emplace("PATH", "/usr/bin:/bin");
  creds::ProviderContext context;
  context.environment = env_of(std::move(vars));
  return context;
}

}  // namespace

TEST_CASE("Environment is a snapshot built from a map, HOME expansion", "[credentials][env]") {
  auto env = env_of({{"A", "1"}, {"EMPTY", ""}, {"FLAG", "TrUe"}, {"HOME", "/home/u"}});
  CHECK(env.get("A") == std::optional<std::string>("1"));
  CHECK(env.get("EMPTY") == std::optional<std::string>(""));
  CHECK_FALSE(env.get_non_empty("EMPTY").has_value());
  CHECK_FALSE(env.get("MISSING").has_value());
  CHECK(env.is_true("FLAG"));
  CHECK_FALSE(env.is_true("A"));
  CHECK(env.expand_home("~/.aws/config") == "/home/u/.aws/config");
  CHECK(env.expand_home("~other/x") == "~other/x");
  CHECK(env.expand_home("/abs/~/x") == "/abs/~/x");
  CHECK(env_of({{"USERPROFILE", "C:\\Users\\u"}}).home() ==
        std::optional<std::string>("C:\\Users\\u"));
  CHECK(env_of({{"HOMEDRIVE", "C:"}, {"HOMEPATH", "\\Users\\v"}}).home() ==
        std::optional<std::string>("C:\\Users\\v"));
  CHECK_FALSE(env_of({}).home().has_value());

  auto process = creds::Environment::from_process();
  CHECK(process.get("PATH").has_value());
}

TEST_CASE("Environment provider: keys, session token, expiration, half-set keys are errors",
          "[credentials][env]") {
  SECTION("id, secret and session token") {
    auto provider =
        creds::make_environment_provider(env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                                 {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                                                 {"AWS_SESSION_TOKEN", "env-token"}}));
    auto result = provider->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDENV");
    CHECK(result->secret_access_key.reveal() == "env-secret");
    CHECK(result->session_token.reveal() == "env-token");
    CHECK(result->source == "environment");
    CHECK_FALSE(result->expiration.has_value());
  }
  SECTION("legacy AWS_SECURITY_TOKEN and AWS_CREDENTIAL_EXPIRATION") {
    auto result = creds::make_environment_provider(
                      env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                              {"AWS_SECRET_ACCESS_KEY", "s"},
                              {"AWS_SECURITY_TOKEN", "legacy"},
                              {"AWS_CREDENTIAL_EXPIRATION", "2030-05-06T07:08:09Z"}}))
                      ->resolve();
    REQUIRE(result.ok());
    CHECK(result->session_token.reveal() == "legacy");
    REQUIRE(result->expiration.has_value());
    CHECK(creds::format_iso8601(*result->expiration) == "2030-05-06T07:08:09Z");
  }
  SECTION("an id without a secret names the missing variable") {
    auto result =
        creds::make_environment_provider(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}}))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  SECTION("a secret without an id names the missing variable") {
    auto result =
        creds::make_environment_provider(env_of({{"AWS_SECRET_ACCESS_KEY", "top-secret-value"}}))
            ->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message == "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    CHECK(result.error().message.find("top-secret-value") == std::string::npos);
  }
  SECTION("neither set (or set empty) is 'not configured', so a chain moves on") {
    auto result = creds::make_environment_provider(
                      env_of({{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}}))
                      ->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
  }
  SECTION("a malformed expiration is a Config error") {
    auto result =
        creds::make_environment_provider(env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                                                 {"AWS_SECRET_ACCESS_KEY", "s"},
                                                 {"AWS_CREDENTIAL_EXPIRATION", "tomorrow"}}))
            ->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message.find("AWS_CREDENTIAL_EXPIRATION") != std::string::npos);
  }
}

// Each row: config text, credentials text, then expected profile.key=value pairs.
struct ParserCase {
  const char* name;
  const char* config;
  const char* credentials;
  std::vector<std::tuple<const char*, const char*, const char*>> expected;  // profile, key, value
};

TEST_CASE("Shared files: the cross-SDK parser rules (docs/wire-protocol.md 5.3)",
          "[credentials][ini]") {
  const std::vector<ParserCase> cases = {
      {"comment lines with # and ;",
       "# top\n; also\n[default]\n# inside\nregion = us-east-1\n",
       "",
       {{"default", "region", "us-east-1"}}},
      {"inline comment only after whitespace",
       "[default]\na = b #c\nd = e#f\ng = h;i\nj = k ;l\n",
       "",
       {{"default", "a", "b"},
        {"default", "d", "e#f"},
        {"default", "g", "h;i"},
        {"default", "j", "k"}}},
      {"whitespace around keys and values, tabs",
       "[default]\n \t\nregion\t=\t eu-west-1 \t\n",
       "",
       {{"default", "region", "eu-west-1"}}},
      {"empty value allowed",
       "[default]\nregion =\nother = x\n",
       "",
       {{"default", "region", ""}, {"default", "other", "x"}}},
      {"continuation lines join with newline, comments kept",
       "[default]\na = first\n  second # kept\n\tthird\n",
       "",
       {{"default", "a", "first\nsecond # kept\nthird"}}},
      {"[profile x] in config, bare [x] ignored there",
       "[profile dev]\nregion = r1\n[prod]\nregion = r2\n",
       "",
       {{"dev", "region", "r1"}, {"prod", "region", "<absent>"}}},
      {"tabs between 'profile' and the name, comment after ]",
       "[profile\t\tdev] # note\nregion = r1\n[ profile  qa ];x\nregion = r3\n",
       "",
       {{"dev", "region", "r1"}, {"qa", "region", "r3"}}},
      {"credentials file: bare [x]; [profile x] ignored there",
       "",
       "[dev]\naws_access_key_id = A\n[profile qa]\naws_access_key_id = B\n",
       {{"dev", "aws_access_key_id", "A"}, {"qa", "aws_access_key_id", "<absent>"}}},
      {"credentials file wins for the same key; other keys merge",
       "[profile dev]\naws_access_key_id = FROMCONFIG\nregion = r1\n",
       "[dev]\naws_access_key_id = FROMCREDS\n",
       {{"dev", "aws_access_key_id", "FROMCREDS"}, {"dev", "region", "r1"}}},
      {"duplicate keys: last wins, keys are case-insensitive",
       "[default]\nRegion = one\nREGION = two\n[default]\nregion = three\n",
       "",
       {{"default", "region", "three"}}},
      {"[profile default] beats [default], which is then ignored",
       "[default]\nregion = bare\nonly_bare = x\n[profile default]\nregion = prefixed\n",
       "",
       {{"default", "region", "prefixed"}, {"default", "only_bare", "<absent>"}}},
      {"profile names are case-sensitive",
       "[profile Dev]\nregion = r\n",
       "",
       {{"Dev", "region", "r"}, {"dev", "region", "<absent>"}}},
      {"invalid profile names are ignored",
       "[profile bad!name]\nregion = r\n[profile ok]\nregion = s\n",
       "",
       {{"bad!name", "region", "<absent>"}, {"ok", "region", "s"}}},
      {"CRLF line ends",
       "[default]\r\nregion = us-west-2\r\n",
       "",
       {{"default", "region", "us-west-2"}}},
      {"sub-section lines are kept apart from the value",
       "[default]\ns3 =\n  max_concurrent_requests = 10\nregion = r\n",
       "",
       {{"default", "s3", ""}, {"default", "region", "r"}}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto config = parse_ok(c.config, c.credentials);
      for (const auto& [profile, key, value] : c.expected) {
        INFO(c.name << ": " << profile << "." << key);
        CHECK(value_of(config, profile, key) == value);
      }
    }
  }
}

TEST_CASE("Shared files: services sub-sections and where each value came from",
          "[credentials][ini]") {
  auto config = parse_ok(
      "[profile dev]\nregion = us-east-1\nservices = local\n\n"
      "[services local]\nbedrock_runtime =\n  endpoint_url = http://localhost:8080\n"
      "  Max_Attempts = 5\ns3 =\n  endpoint_url = http://s3.local\n");
  CHECK(config.service_get("dev", "bedrock_runtime", "endpoint_url") ==
        std::optional<std::string>("http://localhost:8080"));
  CHECK(config.service_get("dev", "bedrock_runtime", "max_attempts") ==
        std::optional<std::string>("5"));
  CHECK(config.service_get("dev", "s3", "endpoint_url") ==
        std::optional<std::string>("http://s3.local"));
  CHECK_FALSE(config.service_get("dev", "sts", "endpoint_url").has_value());
  CHECK_FALSE(config.service_get("default", "bedrock_runtime", "endpoint_url").has_value());
  const auto* region = config.get("dev", "region");
  REQUIRE(region != nullptr);
  CHECK(region->where() == "config:2");
  REQUIRE(config.services("local") != nullptr);
}

TEST_CASE("Shared files: malformed lines are Config errors naming file:line",
          "[credentials][ini]") {
  struct Bad {
    const char* config;
    const char* credentials;
    const char* message;
  };
  const std::vector<Bad> cases = {
      {"[default]\nregion = x\nthis line has no equals\n", "",
       "config:3: expected 'key = value' (no '=')"},
      {"[default]\n= value\n", "", "config:2: property with an empty key"},
      {"[default]\n = value\n", "", "config:2: indented line does not continue a property"},
      {"region = x\n", "", "config:1: property before any section header"},
      {"[profile dev\nregion = x\n", "", "config:1: section header without a closing ']'"},
      {"[profile dev] junk\n", "", "config:1: unexpected text after ']' in section header"},
      {"[default]\ns3 =\n  no equals here\n", "",
       "config:3: expected 'key = value' in a sub-section"},
      {"", "[default]\naws_access_key_id = A\n\n  \nbroken\n",
       "credentials:5: expected 'key = value' (no '=')"},
      {"  indented first\n", "", "config:1: indented line before any section header"},
  };
  for (const auto& c : cases) {
    auto parsed = creds::SharedConfig::parse(c.config, "config", c.credentials, "credentials");
    INFO(c.config << "|" << c.credentials);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::Config);
    CHECK(parsed.error().message == c.message);
  }
}

TEST_CASE("Shared files: loaded from HOME or the override variables, bounded",
          "[credentials][ini]") {
  TempDir home;
  SECTION("no files at all is an empty config, not an error") {
    auto loaded = creds::SharedConfig::load(env_of({{"HOME", home.path().string()}}));
    REQUIRE(loaded.ok());
    CHECK(loaded->profile("default") == nullptr);
    CHECK(loaded->describe_files() == home.path().string() + "/.aws/config (missing), " +
                                          home.path().string() + "/.aws/credentials (missing)");
  }
  SECTION("~/.aws files") {
    home.write(".aws/config", "[default]\nregion = eu-central-1\n");
    home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDHOME\n");
    auto loaded = creds::SharedConfig::load(env_of({{"HOME", home.path().string()}}));
    REQUIRE(loaded.ok());
    CHECK(value_of(*loaded, "default", "region") == "eu-central-1");
    CHECK(value_of(*loaded, "default", "aws_access_key_id") == "AKIDHOME");
    CHECK(loaded->get("default", "region")->where() == home.path().string() + "/.aws/config:2");
  }
  SECTION("AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE override, with ~ expanded") {
    home.write(".aws/config", "[default]\nregion = ignored\n");
    home.write("alt/cfg", "[default]\nregion = from-alt\n");
    home.write("alt/creds", "[default]\naws_access_key_id = ALT\n");
    auto loaded = creds::SharedConfig::load(
        env_of({{"HOME", home.path().string()},
                {"AWS_CONFIG_FILE", "~/alt/cfg"},
                {"AWS_SHARED_CREDENTIALS_FILE", (home.path() / "alt/creds").string()}}));
    REQUIRE(loaded.ok());
    CHECK(value_of(*loaded, "default", "region") == "from-alt");
    CHECK(value_of(*loaded, "default", "aws_access_key_id") == "ALT");
  }
  SECTION("an oversized file is refused") {
    home.write(".aws/config",
               "[default]\n" + std::string(creds::SharedConfig::kMaxFileBytes, '#') + "\n");
    auto loaded = creds::SharedConfig::load(env_of({{"HOME", home.path().string()}}));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().kind == ErrorKind::Config);
    CHECK(loaded.error().message.find("larger than") != std::string::npos);
  }
  SECTION("a malformed file names its real path and line") {
    auto path = home.write(".aws/credentials", "[default]\nnot a property\n");
    auto loaded = creds::SharedConfig::load(env_of({{"HOME", home.path().string()}}));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().message == path.string() + ":2: expected 'key = value' (no '=')");
  }
}

TEST_CASE("Profile provider: static keys, selection, unknown profiles", "[credentials][profile]") {
  TempDir home;
  home.write(".aws/credentials",
             "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n"
             "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n"
             "aws_session_token = dev-token\n"
             "[half]\naws_access_key_id = AKIDHALF\n");
  home.write(".aws/config",
             "[profile cfgkeys]\naws_access_key_id = AKIDCFG\n"
             "aws_secret_access_key = cfg-secret\n[profile empty]\nregion = x\n");

  SECTION("default profile") {
    auto result = creds::make_profile_provider(context_for(home))->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDDEFAULT");
    CHECK(result->source == "profile:default");
  }
  SECTION("--profile beats AWS_PROFILE") {
    auto context = context_for(home, {{"AWS_PROFILE", "cfgkeys"}});
    context.profile = "dev";
    auto result = creds::make_profile_provider(context)->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDDEV");
    CHECK(result->session_token.reveal() == "dev-token");
    CHECK(result->source == "profile:dev");
  }
  SECTION("AWS_PROFILE, keys from the config file") {
    auto result =
        creds::make_profile_provider(context_for(home, {{"AWS_PROFILE", "cfgkeys"}}))->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDCFG");
    CHECK(result->source == "profile:cfgkeys");
  }
  SECTION("an explicitly chosen unknown profile names itself and the files read") {
    auto context = context_for(home);
    context.profile = "nosuch";
    auto result = creds::make_profile_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message == "profile 'nosuch' not found in " + home.path().string() +
                                        "/.aws/config (read), " + home.path().string() +
                                        "/.aws/credentials (read)");
  }
  SECTION("a missing default profile is just 'not configured'") {
    TempDir empty_home;
    auto result = creds::make_profile_provider(context_for(empty_home))->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
  }
  SECTION("an id without a secret is a Config error at file:line") {
    auto context = context_for(home);
    context.profile = "half";
    auto result = creds::make_profile_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Config);
    CHECK(result.error().message ==
          home.path().string() +
              "/.aws/credentials:9: profile 'half' has aws_access_key_id but no "
              "aws_secret_access_key");
  }
  SECTION("a profile without keys or process is 'not configured'") {
    auto context = context_for(home);
    context.profile = "empty";
    auto result = creds::make_profile_provider(context)->resolve();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::NoCredentials);
  }
  SECTION("construction does no I/O: a provider built before the files exist sees them") {
    TempDir later;
    auto provider = creds::make_profile_provider(context_for(later));
    later.write(".aws/credentials",
                "[default]\naws_access_key_id = LATE\naws_secret_access_key = s\n");
    auto result = provider->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "LATE");
  }
}

namespace {

// Writes an executable script and returns its path.
std::filesystem::path write_script(const TempDir& dir, const std::string& name,
                                   const std::string& body) {
  auto path = dir.write(name, "#!/bin/sh\n" + body);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

}  // namespace

TEST_CASE("credential_process: a real script, Version 1 JSON, errors with capped stderr",
          "[credentials][process]") {
  TempDir dir;
  auto env = env_of(
      {{"PATH", "/usr/bin:/bin"}, {"HOME", dir.path().string()}, {"FROM_SNAPSHOT", "AKIDSNAP"}});

  SECTION("success with session token and Expiration; the child sees the snapshot environment") {
    auto script =
        write_script(dir, "ok helper.sh",
                     "echo 'ignored on stderr' >&2\n"
                     "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", "
                     "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\", "
                     "\"Expiration\": \"2031-02-03T04:05:06Z\", \"AccountId\": \"111122223333\"}' "
                     "\"$FROM_SNAPSHOT\"\n");
    // Quoted path with a space and an argument: split like a shell, run without one.
    auto result =
        creds::run_credential_process("\"" + script.string() + "\" --flag 'two words'", "dev", env);
    INFO((result ? std::string() : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDSNAP");
    CHECK(result->secret_access_key.reveal() == "proc-secret");
    CHECK(result->session_token.reveal() == "proc-token");
    REQUIRE(result->expiration.has_value());
    CHECK(creds::format_iso8601(*result->expiration) == "2031-02-03T04:05:06Z");
    CHECK(result->account_id == "111122223333");
    CHECK(result->source == "process:dev");
  }
  SECTION("arguments arrive intact") {
    auto script =
        write_script(dir, "args.sh",
                     "[ \"$1\" = 'a b' ] && [ \"$2\" = 'c\"d' ] && [ \"$3\" = 'e f' ] || "
                     "{ echo \"bad args: $*\" >&2; exit 9; }\n"
                     "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'\n");
    auto result =
        creds::run_credential_process(script.string() + " 'a b' \"c\\\"d\" e\\ f", "p", env);
    INFO((result ? std::string() : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK_FALSE(result->expiration.has_value());
    CHECK(result->session_token.empty());
  }
  SECTION("a non-zero exit is an error carrying stderr, capped, on one line") {
    auto script = write_script(dir, "fail.sh",
                               "echo 'token expired: run aws sso login' >&2\n"
                               "echo 'second line' >&2\n"
                               "head -c 5000 /dev/zero | tr '\\0' x >&2\nexit 3\n");
    auto result = creds::run_credential_process(script.string(), "dev", env);
    REQUIRE_FALSE(result.ok());
    const auto& message = result.error().message;
    CHECK(message.rfind("credential_process of profile 'dev': exited with status 3; stderr: "
                        "token expired: run aws sso login second line xxx",
                        0) == 0);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 1200);
  }
  SECTION("bad JSON is an error with stderr, never the stdout") {
    auto script = write_script(
        dir, "badjson.sh",
        "echo 'warning: something' >&2\n"
        "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leaky-secret\"'\n");
    auto result = creds::run_credential_process(script.string(), "dev", env);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Protocol);
    CHECK(result.error().message.find("response is not JSON") != std::string::npos);
    CHECK(result.error().message.find("stderr: warning: something") != std::string::npos);
    CHECK(result.error().message.find("leaky-secret") == std::string::npos);
  }
  SECTION("Version other than 1 is refused") {
    auto script = write_script(
        dir, "v2.sh", "echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'\n");
    auto result = creds::run_credential_process(script.string(), "dev", env);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message ==
          "credential_process of profile 'dev': field 'Version' must be 1");
  }
  SECTION("a missing required field is named") {
    auto script =
        write_script(dir, "nosecret.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"A\"}'\n");
    auto result = creds::run_credential_process(script.string(), "dev", env);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message ==
          "credential_process of profile 'dev': missing field 'SecretAccessKey'");
  }
  SECTION("a hung helper is stopped at the timeout") {
    auto script = write_script(dir, "hang.sh", "exec sleep 30\n");
    creds::ProcessSettings settings;
    settings.timeout = std::chrono::milliseconds(200);
    auto result = creds::run_credential_process(script.string(), "dev", env, settings);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Timeout);
  }
  SECTION("stdout beyond the bound is refused") {
    auto script = write_script(dir, "flood.sh", "head -c 200000 /dev/zero | tr '\\0' ' '\n");
    auto result = creds::run_credential_process(script.string(), "dev", env);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("bytes on stdout") != std::string::npos);
  }
  SECTION("a program not on PATH, an unterminated quote") {
    auto missing = creds::run_credential_process("no-such-helper-xyz", "dev", env);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message ==
          "credential_process of profile 'dev': program 'no-such-helper-xyz' not found in PATH");
    auto quote = creds::run_credential_process("helper 'open", "dev", env);
    REQUIRE_FALSE(quote.ok());
    CHECK(quote.error().message ==
          "credential_process of profile 'dev': unterminated ' in command");
  }
  SECTION("through a profile: source process:<name>; credentials-file keys would win") {
    auto script = write_script(
        dir, "p.sh",
        "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"S\"}'\n");
    dir.write(".aws/config", "[profile tool]\ncredential_process = " + script.string() +
                                 "\n[profile both]\ncredential_process = " + script.string() +
                                 "\n");
    dir.write(".aws/credentials",
              "[both]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
    auto context = context_for(dir);
    context.profile = "tool";
    auto result = creds::make_profile_provider(context)->resolve();
    REQUIRE(result.ok());
    CHECK(result->access_key_id == "AKIDPROC");
    CHECK(result->source == "process:tool");
    context.profile = "both";
    auto both = creds::make_profile_provider(context)->resolve();
    REQUIRE(both.ok());
    CHECK(both->access_key_id == "AKIDFILE");
  }
}

TEST_CASE("Region: --region > AWS_REGION > AWS_DEFAULT_REGION > profile region",
          "[credentials][region]") {
  auto config = parse_ok("[default]\nregion = from-default\n[profile dev]\nregion = from-dev\n");
  struct Row {
    std::optional<std::string> cli;
    std::map<std::string, std::string> env;
    std::optional<std::string> profile;
    const char* name;
    const char* source;
  };
  const std::vector<Row> rows = {
      {"cli-r",
       {{"AWS_REGION", "env-r"}, {"AWS_DEFAULT_REGION", "def-r"}},
       {},
       "cli-r",
       "--region"},
      {{}, {{"AWS_REGION", "env-r"}, {"AWS_DEFAULT_REGION", "def-r"}}, {}, "env-r", "AWS_REGION"},
      {{},
       {{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "def-r"}},
       {},
       "def-r",
       "AWS_DEFAULT_REGION"},
      {{}, {}, {}, "from-default", "profile default (config:2)"},
      {{}, {{"AWS_PROFILE", "dev"}}, {}, "from-dev", "profile dev (config:4)"},
      {{}, {{"AWS_PROFILE", "default"}}, std::string("dev"), "from-dev", "profile dev (config:4)"},
  };
  for (const auto& row : rows) {
    auto region = creds::resolve_region(row.cli, env_of(row.env), config, row.profile);
    INFO(row.name);
    REQUIRE(region.ok());
    CHECK(region->name == row.name);
    CHECK(region->source == row.source);
  }
  auto missing = creds::resolve_region({}, env_of({{"AWS_PROFILE", "other"}}), config, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::NoRegion);
  CHECK(missing.error().to_string() ==
        "NoRegion: no region: looked at --region, AWS_REGION, AWS_DEFAULT_REGION and 'region' of "
        "profile 'other' in config (read), credentials (read)");
}

TEST_CASE("Bearer token: AWS_BEARER_TOKEN_BEDROCK, unless sigv4 is preferred",
          "[credentials][bearer]") {
  CHECK_FALSE(creds::bearer_token(env_of({})).has_value());
  CHECK_FALSE(creds::bearer_token(env_of({{"AWS_BEARER_TOKEN_BEDROCK", ""}})).has_value());
  auto token = creds::bearer_token(env_of({{"AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-abc"}}));
  REQUIRE(token.has_value());
  CHECK(token->reveal() == "bedrock-api-key-abc");
  CHECK(std::string(token->masked()) == "<redacted>");
  CHECK_FALSE(creds::bearer_token(env_of({{"AWS_BEARER_TOKEN_BEDROCK", "k"},
                                          {"AWS_AUTH_SCHEME_PREFERENCE", "sigv4"}}))
                  .has_value());
  CHECK_FALSE(
      creds::bearer_token(env_of({{"AWS_BEARER_TOKEN_BEDROCK", "k"},
                                  {"AWS_AUTH_SCHEME_PREFERENCE", " sigv4 , httpBearerAuth"}}))
          .has_value());
  CHECK(creds::bearer_token(env_of({{"AWS_BEARER_TOKEN_BEDROCK", "k"},
                                    {"AWS_AUTH_SCHEME_PREFERENCE", "httpBearerAuth,sigv4"}}))
            .has_value());
  CHECK(creds::bearer_token(
            env_of({{"AWS_BEARER_TOKEN_BEDROCK", "k"}, {"AWS_AUTH_SCHEME_PREFERENCE", "sigv4a"}}))
            .has_value());
}

TEST_CASE("ISO-8601 timestamps as AWS sends them", "[credentials][time]") {
  auto base = creds::parse_iso8601("2026-01-01T00:00:00Z");
  REQUIRE(base.has_value());
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(base->time_since_epoch()).count() ==
        1767225600);
  CHECK(creds::parse_iso8601("2026-01-01T02:00:00+02:00") == base);
  CHECK(creds::parse_iso8601("2025-12-31T19:00:00-0500") == base);
  CHECK(creds::parse_iso8601("2026-01-01T00:00:00.000Z") == base);
  CHECK(creds::format_iso8601(*creds::parse_iso8601("2024-02-29T23:59:59.9Z")) ==
        "2024-02-29T23:59:59Z");
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00Zjunk",
        "20260101T000000Z", "2026-01-01T00:00:00.Z"}) {
    INFO(bad);
    CHECK_FALSE(creds::parse_iso8601(bad).has_value());
  }
}
