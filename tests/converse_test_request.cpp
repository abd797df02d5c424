// Requests in the Converse model: members, unknown members and documents round-trip, building in
// code, JSON pointers in errors, values JSON cannot hold (errors, docs/json.md).
#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>

#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bl = bedrock_lite;
namespace cv = bedrock_lite::converse;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::folders_with;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::parse_json;
using bedrock_lite::test::read_file;
using bedrock_lite::test::render_json;

TEST_CASE("model: request members, unknown members and documents round-trip", "[model][request]") {
  const std::string body = R"({
    "messages":[{"role":"user","content":[
      {"text":"hi"},
      {"image":{"format":"png","source":{"bytes":"iVBORw0K"}}},
      {"document":{"format":"pdf","name":"d","source":{"s3Location":{"uri":"s3://b/k","bucketOwner":"123456789012"}},"citations":{"enabled":true},"context":"c"}},
      {"video":{"format":"mp4","source":{"bytes":"AAAA"}}},
      {"audio":{"format":"wav","source":{"bytes":"AAAA"}}},
      {"guardContent":{"text":{"text":"g","qualifiers":["query"]}}},
      {"cachePoint":{"type":"default","ttl":"1h"}},
      {"searchResult":{"source":"s","title":"t","content":[{"text":"x"}],"citations":{"enabled":false}}},
      {"toolAddition":{"tool":{"type":"mcp","name":"n","serverName":"srv"}}},
      {"toolRemoval":{"tool":{"name":"n"}}},
      {"hologram":{"frames":[1,2.5,true,null]}}]},
     {"role":"assistant","content":[
      {"reasoningContent":{"reasoningText":{"text":"r","signature":"s"}}},
      {"reasoningContent":{"redactedContent":"cmVk"}},
      {"citationsContent":{"content":[{"text":"c"}],"citations":[{"title":"t","source":"s","sourceContent":[{"text":"q"}],"location":{"web":{"url":"https://x","domain":"x"}}}]}},
      {"toolUse":{"toolUseId":"t1","name":"f","input":{"n":1.5,"big":12345678901234567890,"s":"\u00e9\n"},"type":"server_tool_use"}}]},
     {"role":"user","content":[
      {"toolResult":{"toolUseId":"t1","status":"success","type":"x","content":[{"json":[1,{"a":null}]},{"text":"t"},{"image":{"format":"jpeg","source":{"bytes":"AA=="}}}]}}]}],
    "system":[{"text":"be nice"},{"cachePoint":{"type":"default"}},{"guardContent":{"image":{"format":"png","source":{"bytes":"AA=="}}}}],
    "inferenceConfig":{"maxTokens":100,"temperature":0.7,"topP":0.95,"stopSequences":["END"]},
    "toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}},"strict":true}},{"systemTool":{"name":"nova_grounding"}},{"cachePoint":{"type":"default"}}],"toolChoice":{"auto":{}}},
    "guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"DRAFT","trace":"enabled_full","streamProcessingMode":"async"},
    "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}},
    "additionalModelResponseFieldPaths":["/stop_sequence"],
    "promptVariables":{"topic":{"text":"cats"}},
    "requestMetadata":{"team":"a","env":"test"},
    "performanceConfig":{"latency":"optimized"},
    "serviceTier":{"type":"flex"},
    "outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\"}","name":"n"}}},"effort":"high"},
    "futureMember":{"x":[1,2]}})";
  auto parsed = cv::parse_converse_request(body);
  INFO((parsed ? std::string() : parsed.error().to_string()));
  REQUIRE(parsed.ok());
  CHECK(json_difference(body, cv::to_json(*parsed).value()) == "");

  const cv::ConverseRequest& r = *parsed;
  REQUIRE(r.messages);
  CHECK(r.messages->at(0).content.at(1).image->source.bytes == "iVBORw0K");
  CHECK(r.messages->at(0).content.at(2).document->source.s3_location->bucket_owner ==
        "123456789012");
  CHECK(r.messages->at(0).content.at(10).extra.at(0).first == "hologram");
  CHECK(r.messages->at(1).content.at(3).tool_use->type == "server_tool_use");
  CHECK(r.inference_config->temperature == 0.7);
  CHECK(r.inference_config->max_tokens == 100);
  CHECK(r.tool_config->tool_choice->automatic.has_value());
  CHECK(json_difference(*r.tool_config->tools.at(0).tool_spec->input_schema.json,
                        R"({"type":"object"})") == "");
  CHECK(r.guardrail_config->stream_processing_mode == "async");
  CHECK(r.prompt_variables->at(0).first == "topic");
  CHECK(r.request_metadata->at(1).second == "test");
  CHECK(r.service_tier->type == "flex");
  CHECK(r.output_config->effort == "high");
  CHECK(r.extra.at(0).first == "futureMember");
  // Numbers keep their value: 0.7 is written as 0.7, not 0.69999999999999996.
  CHECK(cv::to_json(r).value().find("\"temperature\":0.7,") != std::string::npos);
}

TEST_CASE("model: building requests in code", "[model][request]") {
  cv::ConverseRequest request;
  request.model_id = "arn:aws:bedrock:us-east-1:123456789012:prompt/abc";
  cv::Message& m = request.messages.emplace().emplace_back();
  m.role = "user";
  m.content.emplace_back().text = "Hello";
  cv::Tool& tool = request.tool_config.emplace().tools.emplace_back();
  tool.tool_spec.emplace().name = "f";
  tool.tool_spec->input_schema.json = R"({"type":"object"})";
  request.tool_config->tool_choice.emplace().tool.emplace().name = "f";
  request.inference_config.emplace().temperature = 0.2;
  CHECK(json_difference(cv::to_json(request).value(), R"({
    "messages":[{"role":"user","content":[{"text":"Hello"}]}],
    "inferenceConfig":{"temperature":0.2},
    "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],
                  "toolChoice":{"tool":{"name":"f"}}}})") == "");
  // The model id never goes in the body.
  CHECK(cv::to_json(request).value().find("prompt/abc") == std::string::npos);

  SECTION("count tokens keeps only what CountTokens accepts") {
    auto count = cv::count_tokens_request(request);
    CHECK(count.model_id == request.model_id);
    CHECK(json_difference(cv::to_json(count).value(), R"({"input":{"converse":{
      "messages":[{"role":"user","content":[{"text":"Hello"}]}],
      "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],
                    "toolChoice":{"tool":{"name":"f"}}}}}})") == "");
  }
  SECTION("count tokens from an InvokeModel body is base64") {
    auto count = cv::count_tokens_request("anthropic.claude", R"({"a":1})");
    CHECK(cv::to_json(count).value() == R"({"input":{"invokeModel":{"body":"eyJhIjoxfQ=="}}})");
    CHECK(cv::to_json(cv::count_tokens_request("m", "ab")).value() ==
          R"({"input":{"invokeModel":{"body":"YWI="}}})");
    CHECK(cv::to_json(cv::count_tokens_request("m", "")).value() ==
          R"({"input":{"invokeModel":{"body":""}}})");
  }
}

TEST_CASE("model: request and response errors name the JSON pointer", "[model][request]") {
  struct Case {
    const char* body;
    const char* expected;
  };
  const std::vector<Case> request_cases = {
      {R"({"messages":[{"role":"user","content":[{"toolUse":{"toolUseId":"t","input":{}}}]}]})",
       "Converse request body: /messages/0/content/0/toolUse: missing required member 'name'"},
      {R"({"messages":[{"role":7,"content":[]}]})",
       "Converse request body: /messages/0/role: expected a string"},
      {R"({"inferenceConfig":{"maxTokens":1.5}})",
       "Converse request body: /inferenceConfig/maxTokens: expected an integer"},
      {R"({"requestMetadata":{"a/b~c":1}})",
       "Converse request body: /requestMetadata/a~1b~0c: expected a string"},
      {R"([])", "Converse request body: /: expected an object"},
      {R"({"messages":[})", "Converse request body: /: invalid JSON at offset 13"},
  };
  for (const auto& c : request_cases) {
    DYNAMIC_SECTION(c.body) {
      auto parsed = cv::parse_converse_request(c.body);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().kind == bl::ErrorKind::Usage);
      CHECK_THAT(parsed.error().message, Catch::StartsWith(c.expected));
    }
  }
  SECTION("responses are Protocol errors") {
    auto parsed = cv::parse_converse_response(R"({"output":{},"stopReason":3})");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == bl::ErrorKind::Protocol);
    CHECK(parsed.error().message == "Converse response body: /stopReason: expected a string");
    auto count = cv::parse_count_tokens_response(R"({"inputTokenz":3})");
    REQUIRE_FALSE(count.ok());
    CHECK(count.error().message ==
          "CountTokens response body: /: missing required member 'inputTokens'");
  }
}

TEST_CASE("model: values JSON cannot hold are errors naming the member", "[model][request]") {
  // Never written as null or left out (docs/json.md): the first one stops the writing.
  cv::ConverseRequest request;
  request.inference_config.emplace().temperature = std::numeric_limits<double>::quiet_NaN();
  request.additional_model_request_fields = "";
  auto written = cv::to_json(request);
  REQUIRE_FALSE(written.ok());
  CHECK(written.error().kind == bl::ErrorKind::Usage);
  CHECK(written.error().message ==
        "Converse request body cannot be written: /inferenceConfig/temperature: not a finite "
        "number (nan)");
  request.inference_config.reset();
  written = cv::to_json(request);
  REQUIRE_FALSE(written.ok());
  CHECK(written.error().message ==
        "Converse request body cannot be written: /additionalModelRequestFields: no JSON text "
        "(empty)");
}
