// http::find_ca_trust: which CA certificates the transport trusts, probed in a fake filesystem
// root (a temporary directory standing for "/") with a fake environment.
#include <bedrock_lite/http.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/environment.h"

namespace http = bedrock_lite::http;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::TempDir;

namespace {

// The system bundles in the documented probing order (docs/configuration.md, "CA
// certificates"; Go's crypto/x509 root_linux.go).
const std::vector<std::string> kSystemFiles = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
};
const std::vector<std::string> kSystemDirectories = {
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/system/etc/security/cacerts",
    "/data/misc/keychain/certs-added",
};

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

http::EnvironmentLookup fake_environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("find_ca_trust: the system bundles are probed in order, the first that exists wins") {
  TempDir root;
  const std::string prefix = root.path().string();
  for (const auto& file : kSystemFiles) root.write(file.substr(1), kPem);
  // Remove each winner in turn: the next one in the list must be chosen.
  for (std::size_t i = 0; i < kSystemFiles.size(); ++i) {
    auto trust = http::find_ca_trust({}, {}, prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == prefix + kSystemFiles[i]);
    CHECK(trust->directory.empty());
    std::filesystem::remove(prefix + kSystemFiles[i]);
  }
  // Only a directory left: a hashed certificate directory, in order too.
  for (const auto& dir : kSystemDirectories) {
    root.write(dir.substr(1) + "/5c44d531.0", kPem);
  }
  for (const auto& dir : kSystemDirectories) {
    auto trust = http::find_ca_trust({}, {}, prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file.empty());
    CHECK(trust->directory == prefix + dir);
    std::filesystem::remove_all(prefix + dir);
  }
}

TEST_CASE("find_ca_trust: a directory counts only with a hashed certificate name in it") {
  TempDir root;
  const std::string prefix = root.path().string();
  // What Debian's /etc/ssl/certs looks like without ca-certificates: a README, no hash links.
  root.write("etc/ssl/certs/README", "not a certificate");
  root.write("etc/ssl/certs/abcdef.pem", kPem);
  root.write("etc/ssl/certs/5c44d531.x", kPem);
  root.write("etc/ssl/certs/5c44d531.", kPem);
  auto none = http::find_ca_trust({}, {}, prefix);
  REQUIRE_FALSE(none.ok());
  root.write("etc/ssl/certs/5C44D53a.12", kPem);
  auto found = http::find_ca_trust({}, {}, prefix);
  REQUIRE(found.ok());
  CHECK(found->directory == prefix + "/etc/ssl/certs");
}

TEST_CASE("find_ca_trust: SSL_CERT_FILE and SSL_CERT_DIR come before the system locations") {
  TempDir root, elsewhere;
  const std::string prefix = root.path().string();
  root.write("etc/ssl/certs/ca-certificates.crt", kPem);
  const std::string file = elsewhere.write("my-ca.pem", kPem).string();
  const std::string dir = elsewhere.path().string() + "/hashed";
  elsewhere.write("hashed/0a1b2c3d.0", kPem);
  const std::string empty_dir = elsewhere.path().string() + "/empty";
  std::filesystem::create_directories(empty_dir);

  SECTION("SSL_CERT_FILE alone") {
    auto trust = http::find_ca_trust({}, fake_environment({{"SSL_CERT_FILE", file}}), prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == file);
    CHECK(trust->directory.empty());
  }
  SECTION("SSL_CERT_DIR alone, a ':' list keeping only usable directories") {
    auto trust = http::find_ca_trust(
        {}, fake_environment({{"SSL_CERT_DIR", empty_dir + ":/nonexistent:" + dir + ":"}}), prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file.empty());
    CHECK(trust->directory == dir);
  }
  SECTION("both: both are used") {
    auto trust = http::find_ca_trust(
        {}, fake_environment({{"SSL_CERT_FILE", file}, {"SSL_CERT_DIR", dir}}), prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == file);
    CHECK(trust->directory == dir);
  }
  SECTION("set to places that do not exist: the system bundle") {
    auto trust = http::find_ca_trust(
        {},
        fake_environment({{"SSL_CERT_FILE", "/nonexistent/ca.pem"}, {"SSL_CERT_DIR", empty_dir}}),
        prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == prefix + "/etc/ssl/certs/ca-certificates.crt");
  }
  SECTION("set but empty counts as unset") {
    auto trust = http::find_ca_trust({}, fake_environment({{"SSL_CERT_FILE", ""}}), prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == prefix + "/etc/ssl/certs/ca-certificates.crt");
  }
  SECTION("no environment lookup: no variable is read") {
    auto trust = http::find_ca_trust({}, {}, prefix);
    REQUIRE(trust.ok());
    CHECK(trust->file == prefix + "/etc/ssl/certs/ca-certificates.crt");
  }
}

TEST_CASE("find_ca_trust: an explicit bundle (AWS_CA_BUNDLE / ca_bundle) is the only choice") {
  TempDir root, elsewhere;
  const std::string prefix = root.path().string();
  root.write("etc/ssl/certs/ca-certificates.crt", kPem);
  const std::string file = elsewhere.write("corporate.pem", kPem).string();
  const std::string other = elsewhere.write("other.pem", kPem).string();
  auto environment = fake_environment({{"SSL_CERT_FILE", other}});

  auto trust = http::find_ca_trust(file, environment, prefix);
  REQUIRE(trust.ok());
  CHECK(trust->file == file);
  CHECK(trust->directory.empty());

  // Missing: an error naming it, not a silent fall back to another store.
  auto missing = http::find_ca_trust("/nonexistent/corporate.pem", environment, prefix);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::Config);
  CHECK(missing.error().message ==
        "CA bundle /nonexistent/corporate.pem (AWS_CA_BUNDLE or ca_bundle) is not a readable "
        "file");
  // A directory is not a bundle.
  auto directory = http::find_ca_trust(elsewhere.path().string(), environment, prefix);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().kind == ErrorKind::Config);
}

TEST_CASE("find_ca_trust: nothing found is one Config error naming every place tried") {
  TempDir root;
  const std::string prefix = root.path().string();
  auto none = http::find_ca_trust(
      {}, fake_environment({{"SSL_CERT_FILE", "/nonexistent/a.pem"}, {"SSL_CERT_DIR", "/nope"}}),
      prefix);
  REQUIRE_FALSE(none.ok());
  const auto& error = none.error();
  CHECK(error.kind == ErrorKind::Config);
  CHECK_FALSE(error.retryable);
  CHECK(error.message.find('\n') == std::string::npos);
  CHECK(error.message.rfind("no CA certificates found for TLS: tried SSL_CERT_FILE=/nonexistent/"
                            "a.pem, SSL_CERT_DIR=/nope, ",
                            0) == 0);
  for (const auto& file : kSystemFiles) {
    CHECK(error.message.find(prefix + file + ",") != std::string::npos);
  }
  for (const auto& dir : kSystemDirectories) {
    CHECK(error.message.find(prefix + dir + "/") != std::string::npos);
  }
  CHECK(error.message.find("set AWS_CA_BUNDLE") != std::string::npos);

  auto unset = http::find_ca_trust({}, {}, prefix);
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().message.rfind(
            "no CA certificates found for TLS: tried SSL_CERT_FILE (unset), SSL_CERT_DIR (unset), ",
            0) == 0);
}
