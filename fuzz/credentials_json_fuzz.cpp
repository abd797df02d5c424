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
    if (!sink.on_head(head)) return bedrock_lite::make_error(bedrock_lite::ErrorKind::Cancelled, "x");
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

void check(const Result<credentials::Credentials>& result, std::string_view input,
           const char* which) {
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
    // Only a value that appears nowhere else in the document (an Expiration or Message member
    // is quoted on purpose, and may happen to hold the same text).
    if (secret.size() >= 8 && input.find(secret) == input.rfind(secret) &&
        message.find(secret) != std::string::npos)
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto transport = std::make_shared<MemoryTransport>(input);

  check(credentials::make_container_provider(context(transport))->resolve(), input, "container");
  check(credentials::make_imds_provider(context(transport))->resolve(), input, "imds");

  credentials::detail::CredentialsDocument process_shape;
  process_shape.session_token_member = "SessionToken";
  process_shape.session_token_required = false;
  process_shape.expiration_required = false;
  process_shape.require_version_1 = true;
  check(credentials::detail::parse_credentials_document(
            input, "credential_process for profile fuzz", process_shape, "process:fuzz"),
        input, "credential_process");
  return 0;
}
