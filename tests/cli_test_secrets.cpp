// The secret sweep: known secret values (secret access key, session token, Bedrock API key, and
// an Authorization-bearing container token) go through every output channel we have — the
// built CLI's stdout and stderr with --debug for every subcommand, its error line for every
// error kind we can provoke, the files --record writes, the `credentials` command,
// credential_process and container failures, SSO and `aws login` profiles
// (whose caches hold tokens, refresh tokens, a client secret and a private key) — and no channel
// may contain a secret, nor the hex of any derived signing key (kDate, kRegion, kService,
// kSigning) for the dates around now. cli_test_secrets_library.cpp sweeps the library's own log
// hook, errors and recorded fixtures.

#include <bedrock_lite/credentials.h>

#include "cli_test_secrets_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fake_signin.h"
#include "support/fake_sso.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace bedrock_lite;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using namespace bedrock_lite::secrets_sweep;

TEST_CASE(
    "cli secrets: --debug, errors and --record of every Bedrock subcommand and chat leak nothing",
    "[cli][secrets]") {
  struct Command {
    std::vector<std::string> args;
    std::string stdin_text;
  };
  const std::vector<Command> commands = {
      {{"converse", "--model-id", "us.amazon.nova-micro-v1:0", "--prompt", "hi", "--output",
        "json"},
       ""},
      {{"converse-stream", "--model-id", "us.amazon.nova-micro-v1:0", "--prompt", "hi", "--output",
        "jsonl"},
       ""},
      {{"count-tokens", "--model-id", "us.amazon.nova-micro-v1:0", "--prompt", "hi", "--output",
        "json"},
       ""},
      // Not a terminal: one turn per line, then the token count so far.
      {{"chat", "--model-id", "us.amazon.nova-micro-v1:0"}, "hi\n/usage\n"},
  };
  // Every fault the fake server has that ends a call quickly, clean calls included.
  const Fault faults[] = {Fault::None,
                          Fault::Status400,
                          Fault::Status429,
                          Fault::ExpiredToken,
                          Fault::StreamException,
                          Fault::CorruptCrc,
                          Fault::ResetMidStream,
                          Fault::TruncatedJson,
                          Fault::ClockSkew,
                          Fault::StreamExceptionFirst};
  std::size_t runs = 0, errors = 0, recorded = 0;
  for (bool bearer : {false, true}) {
    for (const auto& command : commands) {
      for (Fault fault : faults) {
        test::TempDir home;
        FakeBedrock server(sweep_server_options());
        server.push_fault(fault);
        // Exhaust the retries of a throttled call, so the error line is printed.
        if (fault == Fault::Status429) server.push_fault(Fault::Status429);
        std::vector<std::string> args = command.args;
        const auto record_dir = home.path() / "recorded";
        for (const std::string& a :
             {std::string("--endpoint-url"), server.url(), std::string("--debug"),
              std::string("--max-attempts"), std::string("2"), std::string("--record"),
              record_dir.string()})
          args.push_back(a);
        std::vector<std::string> env = kSigV4Env;
        if (bearer) env.push_back("AWS_BEARER_TOKEN_BEDROCK=" + kBearer);
        const Run run = run_cli(home, args, env, command.stdin_text);
        ++runs;
        if (run.status != 0) ++errors;
        const std::string channel = command.args[0] + (bearer ? " (bearer)" : " (sigv4)") +
                                    " fault " + std::to_string(static_cast<int>(fault));
        sweep(channel + " stdout", run.out);
        sweep(channel + " stderr", run.err);
        // --debug showed the request headers, redacted.
        CHECK(run.err.find("<redacted>") != std::string::npos);
        if (std::filesystem::exists(record_dir)) {
          ++recorded;
          sweep(channel + " recorded fixtures", all_files_below(record_dir));
        }
      }
    }
  }
  CHECK(runs == 80);
  CHECK(errors >= 20);  // 400, exhausted 429, truncated JSON and the stream faults
  CHECK(recorded >= 20);
}

TEST_CASE("cli secrets: --record-mode once, new and all write and print no secret",
          "[cli][secrets]") {
  std::size_t runs = 0;
  for (const char* mode : {"once", "new", "all"}) {
    test::TempDir home;
    const auto record_dir = home.path() / "cassette";
    // Twice per fault: the second run replays (once, new) or records again (all).
    for (int round = 0; round < 2; ++round) {
      for (bool bearer : {false, true}) {
        for (Fault fault : {Fault::None, Fault::Status400, Fault::StreamException}) {
          FakeBedrock server(sweep_server_options());
          server.push_fault(fault);
          std::vector<std::string> args = {"converse-stream",
                                           "--model-id",
                                           "us.amazon.nova-micro-v1:0",
                                           "--prompt",
                                           std::string("hi ") + (bearer ? "bearer " : "") +
                                               std::to_string(static_cast<int>(fault)),
                                           "--endpoint-url",
                                           server.url(),
                                           "--debug",
                                           "--max-attempts",
                                           "1",
                                           "--record",
                                           record_dir.string(),
                                           "--record-mode",
                                           mode};
          std::vector<std::string> env = kSigV4Env;
          if (bearer) env.push_back("AWS_BEARER_TOKEN_BEDROCK=" + kBearer);
          const Run run = run_cli(home, args, env);
          ++runs;
          const std::string channel = std::string("--record-mode ") + mode + " fault " +
                                      std::to_string(static_cast<int>(fault));
          sweep(channel + " stdout", run.out);
          sweep(channel + " stderr", run.err);
        }
      }
    }
    REQUIRE(std::filesystem::exists(record_dir));
    const std::string files = all_files_below(record_dir);
    INFO(mode << ": " << files.substr(0, 3000));
    CHECK(files.find("<redacted>") != std::string::npos);
    sweep(std::string("--record-mode ") + mode + " recorded fixtures", files);
  }
  CHECK(runs == 36);
}

TEST_CASE("cli secrets: wrong credentials, a timeout and the credentials command leak nothing",
          "[cli][secrets]") {
  test::TempDir home;
  FakeBedrock server(sweep_server_options());
  // A refused signature (the server holds another secret).
  {
    std::vector<std::string> env = {"AWS_ACCESS_KEY_ID=" + kKeyId,
                                    "AWS_SECRET_ACCESS_KEY=" + kSecretKey + "-wrong",
                                    "AWS_SESSION_TOKEN=" + kSessionToken, "AWS_REGION=us-east-1"};
    const Run run = run_cli(home,
                            {"converse", "--model-id", "m", "--prompt", "hi", "--endpoint-url",
                             server.url(), "--debug"},
                            env);
    CHECK(run.status != 0);
    CHECK(run.err.find("InvalidSignatureException") != std::string::npos);
    sweep("refused signature stderr", run.err);
  }
  // A timeout.
  {
    server.push_fault(Fault::StallBeforeResponse);
    const Run run =
        run_cli(home,
                {"converse", "--model-id", "m", "--prompt", "hi", "--endpoint-url", server.url(),
                 "--debug", "--read-timeout", "0.2", "--max-attempts", "1"},
                kSigV4Env);
    CHECK(run.status != 0);
    CHECK(run.err.find("error: Timeout") != std::string::npos);
    sweep("timeout stderr", run.err);
  }
  // A connection refused (nothing listens on the port any more).
  {
    std::string dead_url;
    {
      FakeBedrock gone;
      dead_url = gone.url();
    }
    const Run run = run_cli(home,
                            {"converse", "--model-id", "m", "--prompt", "hi", "--endpoint-url",
                             dead_url, "--debug", "--max-attempts", "1"},
                            kSigV4Env);
    CHECK(run.status != 0);
    CHECK(run.err.find("error: Network") != std::string::npos);
    sweep("network error stderr", run.err);
  }
  // The credentials command, from the environment, a profile and with a bearer token.
  {
    const Run env_run = run_cli(home, {"credentials", "--debug"}, kSigV4Env);
    CHECK(env_run.status == 0);
    CHECK(env_run.out.find(kKeyId) != std::string::npos);
    sweep("credentials (environment)", env_run.out + env_run.err);

    test::TempDir profile_home;
    profile_home.write(".aws/credentials", "[sweep]\naws_access_key_id = " + kKeyId +
                                               "\naws_secret_access_key = " + kSecretKey +
                                               "\naws_session_token = " + kSessionToken + "\n");
    const Run profile_run =
        run_cli(profile_home,
                {"credentials", "--debug", "--profile", "sweep", "--region", "us-east-1"}, {});
    CHECK(profile_run.status == 0);
    CHECK(profile_run.out.find("profile:sweep") != std::string::npos);
    sweep("credentials (profile)", profile_run.out + profile_run.err);

    std::vector<std::string> env = kSigV4Env;
    env.push_back("AWS_BEARER_TOKEN_BEDROCK=" + kBearer);
    const Run bearer_run = run_cli(home, {"credentials", "--debug"}, env);
    sweep("credentials (bearer)", bearer_run.out + bearer_run.err);
  }
  // A malformed profile line and a broken credential_process (its stdout holds the secret).
  {
    test::TempDir broken_home;
    broken_home.write(".aws/credentials", "[sweep]\naws_secret_access_key " + kSecretKey + "\n");
    const Run malformed = run_cli(broken_home, {"credentials", "--profile", "sweep"}, {});
    CHECK(malformed.status != 0);
    CHECK(malformed.err.find("error: Config") != std::string::npos);
    sweep("malformed profile error", malformed.err);

    test::TempDir process_home;
    const auto helper = process_home.write(
        "helper.sh", "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"" + kKeyId +
                         "\", \"SecretAccessKey\": \"" + kSecretKey + "\", \"SessionToken\": \"" +
                         kSessionToken + "\", \"Expiration\": \"soon " + "\"}'\n");
    std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
    process_home.write(".aws/config",
                       "[profile sweep]\ncredential_process = " + helper.string() + "\n");
    const Run process = run_cli(process_home, {"credentials", "--debug", "--profile", "sweep"}, {});
    CHECK(process.status != 0);
    CHECK(process.err.find("Expiration") != std::string::npos);
    sweep("credential_process error", process.out + process.err);
  }
  // A container endpoint that fails: its Authorization token must not be echoed.
  {
    test::LoopbackServer container([](httplib::Server& s) {
      s.Get("/creds", [](const httplib::Request& req, httplib::Response& res) {
        // Echoes what it got, as a careless endpoint might: the client must not repeat it.
        res.status = 500;
        res.set_content("error for " + req.get_header_value("Authorization"), "text/plain");
      });
      s.Get("/garbage", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content("{\"AccessKeyId\":\"x\",\"SecretAccessKey\":\"" + kSecretKey +
                            "\",\"Token\":" + req.get_header_value("Authorization"),
                        "application/json");
      });
    });
    for (const char* path : {"/creds", "/garbage"}) {
      const Run run = run_cli(home, {"credentials", "--debug", "--region", "us-east-1"},
                              {"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + container.url() + path,
                               "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + kContainerToken});
      CHECK(run.status != 0);
      sweep(std::string("container ") + path, run.out + run.err);
    }
  }
}

TEST_CASE("cli secrets: sign prints the signed request but never the secret key or a signing key",
          "[cli][secrets]") {
  test::TempDir home;
  const std::string request =
      "POST /model/m/converse HTTP/1.1\nHost: bedrock-runtime.us-east-1.amazonaws.com\n"
      "Content-Type: application/json\n\n{}";
  for (const char* print : {"request", "creq", "sts", "authz"}) {
    for (bool query : {false, true}) {
      std::vector<std::string> args = {"sign",      "--service", "service",          "--region",
                                       "us-east-1", "--time",    "20150830T123600Z", "--print",
                                       print,       "--debug"};
      if (query) args.push_back("--query");
      const Run run = run_cli(home, args, kSigV4Env, request);
      INFO(print << (query ? " --query" : "") << ": " << run.err);
      CHECK(run.status == 0);
      // The signed request carries the session token by design (it is sent with the request);
      // nothing else may appear, and stderr nothing at all.
      if (std::string(print) == "request" && !query) {
        CHECK(run.out.find(kSessionToken) != std::string::npos);  // the sweep would see it
      }
      std::string out = run.out;
      for (std::size_t at; (at = out.find(kSessionToken)) != std::string::npos;)
        out.erase(at, kSessionToken.size());
      const std::string encoded = "sweep-SESSION-token%2FIQoJb3JpZ2luX2VjEJr%2B%2F%3D%3D";
      for (std::size_t at; (at = out.find(encoded)) != std::string::npos;)
        out.erase(at, encoded.size());
      sweep(std::string("sign stdout --print ") + print, out);
      sweep(std::string("sign stderr --print ") + print, run.err);
    }
  }
}

TEST_CASE("cli secrets: credential_process runs without a shell", "[cli][secrets]") {
  // Shell syntax in the command line stays literal: no substitution, no second command, no
  // redirection. A shell would create the marker files.
  test::TempDir dir;
  const auto marker = dir.path() / "marker";
  const credentials::Environment env(std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}});
  for (const std::string& command :
       {"printf %s '$(touch " + marker.string() + "-subst)'",
        "true ; touch " + marker.string() + "-seq", "true && touch " + marker.string() + "-and",
        "echo x > " + marker.string() + "-redirect",
        "printf %s `touch " + marker.string() + "-backtick`"}) {
    INFO(command);
    auto result = credentials::run_credential_process(command, "noshell", env);
    CHECK_FALSE(result.ok());  // none of them prints a credentials document
  }
  for (const char* suffix : {"-subst", "-seq", "-and", "-redirect", "-backtick"}) {
    INFO(suffix);
    CHECK_FALSE(std::filesystem::exists(marker.string() + suffix));
  }
  // The same kind of line does run through a shell when the user asks for one explicitly.
  auto explicit_shell = credentials::run_credential_process(
      "/bin/sh -c 'touch " + marker.string() + "-sh'", "noshell", env);
  CHECK_FALSE(explicit_shell.ok());
  CHECK(std::filesystem::exists(marker.string() + "-sh"));
}

TEST_CASE("cli secrets: assume-role, web identity and STS failures leak nothing",
          "[cli][secrets][sts]") {
  // Every role hands out the sweep secret and token, so any echo of them anywhere is caught.
  test::FakeStsOptions options;
  options.keys = {{kKeyId, kSecretKey}};
  options.roles["arn:aws:iam::111111111111:role/one"] = {"ASIASWEEPONE", kSecretKey,
                                                         kSessionToken + "-one"};
  options.roles["arn:aws:iam::222222222222:role/two"] = {"ASIASWEEPTWO", kSecretKey, kSessionToken};
  options.roles["arn:aws:iam::333333333333:role/web"] = {"ASIASWEEPWEB", kSecretKey, kSessionToken};
  test::FakeSts sts(options);
  test::TempDir home;
  home.write(".aws/credentials", "[base]\naws_access_key_id = " + kKeyId +
                                     "\naws_secret_access_key = " + kSecretKey + "\n");
  home.write(".aws/config",
             "[profile one]\nrole_arn = arn:aws:iam::111111111111:role/one\nsource_profile = "
             "base\n[profile two]\nrole_arn = arn:aws:iam::222222222222:role/two\n"
             "source_profile = one\nmfa_serial = arn:aws:iam::111111111111:mfa/sweep\n");
  const auto token_file = home.write("token", kWebIdentityToken);
  const std::vector<std::string> env = {"AWS_REGION=us-east-1",
                                        "AWS_ENDPOINT_URL_STS=" + sts.url()};

  // A role chain with MFA: the source name, and each hop under --debug.
  const Run chain =
      run_cli(home, {"credentials", "--debug", "--profile", "two", "--mfa-code", "123456"}, env);
  INFO(chain.err);
  CHECK(chain.status == 0);
  CHECK(chain.out.find("\"source\":\"assume-role:two\"") != std::string::npos);
  CHECK(chain.out.find("ASIASWEEPTWO") != std::string::npos);
  CHECK(chain.err.find("profile two assumes arn:aws:iam::222222222222:role/two with "
                       "source_profile one") != std::string::npos);
  CHECK(chain.err.find("profile one assumes arn:aws:iam::111111111111:role/one with "
                       "source_profile base") != std::string::npos);
  CHECK(chain.err.find("STS AssumeRole at " + sts.url()) != std::string::npos);
  CHECK(chain.err.find("123456") == std::string::npos);  // nor the MFA code
  sweep("credentials (assume-role)", chain.out + chain.err);
  REQUIRE(sts.requests().size() == 2);
  CHECK(sts.requests()[1].form.at("TokenCode") == "123456");

  // Without --mfa-code and without a terminal: a clear error.
  const Run no_mfa = run_cli(home, {"credentials", "--debug", "--profile", "two"}, env);
  CHECK(no_mfa.status != 0);
  CHECK(no_mfa.err.find("error: Config: the profile's role needs an MFA code for "
                        "arn:aws:iam::111111111111:mfa/sweep: pass --mfa-code CODE") !=
        std::string::npos);
  sweep("credentials (no MFA code)", no_mfa.out + no_mfa.err);

  // Web identity from the environment.
  std::vector<std::string> web_env = env;
  web_env.push_back("AWS_WEB_IDENTITY_TOKEN_FILE=" + token_file.string());
  web_env.push_back("AWS_ROLE_ARN=arn:aws:iam::333333333333:role/web");
  const Run web = run_cli(home, {"credentials", "--debug"}, web_env);
  INFO(web.err);
  CHECK(web.status == 0);
  CHECK(web.out.find("\"source\":\"web-identity\"") != std::string::npos);
  CHECK(web.err.find("STS AssumeRoleWithWebIdentity at " + sts.url()) != std::string::npos);
  sweep("credentials (web identity)", web.out + web.err);

  // STS refusing, and STS answering garbage that holds the secrets.
  sts.push_error(403, "access-denied.xml");
  const Run denied = run_cli(home, {"credentials", "--debug"}, web_env);
  CHECK(denied.status != 0);
  CHECK(denied.err.find("error: AccessDenied: STS AssumeRoleWithWebIdentity") != std::string::npos);
  sweep("STS AccessDenied", denied.out + denied.err);
  sts.push_raw(200,
               "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
               "<AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>" +
                   kSecretKey + "</SecretAccessKey><SessionToken>" + kSessionToken +
                   "</SessionToken><Expiration>" + kSecretKey + "</Expiration>");
  const Run garbage = run_cli(home, {"credentials", "--debug"}, web_env);
  CHECK(garbage.status != 0);
  CHECK(garbage.err.find("error: Protocol") != std::string::npos);
  sweep("STS malformed answer", garbage.out + garbage.err);
  sts.push_raw(200,
               "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
               "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>" +
                   kSecretKey + "</SecretAccessKey><SessionToken>" + kSessionToken +
                   "</SessionToken><Expiration>" + kSessionToken +
                   "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                   "</AssumeRoleWithWebIdentityResponse>");
  const Run bad_expiration = run_cli(home, {"credentials", "--debug"}, web_env);
  CHECK(bad_expiration.status != 0);
  sweep("STS answer with a bad Expiration", bad_expiration.out + bad_expiration.err);

  // A Converse call signed with the assumed role's keys, under --debug.
  test::FakeBedrockOptions bedrock_options = sweep_server_options();
  bedrock_options.keys = {{"ASIASWEEPTWO", kSecretKey}};
  FakeBedrock bedrock(bedrock_options);
  const Run converse =
      run_cli(home,
              {"converse", "--model-id", "us.amazon.nova-micro-v1:0", "--prompt", "hi", "--debug",
               "--profile", "two", "--mfa-code", "654321", "--endpoint-url", bedrock.url()},
              env);
  INFO(converse.err);
  CHECK(converse.status == 0);
  REQUIRE(bedrock.requests().size() == 1);
  CHECK(bedrock.requests()[0].signature_valid);
  CHECK(bedrock.requests()[0].access_key_id == "ASIASWEEPTWO");
  sweep("converse (assume-role)", converse.out + converse.err);
}

TEST_CASE("cli secrets: SSO and aws login profiles leak no token, key or cached secret",
          "[cli][secrets][sso][login]") {
  // Everything the two caches and the token services hold that is secret.
  const std::vector<std::string> cached = {
      "sweep-SSO-access-token-1",    "sweep-SSO-access-token-2", "sweep-SSO-refresh-1",
      "sweep-SSO-refresh-2",         "sweep-SSO-client-secret",  "sweep-LOGIN-old-secret",
      "sweep-LOGIN-old-session",     "sweep-LOGIN-refresh-1",    "sweep-LOGIN-refresh-2",
      "MHcCAQEEIPt/u8InPLpQeQLJTvV", "sweep-LOGIN-new-secret",   "sweep-LOGIN-new-session"};
  auto sweep_all = [&](const std::string& channel, const std::string& text) {
    sweep(channel, text);
    for (const auto& value : cached) {
      INFO(channel << " contains a cached secret:\n" << text);
      CHECK(text.find(value) == std::string::npos);
    }
  };
  const auto now = std::chrono::system_clock::now();
  const auto millis = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };

  SECTION("SSO: credentials --debug with a refresh, then a signed converse --debug") {
    test::FakeSso sso;
    {
      auto l = sso.lock();
      auto& state = sso.state();
      state.accepted_token = "sweep-SSO-access-token-1";
      state.new_access_token = "sweep-SSO-access-token-2";
      state.refresh_token = "sweep-SSO-refresh-1";
      state.new_refresh_token = "sweep-SSO-refresh-2";
      state.client_secret = "sweep-SSO-client-secret";
      state.access_key_id = kKeyId;
      state.secret_access_key = kSecretKey;
      state.session_token = kSessionToken;
      state.expiration_ms = millis(now + std::chrono::hours(1));
    }
    test::TempDir home;
    home.write(".aws/config",
               "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
               "sso_role_name = BedrockUser\nregion = us-east-1\n[sso-session my-sso]\n"
               "sso_start_url = https://d-9067642ac7.awsapps.com/start\nsso_region = eu-west-1\n");
    // 2 minutes left: the CLI refreshes through OIDC and writes the cache back.
    home.write(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
               R"({"accessToken":"sweep-SSO-access-token-1","expiresAt":")" +
                   credentials::format_iso8601(now + std::chrono::minutes(2)) +
                   R"(","clientId":"sso-client-id","clientSecret":"sweep-SSO-client-secret",)"
                   R"("refreshToken":"sweep-SSO-refresh-1","registrationExpiresAt":")" +
                   credentials::format_iso8601(now + std::chrono::hours(240)) + R"("})");
    const std::vector<std::string> env = {"AWS_PROFILE=dev", "AWS_ENDPOINT_URL_SSO=" + sso.url(),
                                          "AWS_ENDPOINT_URL_SSO_OIDC=" + sso.url()};
    const Run run = run_cli(home, {"credentials", "--debug"}, env);
    INFO(run.err);
    CHECK(run.status == 0);
    CHECK(run.out.find("\"source\":\"sso:my-sso\"") != std::string::npos);
    for (const std::string hop :
         {"sso-session 'my-sso'", "https://d-9067642ac7.awsapps.com/start", "account 123456789012",
          "role BedrockUser", "refreshing the SSO token through", "GetRoleCredentials"}) {
      CHECK(run.err.find(hop) != std::string::npos);
    }
    sweep_all("credentials (sso) output", run.out + run.err);
    {
      auto l = sso.lock();
      CHECK(sso.state().oidc_calls == 1);
    }

    FakeBedrock server(sweep_server_options());
    std::vector<std::string> converse_env = env;
    converse_env.push_back("AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + server.url());
    const Run converse = run_cli(home,
                                 {"converse", "--debug", "--model-id", "us.amazon.nova-micro-v1:0",
                                  "--prompt", "hi", "--output", "json"},
                                 converse_env);
    INFO(converse.err);
    CHECK(converse.status == 0);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].signature_valid);
    sweep_all("converse (sso) output", converse.out + converse.err);
  }

  SECTION("login: credentials --debug with a DPoP-signed refresh") {
    auto cases = test::parse_json(test::read_file(
        test::fixture_path("vectors/login-provider/login-provider-test-cases.json")));
    const std::string key =
        cases[6]["cacheContents"]
             ["4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"]["dpopKey"]
                 .GetString();
    test::FakeSignin signin;
    signin.expect(
        key, std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), 300);
    signin.push({200, R"({"accessToken":{"accessKeyId":")" + kKeyId +
                          R"(","secretAccessKey":"sweep-LOGIN-new-secret","sessionToken":)"
                          R"("sweep-LOGIN-new-session"},"expiresIn":900,)"
                          R"("refreshToken":"sweep-LOGIN-refresh-2","tokenType":"aws_sigv4"})"});
    test::TempDir home;
    home.write(".aws/config",
               "[profile console]\nlogin_session = arn:aws:iam::0123456789012:user/Admin\n"
               "region = us-east-1\n");
    rapidjson::Document cache(rapidjson::kObjectType);
    auto& a = cache.GetAllocator();
    rapidjson::Value access(rapidjson::kObjectType);
    access.AddMember("accessKeyId", "ASIAOLDLOGIN", a);
    access.AddMember("secretAccessKey", "sweep-LOGIN-old-secret", a);
    access.AddMember("sessionToken", "sweep-LOGIN-old-session", a);
    access.AddMember("accountId", "0123456789012", a);
    access.AddMember("expiresAt", "2020-01-01T00:00:00Z", a);
    cache.AddMember("accessToken", access, a);
    cache.AddMember("clientId", "arn:aws:signin:::devtools/same-device", a);
    cache.AddMember("refreshToken", "sweep-LOGIN-refresh-1", a);
    cache.AddMember("dpopKey", rapidjson::Value(key.c_str(), a), a);
    // SHA-256 of the session ARN (Python hashlib): the file `aws login` writes.
    const std::string cache_dir = (home.path() / "login-cache").string();
    home.write("login-cache/36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json",
               test::render_json(cache));
    const Run run = run_cli(home, {"credentials", "--debug"},
                            {"AWS_PROFILE=console", "AWS_LOGIN_CACHE_DIRECTORY=" + cache_dir,
                             "AWS_ENDPOINT_URL_SIGNIN=" + signin.url()});
    INFO(run.err);
    CHECK(run.status == 0);
    CHECK(run.out.find("\"source\":\"login:console\"") != std::string::npos);
    CHECK(run.out.find(kKeyId) != std::string::npos);
    REQUIRE(signin.seen().size() == 1);
    CHECK(signin.seen()[0].dpop_problem == "");
    sweep_all("credentials (login) output", run.out + run.err);
    // The refresh was written back for the AWS CLI to share.
    CHECK(test::read_file(home.path() / "login-cache" /
                          "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json")
              .find("sweep-LOGIN-refresh-2") != std::string::npos);
  }
}
