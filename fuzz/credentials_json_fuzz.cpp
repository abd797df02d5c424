// Fuzz target: the credential documents a peer sends: the container endpoint's JSON, the IMDS
// security-credentials document, and credential_process's Version 1 output.
//
// The same input goes (1) to the container provider and (2) to the IMDS provider, each over an
// in-memory transport that answers the provider's requests (IMDS: the session token PUT and the
// role listing get fixed answers, the credentials GET gets the input), and (3) to the parser
// credential_process output goes through (credentials/src/credentials_json.h: running a process
// per input would be too slow and would make the fuzzer run commands). Seeds:
// fixtures/regressions/credentials_json (readable documents of each shape, and broken ones).
//
// Properties: never crashes; a failure is a one-line error that never contains the
// SecretAccessKey or Token member's value; credentials that resolve have a key id and a secret.
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/http.h>

#include "credentials_json.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace credentials = bedrock_lite::credentials;
namespace http = bedrock_lite::http;
using bedrock_lite::Result;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "credentials_json_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// Answers every request from memory: IMDS's token PUT and role listing with fixed text, any
// other GET with the fuzz input.
class MemoryTransport final : public http::Transport {
 public:
  explicit MemoryTransport(std::string_view document) : document_(document) {}

  Result<http::ResponseHead> send(const http::Request& request, http::BodySink& sink) override {
    http::ResponseHead head;
    head.status = 200;
    std::string_view body = document_;
    if (request.method == "PUT") {
      head.headers.push_back({"x-aws-ec2-metadata-token-ttl-seconds", "21600"});
      body = "fuzz-imds-session-token";
    } else if (request.url.size() >= 1 && request.url.back() == '/') {
      body = "fuzz-role";  // the role listing
    }
    if (!sink.on_head(head))
      return bedrock_lite::make_error(bedrock_lite::ErrorKind::Cancelled, "x");
    if (!body.empty() && !sink.on_body(body))
      return bedrock_lite::make_error(bedrock_lite::ErrorKind::Cancelled, "x");
    return head;
  }

 private:
  std::string_view document_;
};

// The value of a string member as it appears in the raw text ("Name":"value"), when it is
// written plainly; good enough to catch an error message quoting the secret.
std::string plain_member(std::string_view text, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  const std::size_t at = text.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + key.size();
  const std::size_t end = text.find_first_of("\"\\", start);
  if (end == std::string_view::npos) return {};
  return std::string(text.substr(start, end - start));
}

// Each letter and digit moved one place in its range: same length and shape, other text.
std::string rotated(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z')
      c = c == 'z' ? 'a' : static_cast<char>(c + 1);
    else if (c >= 'A' && c <= 'Z')
      c = c == 'Z' ? 'A' : static_cast<char>(c + 1);
    else if (c >= '0' && c <= '9')
      c = c == '9' ? '0' : static_cast<char>(c + 1);
  }
  return text;
}

using Source = Result<credentials::Credentials> (*)(std::string_view);

void check(Source source, std::string_view input, const char* which) {
  const auto result = source(input);
  if (result.ok()) {
    if (result->access_key_id.empty() || result->secret_access_key.empty())
      die("credentials without key id or secret from", which);
    return;
  }
  const std::string& message = result.error().message;
  if (message.empty() || message.find('\n') != std::string::npos)
    die("empty or multi-line error from", which);
  for (const char* secret_member : {"SecretAccessKey", "Token", "SessionToken"}) {
    const std::string secret = plain_member(input, secret_member);
    if (secret.size() < 8 || message.find(secret) == std::string::npos) continue;
    // The text may also be part of the message's own wording, or of another member that is
    // quoted on purpose (Expiration, Message): only a message that follows the secret when the
    // secret changes quotes it.
    const std::string other = rotated(secret);
    if (other == secret) continue;
    std::string changed(input);
    for (std::size_t at = 0; (at = changed.find(secret, at)) != std::string::npos;
         at += other.size())
      changed.replace(at, secret.size(), other);
    const auto again = source(changed);
    if (!again.ok() && again.error().message.find(other) != std::string::npos &&
        plain_member(changed, secret_member) == other &&
        changed.find(other) == changed.rfind(other))
      die("error message quotes a secret:", message);
  }
}

credentials::ProviderContext context(std::shared_ptr<http::Transport> transport) {
  credentials::ProviderContext ctx;
  ctx.environment = credentials::Environment(
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/credentials"},
       {"HOME", "/nonexistent-fuzz-home"}});
  ctx.transport = std::move(transport);
  ctx.clock = [] { return std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)); };
  ctx.jitter = [] { return 0.5; };
  ctx.sleeper = [](std::chrono::milliseconds) {};
  ctx.metadata.imds_endpoint = "http://127.0.0.1:1";
  ctx.metadata.container_attempts = 1;
  return ctx;
}

Result<credentials::Credentials> from_container(std::string_view document) {
  auto transport = std::make_shared<MemoryTransport>(document);
  return credentials::make_container_provider(context(transport))->resolve();
}

Result<credentials::Credentials> from_imds(std::string_view document) {
  auto transport = std::make_shared<MemoryTransport>(document);
  return credentials::make_imds_provider(context(transport))->resolve();
}

Result<credentials::Credentials> from_process_output(std::string_view document) {
  credentials::detail::CredentialsDocument process_shape;
  process_shape.session_token_member = "SessionToken";
  process_shape.session_token_required = false;
  process_shape.expiration_required = false;
  process_shape.require_version_1 = true;
  return credentials::detail::parse_credentials_document(
      document, "credential_process for profile fuzz", process_shape, "process:fuzz");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(&from_container, input, "container");
  check(&from_imds, input, "imds");
  check(&from_process_output, input, "credential_process");
  return 0;
}
