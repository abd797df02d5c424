// A loopback fake of AWS STS for the web-identity and assume-role tests: binds 127.0.0.1 on port
// 0; answers AssumeRole only when its SigV4 signature (service sts) verifies against a known key
// (support/sigv4_check.h) and AssumeRoleWithWebIdentity only when it is NOT signed; answers with
// the real XML shapes of fixtures/sts/answers (its own credentials filled in) and errors from
// fixtures/sts/errors on request.
//
// Only test executables that link PkgConfig::HTTPLIB may use it (see loopback_server.h).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bedrock_lite::test {

// Credentials the fake issues for one role. Once issued, they are accepted as signing keys too
// (the next hop of a role chain signs with them).
struct FakeStsRole {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

struct FakeStsOptions {
  std::string region = "us-east-1";  // the SigV4 scope AssumeRole must be signed for
  // Keys that may sign AssumeRole (access key id -> secret): the static sources of the tests.
  std::map<std::string, std::string> keys;
  // role ARN -> what it issues. An unknown role gets 403 AccessDenied.
  std::map<std::string, FakeStsRole> roles;
  // Lifetime of issued credentials, from clock().
  std::chrono::seconds lifetime{3600};
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

// One request as the fake saw it.
struct StsRequest {
  std::string action;
  std::map<std::string, std::string> form;  // decoded
  std::string body;                         // as received, still encoded
  bool signed_request = false;
  bool signature_valid = false;
  std::string signer;          // access key id of the signature, or ""
  std::string security_token;  // X-Amz-Security-Token as sent, or ""
  std::string why;             // why it was refused, or ""
  int status = 0;
};

class FakeSts {
 public:
  explicit FakeSts(FakeStsOptions options);
  ~FakeSts();
  FakeSts(const FakeSts&) = delete;
  FakeSts& operator=(const FakeSts&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"

  // Response headers of a scripted answer (e.g. x-amzn-RequestId), beside Content-Type.
  using Headers = std::map<std::string, std::string>;
  // The next request is answered with fixtures/sts/errors/<file> and this status.
  void push_error(int status, const std::string& file, Headers headers = {});
  // The next request is answered with this body (malformed answers) and status.
  void push_raw(int status, std::string body, Headers headers = {});
  // The next request gets nothing for `pause` (or until the fake is destroyed), then a 500.
  void push_stall(std::chrono::milliseconds pause);

  std::vector<StsRequest> requests() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bedrock_lite::test
