// The transport-independent parts of http.h: header lookup, buffered fetch, header redaction.
#include <bedrock_lite/http.h>

#include <bedrock_lite/core.h>
#include <bedrock_lite/internal/text.h>

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace bedrock_lite::http {
namespace {

using internal::host_of;
using internal::iequals;

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Buffers a body up to a cap; refusing more bytes cancels the transfer.
class BufferSink final : public BodySink {
 public:
  explicit BufferSink(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  bool on_head(const ResponseHead& head) override {
    response.status = head.status;
    response.headers = head.headers;
    return true;
  }

  bool on_body(std::string_view chunk) override {
    if (chunk.size() > max_bytes_ - response.body.size()) {
      too_large = true;
      return false;
    }
    response.body.append(chunk.data(), chunk.size());
    return true;
  }

  Response response;
  bool too_large = false;

 private:
  std::size_t max_bytes_;
};

}  // namespace

const std::string* find_header(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) return &header.value;
  }
  return nullptr;
}

Result<Response> fetch(Transport& transport, const Request& request, std::size_t max_body_bytes) {
  BufferSink sink(max_body_bytes);
  auto head = transport.send(request, sink);
  if (!head.ok()) {
    if (sink.too_large) {
      return make_error(ErrorKind::Protocol, "response body from " +
                                                 std::string(host_of(request.url)) + " exceeds " +
                                                 std::to_string(max_body_bytes) + " bytes");
    }
    return std::move(head).error();
  }
  sink.response.status = head->status;
  sink.response.headers = head->headers;
  return std::move(sink.response);
}

std::string redact_header_value(std::string_view name, std::string_view value) {
  // Names whose value is a credential wherever they appear (SigV4 signature, session token,
  // IMDSv2 token, API keys, cookies).
  static constexpr std::string_view kSecretNames[] = {
      "authorization", "proxy-authorization", "x-amz-security-token", "cookie", "set-cookie",
      "x-api-key", "x-aws-ec2-metadata-token",
      // The SSO portal's bearer token and the sign-in service's DPoP proof.
      "x-amz-sso_bearer_token", "dpop"};
  for (auto secret : kSecretNames) {
    if (iequals(name, secret)) return Secret::kMask;
  }
  if (iends_with(name, "-token") || iends_with(name, "-api-key")) return Secret::kMask;
  // A bearer token under any name (Bedrock API keys travel as "Bearer <key>").
  std::string_view trimmed = value;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
    trimmed.remove_prefix(1);
  }
  if (istarts_with(trimmed, "bearer ")) return Secret::kMask;
  return std::string(value);
}

}  // namespace bedrock_lite::http
