// STS: the XML answers of fixtures/sts (the API reference answers, every error document, the
// malformed, oversized and entity-bomb documents), served by the fake STS on 127.0.0.1
// (support/fake_sts.h) to the assume-role and web-identity providers through the libcurl
// transport, and read back as the credentials or the Error those providers give.
#include <bedrock_lite/credentials.h>

#include "support/fake_sts.h"
#include "support/sts_world.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::Result;
using bedrock_lite::test::FakeSts;
using namespace bedrock_lite::test::sts_world;

namespace {

const std::string kAssumeRole = "AssumeRole";
const std::string kWebIdentity = "AssumeRoleWithWebIdentity";

// Secrets of the world below, which no message may quote.
const char* const kWorldSecrets[] = {"base/secret+key", "eyJhbGciOiJSUzI1NiJ9", "wJalrXUtnFEMI"};

// One fake STS and a HOME where each action has its provider: AssumeRole through profile
// `roled` (source_profile `base`, signed with AKIDBASE), AssumeRoleWithWebIdentity through the
// environment's token file. Members are destroyed in reverse: the transport before the fake.
struct Callers {
  FakeSts sts{sts_options()};
  StsWorld world{&sts};
  std::shared_ptr<bedrock_lite::http::Transport> transport = curl();

  Callers() {
    world.credentials(
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n");
    world.config("[profile roled]\nrole_arn = " + kRoleA + "\nsource_profile = base\n");
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.write("token", kWebToken).string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
  }

  Result<creds::Credentials> resolve(const std::string& action, creds::StsSettings settings = {}) {
    auto context = world.context(transport);
    context.sts = settings;
    if (action == kAssumeRole) {
      context.profile = "roled";
      return creds::make_assume_role_provider(context)->resolve();
    }
    return creds::make_web_identity_provider(context)->resolve();
  }

  // How the providers name a call in their messages.
  std::string where(const std::string& action) const {
    return "STS " + action + " at " + sts.url() + ": ";
  }
};

// The text of the first <tag> of a document.
std::string member(const std::string& xml, const std::string& tag) {
  const auto start = xml.find("<" + tag + ">");
  const auto end = xml.find("</" + tag + ">");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  return xml.substr(start + tag.size() + 2, end - start - tag.size() - 2);
}

void check_no_secret(const std::string& text) {
  for (const char* secret : kWorldSecrets) CHECK(text.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("STS XML: the API reference answers give their credentials and account id",
          "[credentials][sts][xml]") {
  Callers callers;
  callers.sts.push_raw(200, fixture_text("sts/answers/assume-role.xml"));
  auto read = callers.resolve(kAssumeRole);
  INFO(message_of(read));
  REQUIRE(read.ok());
  CHECK(read->source == "assume-role:roled");
  CHECK(read->access_key_id == "ASIAIOSFODNN7EXAMPLE");
  CHECK(read->secret_access_key.reveal() == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  CHECK(read->session_token.reveal().rfind("AQoDYXdzEPT//////////wEXAMPLE", 0) == 0);
  CHECK(creds::format_iso8601(*read->expiration) == "2019-11-09T13:34:41Z");
  CHECK(read->account_id == "123456789012");

  const auto web = fixture_text("sts/answers/assume-role-with-web-identity.xml");
  callers.sts.push_raw(200, web);
  auto read_web = callers.resolve(kWebIdentity);
  INFO(message_of(read_web));
  REQUIRE(read_web.ok());
  CHECK(read_web->source == "web-identity");
  CHECK(read_web->access_key_id == "ASgeIAIOSFODNN7EXAMPLE");
  CHECK(read_web->session_token.reveal() == "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  CHECK(creds::format_iso8601(*read_web->expiration) == "2014-10-24T23:00:23Z");
  CHECK(read_web->account_id == "123456789012");
  // The wrong action's path finds nothing: the reader reads only the members it was asked for.
  callers.sts.push_raw(200, web);
  auto wrong = callers.resolve(kAssumeRole);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().kind == ErrorKind::Protocol);
  CHECK_THAT(wrong.error().message,
             Catch::Contains("no AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"));
  check_no_secret(wrong.error().to_string());
  CHECK(callers.sts.requests().size() == 3);
}

TEST_CASE("STS XML: every error document maps to a typed Service error",
          "[credentials][sts][xml]") {
  const auto rows = table("sts/errors/expected.txt", 4);
  REQUIRE(rows.size() >= 6);
  for (const auto& row : rows) {
    for (const auto& action : {kAssumeRole, kWebIdentity}) {
      SECTION(row[0] + " answering " + action) {
        Callers callers;
        const int status = std::stoi(row[1]);
        const bool retryable = row[3] == "yes";
        // A retryable code is asked again (StsSettings::max_attempts, 3): the fake answers every
        // attempt with the same document.
        const std::size_t attempts = retryable ? 3 : 1;
        for (std::size_t i = 0; i < attempts; ++i) {
          callers.sts.push_error(status, row[0], {{"x-amzn-RequestId", "header-id"}});
        }
        const auto document_id = member(fixture_text("sts/errors/" + row[0]), "RequestId");
        auto result = callers.resolve(action);
        REQUIRE_FALSE(result.ok());
        const auto& error = result.error();
        CHECK(error.kind == ErrorKind::Service);
        CHECK(error.aws_type == row[2]);
        CHECK(error.http_status == status);
        CHECK(error.retryable == retryable);
        // The document's RequestId wins over the x-amzn-RequestId header.
        CHECK(error.request_id == document_id);
        CHECK(error.request_id != "header-id");
        CHECK(error.message.find('\n') == std::string::npos);
        CHECK_THAT(error.message, Catch::StartsWith(callers.where(action)));
        if (retryable) CHECK_THAT(error.message, Catch::EndsWith("(after 3 attempts)"));
        CHECK(error.display_name() == row[2]);
        check_no_secret(error.to_string());
        CHECK(callers.sts.requests().size() == attempts);
      }
    }
  }
}

TEST_CASE("STS XML: malformed, oversized and entity-bomb documents are Protocol errors",
          "[credentials][sts][xml]") {
  const auto rows = table("sts/malformed/expected.txt", 2);
  REQUIRE(rows.size() >= 8);
  for (const auto& row : rows) {
    SECTION(row[0]) {
      Callers callers;
      callers.sts.push_raw(200, fixture_text("sts/malformed/" + row[0]));
      auto read = callers.resolve(kAssumeRole);
      REQUIRE_FALSE(read.ok());
      CHECK(read.error().kind == ErrorKind::Protocol);
      CHECK_THAT(read.error().message, Catch::StartsWith(callers.where(kAssumeRole)));
      CHECK_THAT(read.error().message, Catch::Contains(row[1]));
      CHECK(read.error().message.find('\n') == std::string::npos);
      check_no_secret(read.error().to_string());
      CHECK(callers.sts.requests().size() == 1);  // not retried
    }
  }
  SECTION("a member longer than its bound") {
    Callers callers;
    std::string big = fixture_text("sts/answers/assume-role.xml");
    const auto at = big.find("<SessionToken>") + 14;
    big.insert(at, std::string(20000, 'A'));
    callers.sts.push_raw(200, big);
    auto read = callers.resolve(kAssumeRole);
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().kind == ErrorKind::Protocol);
    CHECK_THAT(read.error().message, Catch::Contains("member SessionToken longer than 16384"));
    CHECK(read.error().message.find("AAAAAAAA") == std::string::npos);
    check_no_secret(read.error().to_string());
  }
  SECTION("a document longer than its bound") {
    // The transport would refuse it first (StsSettings::max_response_bytes); with that bound
    // raised, the reader's own bound answers.
    Callers callers;
    creds::StsSettings settings;
    settings.max_response_bytes = std::size_t{1} << 20;
    callers.sts.push_raw(200, std::string(70000, ' '));
    auto read = callers.resolve(kAssumeRole, settings);
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().kind == ErrorKind::Protocol);
    CHECK_THAT(read.error().message, Catch::Contains("answer larger than 65536 bytes"));
  }
}
