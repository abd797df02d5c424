// The client (converse::resolve_config) and `bedrock-lite credentials` assemble the standard chain
// the one way (credentials::prepare_provider_context): every chain source, run through both,
// resolves the same identity. Loopback fakes stand in for STS, the SSO portal, the container
// endpoint and IMDS.
#include <bedrock_lite/converse.h>

#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fake_imds.h"
#include "support/fake_sso.h"
#include "support/fake_sts.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test = bedrock_lite::test;
namespace creds = bedrock_lite::credentials;
using namespace std::chrono_literals;

using cli_test::quote;

namespace {

struct Identity {
  std::string source;
  std::string access_key_id;
  std::string error;  // set when resolution failed
};

// `bedrock-lite credentials` with exactly `vars` as its environment (HOME among them).
Identity from_cli(const std::map<std::string, std::string>& vars) {
  test::TempDir out;
  std::string command = "env -i PATH=/usr/bin:/bin";
  for (const auto& [name, value] : vars) command += " " + quote(name + "=" + value);
  command += " " + quote(BEDROCK_LITE_CLI_PATH) + " credentials < /dev/null > " +
             quote((out.path() / "out").string()) + " 2> " + quote((out.path() / "err").string());
  const int raw = std::system(command.c_str());
  Identity identity;
  if (!WIFEXITED(raw) || WEXITSTATUS(raw) != 0) {
    identity.error = "exit " + std::to_string(raw) + ": " + test::read_file(out.path() / "err");
    return identity;
  }
  rapidjson::Document document;
  const std::string text = test::read_file(out.path() / "out");
  document.Parse(text.c_str());
  if (document.HasParseError() || !document.IsObject() || !document["source"].IsString() ||
      !document["access_key_id"].IsString()) {
    identity.error = "not the documented JSON object: " + text;
    return identity;
  }
  identity.source = document["source"].GetString();
  identity.access_key_id = document["access_key_id"].GetString();
  return identity;
}

// The client's credentials from the same environment, as a Client would resolve them.
Identity from_client(const std::map<std::string, std::string>& vars) {
  Identity identity;
  auto config = bedrock_lite::converse::resolve_config(creds::Environment(vars));
  if (!config) {
    identity.error = config.error().to_string();
    return identity;
  }
  auto resolved = config->credentials->resolve();
  if (!resolved) {
    identity.error = resolved.error().to_string();
    return identity;
  }
  identity.source = resolved->source;
  identity.access_key_id = resolved->access_key_id;
  return identity;
}

void check_agree(const std::string& name, const std::map<std::string, std::string>& vars,
                 const std::string& source, const std::string& access_key_id) {
  INFO("chain source: " << name);
  const Identity client = from_client(vars);
  const Identity cli = from_cli(vars);
  INFO("client error: " << client.error);
  INFO("cli error: " << cli.error);
  REQUIRE(client.error.empty());
  REQUIRE(cli.error.empty());
  CHECK(client.source == source);
  CHECK(client.access_key_id == access_key_id);
  CHECK(cli.source == client.source);
  CHECK(cli.access_key_id == client.access_key_id);
}

std::string expiration_in(std::chrono::hours hours) {
  return creds::format_iso8601(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + hours));
}

// A self-signed certificate for 127.0.0.1 (P-256, SHA-256, a day long), made fresh per test
// so no key is kept in the repository; written as PEM files into `dir`.
void write_self_signed(const test::TempDir& dir, std::string& certificate_path,
                       std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    REQUIRE(extension != nullptr);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
  }
  REQUIRE(X509_sign(certificate, key, EVP_sha256()) > 0);
  certificate_path = (dir.path() / "container-ca.pem").string();
  key_path = (dir.path() / "container-key.pem").string();
  std::FILE* out = std::fopen(certificate_path.c_str(), "w");
  REQUIRE(out != nullptr);
  PEM_write_X509(out, certificate);
  std::fclose(out);
  out = std::fopen(key_path.c_str(), "w");
  REQUIRE(out != nullptr);
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(certificate);
  EVP_PKEY_free(key);
}

// A container credentials endpoint over HTTPS on 127.0.0.1 with that certificate.
struct TlsContainer {
  std::string certificate_path;
  std::string key_path;
  std::unique_ptr<httplib::SSLServer> server;
  int port = 0;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable started_cv;
  bool started = false;

  explicit TlsContainer(const test::TempDir& dir) {
    write_self_signed(dir, certificate_path, key_path);
    server = std::make_unique<httplib::SSLServer>(certificate_path.c_str(), key_path.c_str());
    REQUIRE(server->is_valid());
    server->Get("/creds", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != "container-token") {
        res.status = 401;
        return;
      }
      res.set_content(R"({"AccessKeyId":"AKIDTLSCONTAINER","SecretAccessKey":"tls-secret",)"
                      R"("Token":"tls-session","Expiration":")" +
                          creds::format_iso8601(std::chrono::time_point_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now() + 6h)) +
                          "\"}",
                      "application/json");
    });
    // stop() is a no-op until the server runs; httplib makes its task queue once it does.
    server->new_task_queue = [this] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        started = true;
      }
      started_cv.notify_all();
      return new httplib::ThreadPool(4);
    };
    port = server->bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server->listen_after_bind(); });
  }
  ~TlsContainer() {
    {
      std::unique_lock<std::mutex> lock(mutex);
      started_cv.wait(lock, [this] { return started; });
    }
    server->stop();
    thread.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

TEST_CASE("credentials chain: client and `bedrock-lite credentials` resolve the same identity",
          "[cli][credentials]") {
  test::TempDir home;
  // What every case shares: a HOME of our own, a region, and no real IMDS.
  const std::map<std::string, std::string> base = {{"HOME", home.path().string()},
                                                   {"AWS_REGION", "us-east-1"},
                                                   {"AWS_EC2_METADATA_DISABLED", "true"}};
  auto with = [&base](std::map<std::string, std::string> extra) {
    auto vars = base;
    for (auto& [name, value] : extra) vars[name] = value;
    return vars;
  };
  SECTION("environment") {
    check_agree("environment",
                with({{"AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"},
                      {"AWS_SECRET_ACCESS_KEY", "environment-secret"}}),
                "environment", "AKIDENVIRONMENT");
  }
  SECTION("profile static keys") {
    home.write(".aws/credentials",
               "[chain]\naws_access_key_id = AKIDPROFILE\n"
               "aws_secret_access_key = profile-secret\n");
    check_agree("profile", with({{"AWS_PROFILE", "chain"}}), "profile:chain", "AKIDPROFILE");
  }
  SECTION("credential_process") {
    const auto helper =
        home.write("helper.sh",
                   "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", "
                   "\"SecretAccessKey\": \"process-secret\"}'\n");
    std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
    home.write(".aws/config", "[profile chain]\ncredential_process = " + helper.string() + "\n");
    check_agree("credential_process", with({{"AWS_PROFILE", "chain"}}), "process:chain",
                "AKIDPROCESS");
  }
  SECTION("assume role (source_profile) through a loopback STS") {
    test::FakeStsOptions options;
    options.keys = {{"AKIDBASE", "base/secret"}};
    options.roles["arn:aws:iam::111111111111:role/chain"] = {"ASIACHAINROLE", "role/secret",
                                                             "role-session-token"};
    test::FakeSts sts(options);
    home.write(".aws/credentials",
               "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret\n");
    home.write(".aws/config",
               "[profile chain]\nrole_arn = arn:aws:iam::111111111111:role/chain\n"
               "source_profile = base\n");
    check_agree("assume role",
                with({{"AWS_PROFILE", "chain"}, {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                "assume-role:chain", "ASIACHAINROLE");
    CHECK(sts.requests().size() == 2);  // one per resolver: nothing cached between processes
  }
  SECTION("web identity through a loopback STS") {
    test::FakeStsOptions options;
    options.roles["arn:aws:iam::111111111111:role/web"] = {"ASIAWEBIDENTITY", "web/secret",
                                                           "web-session-token"};
    test::FakeSts sts(options);
    const auto token = home.write("web-identity-token", "eyJ.web-identity.token");
    check_agree("web identity",
                with({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                      {"AWS_ROLE_ARN", "arn:aws:iam::111111111111:role/web"},
                      {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                "web-identity", "ASIAWEBIDENTITY");
  }
  SECTION("IAM Identity Center (SSO) through a loopback portal") {
    test::FakeSso sso;
    std::string key_id;
    {
      auto lock = sso.lock();
      key_id = sso.state().access_key_id;
      sso.state().expiration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      (std::chrono::system_clock::now() + 1h).time_since_epoch())
                                      .count();
    }
    home.write(".aws/config",
               "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
               "sso_role_name = BedrockUser\n[sso-session my-sso]\n"
               "sso_start_url = https://d-9067642ac7.awsapps.com/start\nsso_region = eu-west-1\n");
    // SHA-1 of "my-sso": the cache file `aws sso login --sso-session my-sso` writes.
    home.write(
        ".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
        R"({"accessToken":"sso-access-token-1","expiresAt":")" + expiration_in(2h) + R"("})");
    check_agree("sso", with({{"AWS_PROFILE", "dev"}, {"AWS_ENDPOINT_URL_SSO", sso.url()}}),
                "sso:my-sso", key_id);
  }
  SECTION("container endpoint") {
    const std::string expiration = expiration_in(6h);
    test::LoopbackServer container([&expiration](httplib::Server& s) {
      s.Get("/creds", [&expiration](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Authorization") != "container-token") {
          res.status = 401;
          return;
        }
        res.set_content(
            "{\"AccessKeyId\":\"AKIDCONTAINER\",\"SecretAccessKey\":\"container-secret\","
            "\"Token\":\"container-session\",\"Expiration\":\"" +
                expiration + "\"}",
            "application/json");
      });
    });
    check_agree("container",
                with({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url() + "/creds"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token"}}),
                "container", "AKIDCONTAINER");
  }
  SECTION("IMDS") {
    test::FakeImds imds;
    {
      auto lock = imds.lock();
      imds.state().expiration = std::chrono::system_clock::now() + 6h;
    }
    auto vars = with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
    vars.erase("AWS_EC2_METADATA_DISABLED");  // pointed at the loopback fake instead
    check_agree("imds", vars, "imds", test::FakeImds::access_key_for(1));
  }
  SECTION("an HTTPS container endpoint trusted through AWS_CA_BUNDLE or the profile's ca_bundle") {
    // Only `bedrock-lite credentials` used to give the metadata transport the CA bundle, so the
    // client could not reach an endpoint the command reached.
    TlsContainer container(home);
    const std::map<std::string, std::string> endpoint = {
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url() + "/creds"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token"}};
    auto vars = with(endpoint);
    // Untrusted without a bundle, in both alike.
    const Identity untrusted_client = from_client(vars);
    const Identity untrusted_cli = from_cli(vars);
    CHECK_THAT(untrusted_client.error, Catch::StartsWith("Network: "));
    CHECK_THAT(untrusted_cli.error, Catch::Contains("error: Network: "));
    vars["AWS_CA_BUNDLE"] = container.certificate_path;
    check_agree("container over https, AWS_CA_BUNDLE", vars, "container", "AKIDTLSCONTAINER");
    home.write(".aws/config", "[default]\nca_bundle = " + container.certificate_path + "\n");
    check_agree("container over https, ca_bundle", with(endpoint), "container", "AKIDTLSCONTAINER");
  }
}
