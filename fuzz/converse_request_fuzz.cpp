// Fuzz target: arbitrary bytes as a Converse / ConverseStream or CountTokens request body (what
// `bedrock-lite converse --body` and the fixture tools read from a user). Seeds:
// fixtures/regressions/converse_request (readable request bodies) and fixtures/recorded.
// Properties:
//  - parsing never crashes; a failure is a Usage error with a one-line message;
//  - what parses serialises to JSON that parses again and serialises to the same text;
//  - the CountTokens request derived from a Converse request serialises and parses back;
//  - serialising never fails on what parsed;
//  - pass-through members (additionalModelRequestFields, tool input, tool result json, every
//    extra member at the top, in messages and in content blocks) are the input's bytes, verbatim
//    (docs/json.md), and every top-level member of the input is in the output.
#include <bedrock_lite/converse_types.h>

#include "json_properties.h"

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

constexpr const char* kTarget = "converse_request_fuzz";

void check_extra(std::string_view body, const converse::ExtraMembers& extra) {
  for (const auto& [name, json] : extra) fuzz_json::check_verbatim(kTarget, body, json, "extra");
}

void check_pass_through(std::string_view body, const converse::ConverseRequest& r) {
  if (r.additional_model_request_fields)
    fuzz_json::check_verbatim(kTarget, body, *r.additional_model_request_fields,
                              "additionalModelRequestFields");
  check_extra(body, r.extra);
  if (!r.messages) return;
  for (const auto& message : *r.messages) {
    check_extra(body, message.extra);
    for (const auto& block : message.content) {
      check_extra(body, block.extra);
      if (block.tool_use) fuzz_json::check_verbatim(kTarget, body, block.tool_use->input, "input");
      if (!block.tool_result) continue;
      for (const auto& item : block.tool_result->content) {
        if (item.json) fuzz_json::check_verbatim(kTarget, body, *item.json, "json");
      }
    }
  }
}
void check_pass_through(std::string_view body, const converse::CountTokensRequest& r) {
  check_extra(body, r.extra);
  check_extra(body, r.input_extra);
  if (r.converse) check_pass_through(body, *r.converse);
}

template <class T, class Parse>
bool round_trip(std::string_view body, Parse parse, T* out = nullptr) {
  auto parsed = parse(body);
  if (!parsed.ok()) {
    check_error(parsed.error());
    return false;
  }
  check_pass_through(body, *parsed);
  auto written = converse::to_json(*parsed);
  if (!written.ok()) die("what parsed cannot be written:", written.error().message);
  const std::string once = std::move(written).value();
  fuzz_json::check_same_members(kTarget, body, once);
  auto again = parse(once);
  if (!again.ok()) die("re-serialised body does not parse:", again.error().message);
  const std::string twice = converse::to_json(*again).value();
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
    auto written = converse::to_json(count);
    if (!written.ok())
      die("derived CountTokens request cannot be written:", written.error().message);
    auto parsed = converse::parse_count_tokens_request(*written);
    if (!parsed.ok()) die("derived CountTokens request does not parse:", parsed.error().message);
  }
  round_trip<converse::CountTokensRequest>(
      body, [](std::string_view json) { return converse::parse_count_tokens_request(json); });
  return 0;
}
