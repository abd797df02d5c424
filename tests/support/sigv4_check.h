// SigV4 header signatures checked from the raw request, with the test's own HMAC chain over
// OpenSSL (independent of the library's signer), for the fake Bedrock and the fake STS. Free of
// httplib types, so it lives in the shared support library.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bedrock_lite::test {

// The request as received. `header_values` gives every value of a header (lower-case name), in
// order; an empty list when absent.
struct ReceivedRequest {
  std::string method;
  std::string target;  // raw path (and query), as sent
  std::string body;
  std::function<std::vector<std::string>(const std::string&)> header_values;
};

struct SignatureCheck {
  bool valid = false;
  std::string why;             // empty when valid
  std::string access_key_id;   // from Credential=, when it could be read
  std::string signed_headers;  // SignedHeaders= as sent
};

// Checks the Authorization header: an AWS4-HMAC-SHA256 signature over `region`/`service` by one
// of `keys` (access key id -> secret), every header of `must_sign` signed (and
// x-amz-security-token when sent), recomputed over the canonical request of a non-S3 service.
// Lower-case hex of `size` bytes, and HMAC-SHA256 (raw bytes): the test's own HMAC chain.
std::string hex(const unsigned char* data, std::size_t size);
std::string hmac_sha256(const std::string& key, const std::string& data);

SignatureCheck check_sigv4(const ReceivedRequest& request,
                           const std::map<std::string, std::string>& keys,
                           const std::string& region, const std::string& service,
                           const std::vector<std::string>& must_sign = {"host", "x-amz-date"});

}  // namespace bedrock_lite::test
