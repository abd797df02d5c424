#include "support/sigv4_check.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace bedrock_lite::test {
namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(digest, sizeof digest);
}

std::string canonical_uri(const std::string& raw_path) {
  std::string out;
  char buffer[4];
  for (char c : raw_path) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '/') {
      out += c;
    } else {
      std::snprintf(buffer, sizeof buffer, "%%%02X", static_cast<unsigned char>(c));
      out += buffer;
    }
  }
  return out.empty() ? "/" : out;
}

std::string trim_collapse(const std::string& value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  std::istringstream in(text);
  while (std::getline(in, current, separator)) parts.push_back(current);
  return parts;
}

}  // namespace

std::string hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0F];
  }
  return out;
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

SignatureCheck check_sigv4(const ReceivedRequest& request,
                           const std::map<std::string, std::string>& keys,
                           const std::string& region, const std::string& service,
                           const std::vector<std::string>& must_sign) {
  SignatureCheck check;
  auto fail = [&check](std::string why) {
    check.why = std::move(why);
    return check;
  };
  const auto authorizations = request.header_values("authorization");
  const std::string prefix = "AWS4-HMAC-SHA256 ";
  if (authorizations.size() != 1 || authorizations[0].rfind(prefix, 0) != 0) {
    return fail("missing or non-SigV4 Authorization header");
  }
  std::string credential, signed_headers, signature;
  for (auto part : split(authorizations[0].substr(prefix.size()), ',')) {
    part = trim_collapse(part);
    if (part.rfind("Credential=", 0) == 0) credential = part.substr(11);
    if (part.rfind("SignedHeaders=", 0) == 0) signed_headers = part.substr(14);
    if (part.rfind("Signature=", 0) == 0) signature = part.substr(10);
  }
  check.signed_headers = signed_headers;
  const auto scope = split(credential, '/');
  if (scope.size() != 5) return fail("malformed Credential");
  check.access_key_id = scope[0];
  const auto key = keys.find(scope[0]);
  if (key == keys.end()) return fail("unknown access key " + scope[0]);
  const auto dates = request.header_values("x-amz-date");
  if (dates.size() != 1 || dates[0].size() != 16 || dates[0].substr(0, 8) != scope[1]) {
    return fail("X-Amz-Date does not match the scope");
  }
  if (scope[2] != region || scope[3] != service || scope[4] != "aws4_request") {
    return fail("wrong credential scope " + credential.substr(scope[0].size()));
  }
  const auto names = split(signed_headers, ';');
  for (const auto& required : must_sign) {
    if (std::find(names.begin(), names.end(), required) == names.end()) {
      return fail("header not signed: " + required);
    }
  }
  if (!request.header_values("x-amz-security-token").empty() &&
      std::find(names.begin(), names.end(), "x-amz-security-token") == names.end()) {
    return fail("x-amz-security-token sent but not signed");
  }
  if (!std::is_sorted(names.begin(), names.end())) return fail("SignedHeaders not sorted");
  std::string canonical_headers;
  for (const auto& name : names) {
    const auto values = request.header_values(name);
    if (values.empty()) return fail("signed header missing: " + name);
    std::string value;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) value += ',';
      value += trim_collapse(values[i]);
    }
    canonical_headers += name + ":" + value + "\n";
  }
  const auto query_at = request.target.find('?');
  if (query_at != std::string::npos) return fail("unexpected query string");
  const std::string canonical_request = request.method + "\n" + canonical_uri(request.target) +
                                        "\n\n" + canonical_headers + "\n" + signed_headers + "\n" +
                                        sha256_hex(request.body);
  const std::string string_to_sign = "AWS4-HMAC-SHA256\n" + dates[0] + "\n" + scope[1] + "/" +
                                     scope[2] + "/" + scope[3] + "/aws4_request\n" +
                                     sha256_hex(canonical_request);
  std::string signing_key = hmac_sha256("AWS4" + key->second, scope[1]);
  signing_key = hmac_sha256(signing_key, scope[2]);
  signing_key = hmac_sha256(signing_key, scope[3]);
  signing_key = hmac_sha256(signing_key, "aws4_request");
  const std::string raw = hmac_sha256(signing_key, string_to_sign);
  if (hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()) != signature) {
    return fail("signature mismatch");
  }
  check.valid = true;
  return check;
}

}  // namespace bedrock_lite::test
