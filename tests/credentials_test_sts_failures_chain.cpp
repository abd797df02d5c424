// STS failures and the default chain: XML errors, retries, malformed and oversized answers and a
// slow STS through the web-identity provider; botocore's order of the default chain around the
// STS providers and its single flight; and the fake STS's own refusals, seen from raw requests
// (http::fetch, signed with the public sigv4 API). The fake runs on 127.0.0.1
// (support/fake_sts.h), reached through the libcurl transport.
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/http.h>
#include <bedrock_lite/sigv4.h>

#include "support/fake_sts.h"
#include "support/sts_world.h"
#include "support/thread_failures.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace creds = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;
using bedrock_lite::Result;
using bedrock_lite::test::FakeSts;
using namespace bedrock_lite::test::sts_world;
using namespace std::chrono_literals;

TEST_CASE("STS failures: 403 and 400 XML errors, retries, malformed answers, a slow STS",
          "[credentials][sts][errors]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
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
  StsWorld world(&sts);
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

TEST_CASE("Default chain: concurrent callers share one STS call (single flight)",
          "[credentials][sts][chain]") {
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.write("token", kWebToken).string();
  world.vars["AWS_ROLE_ARN"] = kWebRole;
  auto transport = curl();
  auto chain = creds::make_default_chain(world.context(transport));
  std::vector<std::thread> threads;
  bedrock_lite::test::ThreadFailures failures;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&chain, &failures, i] {
      auto result = chain->resolve();
      if (!result)
        failures.add(i, 0, result.error().to_string());
      else if (result->access_key_id != "ASIAWEB")
        failures.add(i, 0, "credentials of " + result->access_key_id + ", not the web role's");
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  CHECK(sts.requests().size() == 1);
}

// ---- The fake STS and the wire form ------------------------------------------------------------

namespace {

// The AWS query protocol's form encoding of kWebRole and kRoleA, written out by hand so the
// requests below do not depend on the library's encoder.
const std::string kWebRoleForm = "arn%3Aaws%3Aiam%3A%3A444444444444%3Arole%2Fweb";
const std::string kRoleAForm = "arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Ffirst";

// One form POST to the fake STS, SigV4-signed for sts in us-east-1 when `key_id` is not empty.
bedrock_lite::http::Response post_form(bedrock_lite::http::Transport& transport, const FakeSts& sts,
                                       const std::string& form, const std::string& key_id = "",
                                       const std::string& secret = "") {
  namespace http = bedrock_lite::http;
  namespace sigv4 = bedrock_lite::sigv4;
  const std::string url = sts.url();
  http::Request request;
  request.method = "POST";
  request.url = url + "/";
  request.headers = {{"Host", url.substr(url.find("://") + 3)},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = form;
  if (!key_id.empty()) {
    std::vector<sigv4::Header> to_sign;
    for (const auto& header : request.headers) to_sign.push_back({header.name, header.value});
    auto added = sigv4::Signer().sign_headers("POST", "/", to_sign, form,
                                              sigv4::Credentials{key_id, secret, ""}, "us-east-1",
                                              "sts", kNow);
    REQUIRE(added.ok());
    for (const auto& header : *added) request.headers.push_back({header.name, header.value});
  }
  auto response = http::fetch(transport, request);
  INFO((response ? std::string() : response.error().to_string()));
  REQUIRE(response.ok());
  return std::move(response).value();
}

}  // namespace

TEST_CASE("Fake STS: a signed AssumeRoleWithWebIdentity and an unsigned AssumeRole are refused",
          "[credentials][sts][fake]") {
  FakeSts sts(sts_options());
  auto transport = curl();
  const std::string web_form =
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + kWebRoleForm +
      "&RoleSessionName=s&WebIdentityToken=t";
  const std::string role_form =
      "Action=AssumeRole&Version=2011-06-15&RoleArn=" + kRoleAForm + "&RoleSessionName=s";
  auto signed_web = post_form(*transport, sts, web_form, "AKIDBASE", "base/secret+key");
  CHECK(signed_web.status == 400);
  CHECK_THAT(signed_web.body, Catch::Contains("<Code>InvalidRequest</Code>"));
  auto unsigned_role = post_form(*transport, sts, role_form);
  CHECK(unsigned_role.status == 403);
  CHECK_THAT(unsigned_role.body, Catch::Contains("<Code>SignatureDoesNotMatch</Code>"));
  // Signed with a key the fake does not know.
  auto unknown = post_form(*transport, sts, role_form, "AKIDSTRANGER", "base/secret+key");
  CHECK(unknown.status == 403);
  CHECK_THAT(unknown.body, Catch::Contains("<Code>SignatureDoesNotMatch</Code>"));
  // And the right key, to show the refusals were about the signature.
  auto accepted = post_form(*transport, sts, role_form, "AKIDBASE", "base/secret+key");
  CHECK(accepted.status == 200);
  CHECK_THAT(accepted.body, Catch::Contains("<AccessKeyId>ASIAFIRST</AccessKeyId>"));
  const auto seen = sts.requests();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].why == "AssumeRoleWithWebIdentity must not be signed");
  CHECK_FALSE(seen[1].signed_request);
  CHECK(seen[2].signer == "AKIDSTRANGER");
  CHECK_FALSE(seen[2].signature_valid);
  CHECK(seen[3].signature_valid);
  CHECK(seen[3].form.at("RoleArn") == kRoleA);
}

TEST_CASE("STS form: parameters are percent-encoded as the query protocol writes them",
          "[credentials][sts][wire]") {
  // RFC 3986 unreserved characters kept, every other byte %XX: a space is %20 (never '+'), a '+'
  // is %2B, and UTF-8 is encoded byte by byte.
  const std::string name = "a b+c/d=\xC3\xA9";
  const std::string encoded = "RoleSessionName=a%20b%2Bc%2Fd%3D%C3%A9";
  FakeSts sts(sts_options());
  StsWorld world(&sts);
  auto transport = curl();
  SECTION("web identity (unsigned)") {
    world.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = world.home.write("token", kWebToken).string();
    world.vars["AWS_ROLE_ARN"] = kWebRole;
    world.vars["AWS_ROLE_SESSION_NAME"] = name;
    auto result = creds::make_web_identity_provider(world.context(transport))->resolve();
    INFO(message_of(result));
    REQUIRE(result.ok());
    const auto seen = sts.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].form.at("RoleSessionName") == name);
    CHECK_THAT(seen[0].body, Catch::Contains("&" + encoded + "&"));
    CHECK_THAT(seen[0].body, Catch::Contains("&RoleArn=" + kWebRoleForm + "&"));
    CHECK_THAT(seen[0].body,
               Catch::StartsWith("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&"));
  }
  SECTION("assume role (signed over the encoded body)") {
    world.credentials(
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base/secret+key\n");
    world.config("[profile roled]\nrole_arn = " + kRoleA + "\nsource_profile = base\n" +
                 "role_session_name = " + name + "\n");
    world.vars["AWS_PROFILE"] = "roled";
    auto result = creds::make_assume_role_provider(world.context(transport))->resolve();
    INFO(message_of(result));
    REQUIRE(result.ok());
    const auto seen = sts.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].signature_valid);
    CHECK(seen[0].form.at("RoleSessionName") == name);
    CHECK_THAT(seen[0].body, Catch::Contains("&" + encoded));
    CHECK_THAT(
        seen[0].body,
        Catch::StartsWith("Action=AssumeRole&Version=2011-06-15&RoleArn=" + kRoleAForm + "&"));
  }
}
