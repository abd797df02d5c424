// Fuzz target: arbitrary bytes as a Converse or CountTokens response body (the JSON a peer sends
// back). Seeds: fixtures/recorded (every recorded response.body), fixtures/regressions/
// converse_response. Properties:
//  - parsing never crashes; a failure is a Protocol error with a one-line message;
//  - what parses serialises to JSON that parses again, and serialising that gives the same text
//    (the model is lossless, so to_json is a fixed point after one round);
//  - serialising never fails on what parsed (nothing is left that cannot be written);
//  - pass-through members (additionalModelResponseFields, trace, tool input, every extra member
//    at the top, in usage and in content blocks) are the input's bytes, verbatim (docs/json.md);
//  - every top-level member of the input is in the output (nothing silently dropped).
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
  std::fprintf(stderr, "converse_response_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_error(const bedrock_lite::Error& error) {
  if (error.kind != bedrock_lite::ErrorKind::Protocol) die("error kind is not Protocol");
  if (error.message.empty()) die("empty error message");
  if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
}

constexpr const char* kTarget = "converse_response_fuzz";

void check_extra(std::string_view body, const converse::ExtraMembers& extra) {
  for (const auto& [name, json] : extra) fuzz_json::check_verbatim(kTarget, body, json, "extra");
}

void check_pass_through(std::string_view body, const converse::ConverseResponse& r) {
  if (r.additional_model_response_fields)
    fuzz_json::check_verbatim(kTarget, body, *r.additional_model_response_fields,
                              "additionalModelResponseFields");
  if (r.trace) fuzz_json::check_verbatim(kTarget, body, *r.trace, "trace");
  check_extra(body, r.extra);
  if (r.usage) check_extra(body, r.usage->extra);
  if (!r.output.message) return;
  for (const auto& block : r.output.message->content) {
    check_extra(body, block.extra);
    if (block.tool_use) fuzz_json::check_verbatim(kTarget, body, block.tool_use->input, "input");
  }
}
void check_pass_through(std::string_view body, const converse::CountTokensResponse& r) {
  check_extra(body, r.extra);
}

template <class Parse>
void round_trip(std::string_view body, Parse parse) {
  auto parsed = parse(body);
  if (!parsed.ok()) return check_error(parsed.error());
  check_pass_through(body, *parsed);
  auto written = converse::to_json(*parsed);
  if (!written.ok()) die("what parsed cannot be written:", written.error().message);
  const std::string once = std::move(written).value();
  fuzz_json::check_same_members(kTarget, body, once);
  auto again = parse(once);
  if (!again.ok()) die("re-serialised body does not parse:", again.error().message);
  const std::string twice = converse::to_json(*again).value();
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
