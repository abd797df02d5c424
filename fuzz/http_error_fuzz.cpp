// Fuzz target: an HTTP error reply (status, headers, body) into an Error (converse::http_error),
// and the same bytes as a stream exception / error message (stream_exception_error,
// stream_error_message).
//
// Input, as a reply is written on the wire minus the status line's protocol and reason:
//   <status digits>\n<Name: value>\n...\n\n<body>
// Seeds: fixtures/regressions/http_error (readable replies: service errors, proxies' HTML,
// empty bodies), fixtures/recorded.
//
// Properties: never crashes; the Error is of kind Service (Protocol for a stream message without
// its type), with a non-empty one-line message of bounded length, a non-empty aws_type without
// ':' or '#', the status as given, and the request id from the headers.
#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace converse = bedrock_lite::converse;
namespace http = bedrock_lite::http;
using bedrock_lite::Error;
using bedrock_lite::ErrorKind;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "http_error_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// Bounded: the longest message is the 1000-byte message cap plus the "original ..." detail,
// itself capped, plus fixed text.
constexpr std::size_t kMaxMessage = 2200;

void check_message(const Error& error) {
  if (error.message.empty()) die("empty message");
  if (error.message.find('\n') != std::string::npos ||
      error.message.find('\r') != std::string::npos)
    die("multi-line message", error.message);
  if (error.message.size() > kMaxMessage)
    die("unbounded message", std::to_string(error.message.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int status = 0;
  const std::size_t first = input.find('\n');
  const std::string_view status_text = input.substr(0, first);
  std::from_chars(status_text.data(), status_text.data() + status_text.size(), status);
  input.remove_prefix(first == std::string_view::npos ? input.size() : first + 1);
  http::Headers headers;
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  const std::string_view body = input;

  const Error error = converse::http_error(status, headers, body);
  if (error.kind != ErrorKind::Service) die("http_error kind is not Service");
  if (error.http_status != status) die("status not kept");
  check_message(error);
  if (error.aws_type.empty()) die("empty aws_type");
  if (error.aws_type.find_first_of(":#\n\r") != std::string::npos)
    die("unsanitised aws_type", error.aws_type);
  const std::string* id = http::find_header(headers, "x-amzn-RequestId");
  if (id == nullptr) id = http::find_header(headers, "x-amz-request-id");
  if (id != nullptr && error.request_id != *id) die("request id not kept");
  (void)error.to_string();

  // The same bytes as an event-stream exception: the first header's value as its type.
  const std::string type = headers.empty() ? std::string() : headers.front().value;
  const Error exception = converse::stream_exception_error(type, body);
  check_message(exception);
  if (exception.kind == ErrorKind::Service) {
    if (exception.aws_type != type) die("exception type not kept as sent");
  } else if (exception.kind != ErrorKind::Protocol) {
    die("stream exception of an unexpected kind");
  }
  const Error message = converse::stream_error_message(type, body);
  check_message(message);
  if (message.kind != ErrorKind::Service && message.kind != ErrorKind::Protocol)
    die("stream error message of an unexpected kind");
  return 0;
}
