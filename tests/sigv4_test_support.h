// Helpers shared by the sigv4 test files: the vector suites' credentials and time, and parsing or
// signing that fails the test with the step's own message.
#pragma once

#include <bedrock_lite/sigv4.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace bedrock_lite::sigv4_test {

namespace sigv4 = bedrock_lite::sigv4;

// The parameters every aws-c-auth and botocore case shares (fixtures/vectors/sigv4/README.md).
inline constexpr const char* kAccessKeyId = "AKIDEXAMPLE";
inline constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr const char* kSuiteTime = "20150830T123600Z";

inline std::chrono::system_clock::time_point time_of(const std::string& text) {
  auto parsed = sigv4::parse_amz_date(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

inline sigv4::ParsedRequest parse_or_fail(const std::string& text, const std::string& where) {
  auto parsed = sigv4::parse_request(text);
  INFO(where << ": " << (parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

inline sigv4::SigningResult sign_or_fail(const sigv4::ParsedRequest& request,
                                         const sigv4::Credentials& credentials,
                                         const sigv4::Scope& scope, const sigv4::Settings& settings,
                                         const std::string& where) {
  auto signed_result = sigv4::sign(request.signable(), credentials, scope, settings);
  INFO(where << ": " << (signed_result ? std::string() : signed_result.error().message));
  REQUIRE(signed_result.ok());
  return std::move(signed_result).value();
}

}  // namespace bedrock_lite::sigv4_test
