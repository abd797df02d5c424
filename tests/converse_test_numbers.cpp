// Numbers hard for doubles pass through the model byte for byte, and a value that cannot be
// written is an error naming its JSON pointer, never a truncated body (docs/json.md, issue 17).
// Table: fixtures/json-numbers/numbers.txt; each number goes into a request's pass-through
// members, a response's, stream events' and tool input.
#include <bedrock_lite/converse.h>

#include <bedrock_lite/internal/json.h>

#include "support/hard_numbers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace cv = bedrock_lite::converse;
namespace internal = bedrock_lite::internal;
using bedrock_lite::ErrorKind;
using bedrock_lite::test::hard_numbers;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The extra member `name` of `extra`, or "<absent>".
std::string extra_member(const cv::ExtraMembers& extra, const std::string& name) {
  for (const auto& [key, json] : extra) {
    if (key == name) return json;
  }
  return "<absent>";
}

// `text` as the inside of a JSON string (the tables hold no control characters).
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("numbers: a request's pass-through members keep each number's text") {
  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      const std::string body =
          R"({"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f",)"
          R"("input":{"x": )" +
          n.text +
          R"(}}}]},{"role":"user","content":[{"toolResult":)"
          R"({"toolUseId":"t1","content":[{"json":[)" +
          n.text + R"(]}]}}],"note":)" + n.text + R"(}],"additionalModelRequestFields":{"r":)" +
          n.text + R"(},"unknownMember":)" + n.text + "}";
      auto parsed = cv::parse_converse_request(body);
      REQUIRE(parsed.ok());
      CHECK(*parsed->additional_model_request_fields == R"({"r":)" + n.text + "}");
      CHECK(parsed->messages->at(0).content.at(0).tool_use->input == R"({"x": )" + n.text + "}");
      CHECK(*parsed->messages->at(1).content.at(0).tool_result->content.at(0).json ==
            "[" + n.text + "]");
      CHECK(extra_member(parsed->messages->at(1).extra, "note") == n.text);
      CHECK(extra_member(parsed->extra, "unknownMember") == n.text);

      auto written = cv::to_json(*parsed);
      REQUIRE(written.ok());
      CHECK(contains(*written, R"("additionalModelRequestFields":{"r":)" + n.text + "}"));
      CHECK(contains(*written, R"("input":{"x": )" + n.text + "}"));
      CHECK(contains(*written, R"("json":[)" + n.text + "]"));
      CHECK(contains(*written, R"("unknownMember":)" + n.text + "}"));
      // Written text parses again and writes the same bytes (a fixed point).
      auto again = cv::parse_converse_request(*written);
      REQUIRE(again.ok());
      CHECK(cv::to_json(*again).value() == *written);
      // The CountTokens request derived from it carries the same bytes.
      auto count = cv::to_json(cv::count_tokens_request(*parsed));
      REQUIRE(count.ok());
      CHECK(contains(*count, R"("additionalModelRequestFields":{"r":)" + n.text + "}"));
    }
  }
}

TEST_CASE("numbers: a response's pass-through members keep each number's text") {
  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      const std::string body =
          R"({"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t",)"
          R"("name":"f","input":{"x":[)" +
          n.text +
          R"(]}}}]}},"stopReason":"tool_use",)"
          R"("usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3,"future":)" +
          n.text + R"(},"metrics":{"latencyMs":4},"additionalModelResponseFields":{"x":[)" +
          n.text + R"(]},"trace":{"t":)" + n.text + R"(},"newMember":)" + n.text + "}";
      auto parsed = cv::parse_converse_response(body);
      REQUIRE(parsed.ok());
      CHECK(*parsed->additional_model_response_fields == R"({"x":[)" + n.text + "]}");
      CHECK(parsed->output.message->content.at(0).tool_use->input == R"({"x":[)" + n.text + "]}");
      CHECK(*parsed->trace == R"({"t":)" + n.text + "}");
      CHECK(extra_member(parsed->usage->extra, "future") == n.text);
      CHECK(extra_member(parsed->extra, "newMember") == n.text);
      auto written = cv::to_json(*parsed);
      REQUIRE(written.ok());
      CHECK(contains(*written, R"("additionalModelResponseFields":{"x":[)" + n.text + "]}"));
      CHECK(contains(*written, R"("newMember":)" + n.text + "}"));
      auto again = cv::parse_converse_response(*written);
      REQUIRE(again.ok());
      CHECK(cv::to_json(*again).value() == *written);
    }
  }
}

TEST_CASE("numbers: stream events and the accumulated response keep each number's text") {
  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      // The tool input arrives as fragments of JSON text, split inside the number's neighbour.
      const std::string input = R"({"x": [)" + n.text + "]}";
      const std::pair<const char*, std::string> events[] = {
          {"messageStart", R"({"role":"assistant","p":)" + n.text + "}"},
          {"contentBlockStart",
           R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"f"}}})"},
          {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":")" +
                                    escaped(input.substr(0, 3)) + R"("}}})"},
          {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":")" +
                                    escaped(input.substr(3)) + R"("}},"p":)" + n.text + "}"},
          {"contentBlockStop", R"({"contentBlockIndex":0})"},
          {"messageStop",
           R"({"stopReason":"tool_use","additionalModelResponseFields":{"x":[)" + n.text + "]}}"},
          {"metadata", R"({"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},)"
                       R"("metrics":{"latencyMs":4},"trace":[)" +
                           n.text + "]}"},
      };
      cv::StreamAccumulator accumulator;
      std::uint64_t index = 0;
      for (const auto& [type, payload] : events) {
        INFO(type << " " << payload);
        auto event = cv::parse_stream_event(type, payload, index++);
        REQUIRE(event.ok());
        if (const auto* start = std::get_if<cv::MessageStartEvent>(&event->body))
          CHECK(extra_member(start->extra, "p") == n.text);
        if (const auto* stop = std::get_if<cv::MessageStopEvent>(&event->body))
          CHECK(*stop->additional_model_response_fields == R"({"x":[)" + n.text + "]}");
        if (const auto* metadata = std::get_if<cv::MetadataEvent>(&event->body))
          CHECK(*metadata->trace == "[" + n.text + "]");
        REQUIRE(accumulator.add(*event).ok());
      }
      auto response = accumulator.finish();
      REQUIRE(response.ok());
      CHECK(response->output.message->content.at(0).tool_use->input == input);
      CHECK(*response->additional_model_response_fields == R"({"x":[)" + n.text + "]}");
      auto written = cv::to_json(*response);
      REQUIRE(written.ok());
      CHECK(contains(*written, R"("input":)" + input));
    }
  }
}

TEST_CASE("numbers: modelled numbers are range-checked, naming the JSON pointer") {
  auto temperature = cv::parse_converse_request(
      R"({"messages":[],"inferenceConfig":{"maxTokens":10,"temperature":1e400}})");
  REQUIRE_FALSE(temperature.ok());
  CHECK(temperature.error().kind == ErrorKind::Usage);
  CHECK(temperature.error().message ==
        "Converse request body: /inferenceConfig/temperature: number out of range (a double)");

  auto max_tokens = cv::parse_converse_request(
      R"({"messages":[],"inferenceConfig":{"maxTokens":18446744073709551616}})");
  REQUIRE_FALSE(max_tokens.ok());
  CHECK(max_tokens.error().message ==
        "Converse request body: /inferenceConfig/maxTokens: integer out of range (a 64-bit "
        "signed integer)");

  auto not_integer =
      cv::parse_converse_request(R"({"messages":[],"inferenceConfig":{"maxTokens":1E2}})");
  REQUIRE_FALSE(not_integer.ok());
  CHECK(contains(not_integer.error().message, "/inferenceConfig/maxTokens: expected an integer"));

  auto tokens = cv::parse_converse_response(
      R"({"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn",)"
      R"("usage":{"inputTokens":12345678901234567890123,"outputTokens":1,"totalTokens":1},)"
      R"("metrics":{"latencyMs":1}})");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().kind == ErrorKind::Protocol);
  CHECK(contains(tokens.error().message, "/usage/inputTokens: integer out of range"));

  // In range: the double nearest the text, and subnormals are fine.
  auto small = cv::parse_converse_request(
      R"({"messages":[],"inferenceConfig":{"temperature":5e-324,"topP":1e-400}})");
  REQUIRE(small.ok());
  CHECK(*small->inference_config->temperature == std::numeric_limits<double>::denorm_min());
  CHECK(*small->inference_config->top_p == 0.0);
}

TEST_CASE("numbers: a value that cannot be written is an error naming its pointer") {
  SECTION("a request: Usage, nothing written") {
    auto request =
        cv::parse_converse_request(R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
                                   R"("inferenceConfig":{"temperature":0.5}})");
    REQUIRE(request.ok());
    cv::ConverseRequest nan = *request;
    nan.inference_config->temperature = std::nan("");
    auto written = cv::to_json(nan);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().kind == ErrorKind::Usage);
    CHECK(written.error().message ==
          "Converse request body cannot be written: /inferenceConfig/temperature: not a finite "
          "number (nan)");

    cv::ConverseRequest broken = *request;
    broken.additional_model_request_fields = R"({"r":-0.00009e-320)";
    written = cv::to_json(broken);
    REQUIRE_FALSE(written.ok());
    CHECK(contains(written.error().message,
                   "cannot be written: /additionalModelRequestFields: not one JSON value"));

    cv::ConverseRequest empty = *request;
    empty.messages->at(0).content.at(0).extra.emplace_back("x~/y", "");
    written = cv::to_json(empty);
    REQUIRE_FALSE(written.ok());
    CHECK(contains(written.error().message, "/messages/0/content/0/x~0~1y: no JSON text (empty)"));

    cv::ConverseRequest trailing = *request;
    trailing.extra.emplace_back("two", "1 2");
    written = cv::to_json(trailing);
    REQUIRE_FALSE(written.ok());
    CHECK(contains(written.error().message, "/two: not one JSON value"));
  }
  SECTION("a response: Protocol") {
    cv::ConverseResponse response;
    response.stop_reason = "end_turn";
    response.additional_model_response_fields = "[1,";
    auto written = cv::to_json(response);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().kind == ErrorKind::Protocol);
    CHECK(contains(written.error().message,
                   "Converse response body cannot be written: /additionalModelResponseFields"));
  }
}

TEST_CASE("numbers: the guarded JSON layer converts numbers from their text") {
  using Kind = internal::JsonNumber::Kind;
  CHECK(internal::decode_json_number("-9223372036854775808").kind == Kind::Int64);
  CHECK(internal::decode_json_number("18446744073709551615").kind == Kind::Uint64);
  CHECK(internal::decode_json_number("18446744073709551616").kind == Kind::Double);
  CHECK(internal::decode_json_number("1e400").d == std::numeric_limits<double>::infinity());
  CHECK(internal::decode_json_number("-1e0000000309").d ==
        -std::numeric_limits<double>::infinity());
  CHECK(internal::decode_json_number("0e-95").d == 0.0);
  const double negative_zero = internal::decode_json_number("-0.00009e-320").d;
  CHECK(negative_zero == 0.0);
  CHECK(std::signbit(negative_zero));
  CHECK(internal::decode_json_number("0.1").d == 0.1);
  CHECK(internal::decode_json_number("1000000e-300").d == 1e-294);
  CHECK(internal::decode_json_number("0.000001e309").d == 1e303);

  // The source map gives each value's exact text, whatever the parser made of it.
  rapidjson::Document document;
  internal::JsonSourceMap map;
  const std::string text = R"( {"a" : [ 1E2 , -0 , 1e400, "s\"" ] , "b":{ } } )";
  REQUIRE(internal::parse_json(document, text, {}, &map).ok());
  CHECK(map.slice(document) == R"({"a" : [ 1E2 , -0 , 1e400, "s\"" ] , "b":{ } })");
  CHECK(map.slice(document["a"]) == R"([ 1E2 , -0 , 1e400, "s\"" ])");
  CHECK(map.slice(document["a"][0]) == "1E2");
  CHECK(map.slice(document["a"][1]) == "-0");
  CHECK(map.slice(document["a"][2]) == "1e400");
  CHECK(map.slice(document["a"][3]) == R"("s\"")");
  CHECK(map.slice(document["b"]) == "{ }");
  CHECK(internal::render_json(document, &map).value() == R"({"a":[1E2,-0,1e400,"s\""],"b":{}})");
  // Without the text, infinity cannot be written: the error names where it is.
  auto rendered = internal::render_json(document);
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().message() == "/a/2: not a finite number (inf)");
}
