// Fuzz target: a sequence of ConverseStream events, each its `:event-type` and payload, parsed
// into typed events and fed to the StreamAccumulator, as the client does with a decoded stream.
//
// Input: one event per line in the form of the derived fixture files *.events.jsonl
// (`{"<event type>":<payload>}`), so every recorded stream in fixtures/recorded is a seed as it
// is. The line is split by hand, not parsed: `{"` then the event type up to `":`, then the
// payload up to the last `}`. A line not in that form is a contentBlockDelta whose payload is the
// whole line. Seeds: fixtures/recorded, fixtures/regressions/stream_event.
//
// Properties: nothing crashes; every failure is a Protocol error with a one-line message; after
// an accumulator error the accumulator stays failed (every later add fails, finish fails); a
// response that finishes serialises to JSON that parse_converse_response reads back, and again
// to the same text; an unknown event type is never an error; every extra member and document of
// an event is a verbatim slice of its payload, and the accumulated tool input and
// additionalModelResponseFields are the service's bytes (docs/json.md).
#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>

#include "json_properties.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace converse = bedrock_lite::converse;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "stream_event_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_error(const bedrock_lite::Error& error) {
  if (error.kind != bedrock_lite::ErrorKind::Protocol) die("error kind is not Protocol");
  if (error.message.empty()) die("empty error message");
  if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
}

constexpr const char* kTarget = "stream_event_fuzz";

void check_extra(std::string_view payload, const converse::ExtraMembers& extra) {
  for (const auto& [name, json] : extra) fuzz_json::check_verbatim(kTarget, payload, json, "extra");
}

void check_pass_through(std::string_view payload, const converse::StreamEvent& event) {
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (!std::is_same_v<T, converse::UnknownEvent>) check_extra(payload, body.extra);
        if constexpr (std::is_same_v<T, converse::MessageStopEvent>) {
          if (body.additional_model_response_fields)
            fuzz_json::check_verbatim(kTarget, payload, *body.additional_model_response_fields,
                                      "additionalModelResponseFields");
        }
        if constexpr (std::is_same_v<T, converse::MetadataEvent>) {
          if (body.trace) fuzz_json::check_verbatim(kTarget, payload, *body.trace, "trace");
        }
      },
      event.body);
}

bool known(std::string_view type) {
  return type == "messageStart" || type == "contentBlockStart" || type == "contentBlockDelta" ||
         type == "contentBlockStop" || type == "messageStop" || type == "metadata";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  converse::StreamAccumulator accumulator;
  bool failed = false;
  std::uint64_t index = 0;
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    std::string_view type = "contentBlockDelta";
    std::string_view payload = line;
    const std::size_t colon = line.find("\":");
    const std::size_t close = line.rfind('}');
    if (line.substr(0, 2) == "{\"" && colon != std::string_view::npos && close != 0 &&
        close != std::string_view::npos && close > colon + 2) {
      type = line.substr(2, colon - 2);
      payload = line.substr(colon + 2, close - colon - 2);
    }
    auto event = converse::parse_stream_event(type, payload, index++);
    if (!event.ok()) {
      if (!known(type)) die("unknown event type failed:", event.error().message);
      check_error(event.error());
      continue;  // the client stops here; keep going to feed the accumulator more shapes
    }
    if (event->event_type != type || event->payload != payload) die("event not kept as sent");
    check_pass_through(payload, *event);
    auto added = accumulator.add(*event);
    if (failed && added.ok()) die("accumulator accepted an event after failing");
    if (!added.ok()) {
      check_error(added.error());
      failed = true;
    }
  }
  auto response = accumulator.finish();
  if (failed && response.ok()) die("a failed accumulator finished");
  if (!response.ok()) {
    check_error(response.error());
    return 0;
  }
  auto written = converse::to_json(*response);
  if (!written.ok()) die("accumulated response cannot be written:", written.error().message);
  const std::string json = std::move(written).value();
  auto reparsed = converse::parse_converse_response(json);
  if (!reparsed.ok()) die("accumulated response does not parse:", reparsed.error().message);
  if (converse::to_json(*reparsed).value() != json)
    die("accumulated response does not round-trip", json);
  return 0;
}
