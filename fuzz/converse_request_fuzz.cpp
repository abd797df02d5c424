// Fuzz target: arbitrary bytes as a Converse / ConverseStream or CountTokens request body (what
// `bedrock-lite converse --body` and the fixture tools read from a user). Seeds:
// fixtures/regressions/converse_request (readable request bodies) and fixtures/recorded.
// Properties:
//  - parsing never crashes; a failure is a Usage error with a one-line message;
//  - what parses serialises to JSON that parses again and serialises to the same text;
//  - the CountTokens request derived from a Converse request serialises and parses back.
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
  std::fprintf(stderr, "converse_request_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_error(const bedrock_lite::Error& error) {
  if (error.kind != bedrock_lite::ErrorKind::Usage) die("error kind is not Usage");
  if (error.message.empty()) die("empty error message");
  if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
}

template <class T, class Parse>
bool round_trip(std::string_view body, Parse parse, T* out = nullptr) {
  auto parsed = parse(body);
  if (!parsed.ok()) {
    check_error(parsed.error());
    return false;
  }
  const std::string once = converse::to_json(*parsed);
  auto again = parse(once);
  if (!again.ok()) die("re-serialised body does not parse:", again.error().message);
  const std::string twice = converse::to_json(*again);
  if (once != twice) die("to_json is not stable:", once + " vs " + twice);
  if (out != nullptr) *out = std::move(parsed).value();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  converse::ConverseRequest request;
  if (round_trip(
          body, [](std::string_view json) { return converse::parse_converse_request(json); },
          &request)) {
    request.model_id = "fuzz.model-v1:0";
    const converse::CountTokensRequest count = converse::count_tokens_request(request);
    auto parsed = converse::parse_count_tokens_request(converse::to_json(count));
    if (!parsed.ok()) die("derived CountTokens request does not parse:", parsed.error().message);
  }
  round_trip<converse::CountTokensRequest>(
      body, [](std::string_view json) { return converse::parse_count_tokens_request(json); });
  return 0;
}
