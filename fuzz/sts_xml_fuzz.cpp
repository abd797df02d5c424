// Fuzz target: the STS answer reader (credentials/src/sts_xml.h): the XML of AssumeRole and
// AssumeRoleWithWebIdentity answers and of STS error documents, read with expat.
//
// Seeds: fixtures/sts (the STS API reference examples, error documents, and malformed ones: the
// entity bomb, an external entity, deep nesting) and fixtures/regressions/sts_xml.
//
// Properties: never crashes or hangs (entity declarations are refused, so no input expands);
// a failure is a one-line Protocol error that never contains the SecretAccessKey or SessionToken
// text; credentials that are read have a key id, a secret, a session token and an expiration.
#include <bedrock_lite/credentials.h>

#include "sts_xml.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace detail = bedrock_lite::credentials::detail;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "sts_xml_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// The text between <Name> and </Name> as written plainly, or "".
std::string plain_member(std::string_view text, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto start = text.find(open);
  if (start == std::string_view::npos) return {};
  const auto end = text.find(close, start + open.size());
  if (end == std::string_view::npos) return {};
  return std::string(text.substr(start + open.size(), end - start - open.size()));
}

// `message_of` recomputes the message for another input. A secret found in the message is a
// leak only when the message still holds it with the secret replaced in the input (a fuzzed
// secret may equal words of the message's own wording: a differential check, as
// credentials_json_fuzz does).
template <class MessageOf>
void check_message(const std::string& message, std::string_view input, MessageOf message_of) {
  if (message.empty() || message.find('\n') != std::string::npos)
    die("empty or multi-line error:", message);
  for (const char* member : {"SecretAccessKey", "SessionToken"}) {
    const std::string secret = plain_member(input, member);
    // Short texts may be words of the message itself.
    if (secret.size() < 12 || message.find(secret) == std::string::npos) continue;
    // Only the member's own text changes; the rest of the document stays as it was.
    std::string other(input);
    const std::string open = "<" + std::string(member) + ">";
    const auto at = other.find(open) + open.size();
    other.replace(at, secret.size(), std::string(secret.size(), 'Q'));
    if (message_of(other).find(secret) == std::string::npos)
      die("error message quotes a secret member:", message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const char* action : {"AssumeRole", "AssumeRoleWithWebIdentity"}) {
    auto read = detail::parse_sts_credentials(input, action, "STS fuzz");
    if (read.ok()) {
      if (read->access_key_id.empty() || read->secret_access_key.empty() ||
          read->session_token.empty() || !read->expiration)
        die("credentials with an empty member from", action);
    } else {
      if (read.error().kind != bedrock_lite::ErrorKind::Protocol)
        die("a non-Protocol error from", action);
      check_message(read.error().message, input, [action](std::string_view text) {
        auto again = detail::parse_sts_credentials(text, action, "STS fuzz");
        return again.ok() ? std::string() : again.error().message;
      });
    }
  }
  auto error = detail::parse_sts_error(input);
  if (error.ok() && error->code.empty()) die("an error document without a code");
  const auto mapped = detail::sts_error_from_answer(400, input, "", "STS fuzz");
  if (mapped.kind != bedrock_lite::ErrorKind::Service) die("a non-Service error for HTTP 400");
  check_message(mapped.message, input, [](std::string_view text) {
    return detail::sts_error_from_answer(400, text, "", "STS fuzz").message;
  });
  return 0;
}
