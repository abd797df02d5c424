// Fuzz target: arbitrary bytes as a Converse or CountTokens response body (the JSON a peer sends
// back). Seeds: fixtures/recorded (every recorded response.body), fixtures/regressions/
// converse_response. Properties:
//  - parsing never crashes; a failure is a Protocol error with a one-line message;
//  - what parses serialises to JSON that parses again, and serialising that gives the same text
//    (the model is lossless, so to_json is a fixed point after one round).
#include <bedrock_lite/converse_types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace converse = bedrock_lite::converse;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "converse_response_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_error(const bedrock_lite::Error& error) {
  if (error.kind != bedrock_lite::ErrorKind::Protocol) die("error kind is not Protocol");
  if (error.message.empty()) die("empty error message");
  if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
}

template <class Parse>
void round_trip(std::string_view body, Parse parse) {
  auto parsed = parse(body);
  if (!parsed.ok()) return check_error(parsed.error());
  const std::string once = converse::to_json(*parsed);
  auto again = parse(once);
  if (!again.ok()) die("re-serialised body does not parse:", again.error().message);
  const std::string twice = converse::to_json(*again);
  if (once != twice) die("to_json is not stable:", once + " vs " + twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  round_trip(body, [](std::string_view json) { return converse::parse_converse_response(json); });
  round_trip(body,
             [](std::string_view json) { return converse::parse_count_tokens_response(json); });
  return 0;
}
