// The member options (--tools-file, --tool-choice, --additional-fields, --reasoning-budget,
// --show-reasoning, --guardrail, --service-tier, --latency, --request-metadata) on the request the
// CLI sends, against pydantic-ai's recordings; tool calls and reasoning in text output.
#include "cli_test_support.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::read_file;
using bedrock_lite::test::TempDir;
using namespace cli_test;

namespace {

std::vector<std::string> args_for(const std::string& command, const FakeBedrock& server,
                                  const std::string& model, std::vector<std::string> more) {
  std::vector<std::string> args = {command, "--endpoint-url", server.url(), "--model-id", model};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The recording without the empty members pydantic-ai always sends ("system": [],
// "inferenceConfig": {}), which the CLI leaves out.
std::string recorded_without_empties(const std::string& folder, const std::string& root = "") {
  auto body = recorded_body(folder);
  rapidjson::Value& members = root.empty() ? body : body["input"]["converse"];
  for (const char* name : {"system", "inferenceConfig"}) {
    auto member = members.FindMember(name);
    if (member != members.MemberEnd() && member->value.IsArray() && member->value.Empty())
      members.EraseMember(member);
    else if (member != members.MemberEnd() && member->value.IsObject() &&
             member->value.ObjectEmpty())
      members.EraseMember(member);
  }
  return text_of(body);
}

const char* kIterStream = "test_bedrock_model_iter_stream/00";

}  // namespace

TEST_CASE("cli --tools-file: an array of tool specifications, the stream's tool call as a line",
          "[cli][request]") {
  // The recording's tools, written as bare tool specifications.
  const auto body = recorded_body(kIterStream);
  rapidjson::Document specs;
  specs.SetArray();
  for (const auto& tool : body["toolConfig"]["tools"].GetArray()) {
    rapidjson::Value spec;
    spec.CopyFrom(tool["toolSpec"], specs.GetAllocator());
    specs.PushBack(spec, specs.GetAllocator());
  }
  TempDir dir;
  const auto tools = dir.write("tools.json", text_of(specs));
  FakeBedrock server;
  server.answer("converse-stream", recorded(kIterStream));
  const Run run = run_cli(args_for("converse-stream", server, "us.amazon.nova-micro-v1:0",
                                   {"--system", "You are a helpful chatbot.", "--prompt",
                                    "What is the temperature of the capital of France?", "--top-p",
                                    "0.5", "--tools-file", tools.string()}),
                          "", kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK(json_difference(sent_body(server), text_of(body)).empty());
  // The text deltas, then the tool call with its input assembled from the fragments.
  const std::string thinking =
      "<thinking> To find the temperature of the capital of France, I need to first determine "
      "the capital of France and then get the current temperature in that city. The capital of "
      "France is Paris. I will use the \"get_temperature\" tool to find the current temperature "
      "in Paris.</thinking>\n";
  CHECK(run.out == thinking +
                       "{\"toolUse\":{\"toolUseId\":\"tooluse_lAG_zP8QRHmSYOwZzzaCqA\",\"name\":"
                       "\"get_temperature\",\"input\":{\"city\":\"Paris\"}}}\n");
  CHECK(run.err == "usage: inputTokens=471 outputTokens=91 totalTokens=562\n");
}

TEST_CASE("cli --tools-file: a whole toolConfig, and --tool-choice, in count-tokens",
          "[cli][request]") {
  const char* folder = "test_bedrock_count_tokens_tool_config/00";
  const auto body = recorded_body(folder);
  const std::string expected = recorded_without_empties(folder, "input");
  TempDir dir;
  const auto config = dir.write("config.json", text_of(body["input"]["converse"]["toolConfig"]));
  rapidjson::Document tools;
  tools.CopyFrom(body["input"]["converse"]["toolConfig"]["tools"], tools.GetAllocator());
  const auto array = dir.write("tools.json", text_of(tools));
  const std::string model = "anthropic.claude-sonnet-4-20250514-v1:0";
  for (const auto& options : std::vector<std::vector<std::string>>{
           {"--tools-file", config.string()},
           {"--tools-file", array.string(), "--tool-choice", "auto"}}) {
    FakeBedrock server;
    std::vector<std::string> more = {"--prompt", "What is the weather in Paris?"};
    more.insert(more.end(), options.begin(), options.end());
    const Run run = run_cli(args_for("count-tokens", server, model, more), "", kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(json_difference(sent_body(server), expected).empty());
  }
  FakeBedrock server;
  const Run unknown = run_cli(
      args_for("count-tokens", server, model,
               {"--prompt", "x", "--tools-file", array.string(), "--tool-choice", "get_time"}),
      "", kFakeCredentials);
  CHECK(unknown.status == 2);
  CHECK(unknown.err ==
        "error: Usage: --tool-choice: no tool named 'get_time' (the tools are: get_weather)\n");
  const Run no_tools =
      run_cli(args_for("count-tokens", server, model, {"--prompt", "x", "--tool-choice", "any"}),
              "", kFakeCredentials);
  CHECK(no_tools.err == "error: Usage: --tool-choice needs tools (give --tools-file)\n");
  const auto scalar = dir.write("scalar.json", "42");
  const Run bad = run_cli(
      args_for("count-tokens", server, model, {"--prompt", "x", "--tools-file", scalar.string()}),
      "", kFakeCredentials);
  CHECK(bad.err == "error: Usage: --tools-file " + scalar.string() +
                       ": not a JSON array of tool specifications or a toolConfig object\n");
  CHECK(server.request_count() == 0);
}

TEST_CASE("cli --additional-fields merges byte for byte, --reasoning-budget adds thinking",
          "[cli][request]") {
  {
    const char* folder = "test_bedrock_count_tokens_additional_model_requests_fields/00";
    FakeBedrock server;
    const Run run =
        run_cli(args_for("count-tokens", server, "anthropic.claude-sonnet-4-20250514-v1:0",
                         {"--prompt", "Hello, world!", "--additional-fields",
                          R"({"anthropic_beta": ["context-1m-2025-08-07"]})"}),
                "", kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(json_difference(sent_body(server), recorded_without_empties(folder, "input")).empty());
  }
  // Options win member by member; the file's other members keep their exact text.
  FakeBedrock server;
  const Run merged =
      run_cli(args_for("converse", server, "m",
                       {"--request-file", "-", "--additional-fields", R"({"top_k":5, "x":1.0e0})",
                        "--reasoning-budget", "2048"}),
              R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
              R"("additionalModelRequestFields":{"top_k":1E2,"keep":12345678901234567890123}})",
              kFakeCredentials);
  INFO(merged.err);
  REQUIRE(merged.status == 0);
  CHECK(sent_body(server).find(
            R"("additionalModelRequestFields":{"keep":12345678901234567890123,"top_k":5,)"
            R"("x":1.0e0,"thinking":{"type":"enabled","budget_tokens":2048}})") !=
        std::string::npos);
  const Run both = run_cli(args_for("converse", server, "m",
                                    {"--prompt", "x", "--additional-fields", R"({"thinking":{}})",
                                     "--reasoning-budget", "2048"}),
                           "", kFakeCredentials);
  CHECK(both.err ==
        "error: Usage: --reasoning-budget and a 'thinking' member in --additional-fields: give "
        "one of them\n");
  const Run array =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--additional-fields", "[1]"}),
              "", kFakeCredentials);
  CHECK(array.err == "error: Usage: --additional-fields: not a JSON object\n");
  const Run small =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--reasoning-budget", "1000"}),
              "", kFakeCredentials);
  CHECK(small.status == 2);
  CHECK(server.request_count() == 1);
}

TEST_CASE("cli --reasoning-budget and --show-reasoning: the recorded thinking stream",
          "[cli][request]") {
  const char* folder = "test_bedrock_model_thinking_part_stream/00";
  const std::string model = "us.anthropic.claude-sonnet-4-20250514-v1:0";
  // The reasoning and the answer, as the recording's deltas spell them.
  std::string reasoning;
  std::string answer;
  std::istringstream events(read_file(recorded(folder) / "response.events.jsonl"));
  for (std::string line; std::getline(events, line);) {
    const auto event = bedrock_lite::test::parse_json(line);
    if (!event.HasMember("contentBlockDelta")) continue;
    const auto& delta = event["contentBlockDelta"]["delta"];
    if (delta.HasMember("text")) answer += delta["text"].GetString();
    if (delta.HasMember("reasoningContent") && delta["reasoningContent"].HasMember("text"))
      reasoning += delta["reasoningContent"]["text"].GetString();
  }
  REQUIRE(!reasoning.empty());
  for (const bool show : {false, true}) {
    FakeBedrock server;
    server.answer("converse-stream", recorded(folder));
    std::vector<std::string> more = {"--prompt", "Hello", "--reasoning-budget", "1024"};
    if (show) more.push_back("--show-reasoning");
    const Run run = run_cli(args_for("converse-stream", server, model, more), "", kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(json_difference(sent_body(server), recorded_without_empties(folder)).empty());
    CHECK(run.out == answer + "\n");
    const std::string usage = "usage: inputTokens=36 outputTokens=73 totalTokens=109\n";
    CHECK(run.err ==
          (show ? "[reasoning]\n" + reasoning + "\n[end of reasoning]\n" + usage : usage));
  }
  FakeBedrock server;
  server.answer("converse-stream", recorded("test_bedrock_model_thinking_part_redacted_stream/00"));
  const Run redacted =
      run_cli(args_for("converse-stream", server, model, {"--prompt", "x", "--show-reasoning"}), "",
              kFakeCredentials);
  REQUIRE(redacted.status == 0);
  const std::string marker =
      "[reasoning redacted by the model provider: not shown, kept in the response]\n";
  CHECK(redacted.err.find(marker + marker + "usage:") == 0);
}

TEST_CASE("cli --guardrail, --service-tier, --latency as pydantic-ai sent them", "[cli][request]") {
  const std::vector<std::string> question = {"--system", "You are a helpful chatbot.", "--prompt",
                                             "What is the capital of France?"};
  struct Case {
    const char* folder;
    const char* model;
    std::vector<std::string> options;
  };
  const std::vector<Case> cases = {
      {"test_bedrock_model_guardrail_config/00",
       "us.amazon.nova-micro-v1:0",
       {"--guardrail", "xbgw7g293v7o:DRAFT", "--guardrail-trace"}},
      {"test_bedrock_model_service_tier/00",
       "us.amazon.nova-micro-v1:0",
       {"--service-tier", "default"}},
      {"test_bedrock_model_performance_config/00",
       "us.amazon.nova-pro-v1:0",
       {"--latency", "optimized"}},
  };
  for (const auto& c : cases) {
    INFO(c.folder);
    FakeBedrock server;
    auto more = question;
    more.insert(more.end(), c.options.begin(), c.options.end());
    const Run run = run_cli(args_for("converse", server, c.model, more), "", kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(json_difference(sent_body(server), recorded_without_empties(c.folder)).empty());
  }
  FakeBedrock server;
  const Run arn = run_cli(args_for("converse", server, "m",
                                   {"--prompt", "x", "--guardrail",
                                    "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123:12"}),
                          "", kFakeCredentials);
  REQUIRE(arn.status == 0);
  CHECK(json_difference(
            sent_body(server),
            R"({"messages":[{"role":"user","content":[{"text":"x"}]}],"guardrailConfig":)"
            R"({"guardrailIdentifier":"arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123",)"
            R"("guardrailVersion":"12"}})")
            .empty());
  const Run version =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--guardrail", "abc:v1"}), "",
              kFakeCredentials);
  CHECK(version.err ==
        "error: Usage: --guardrail takes ID:VERSION (a guardrail id or ARN, then a version number "
        "or DRAFT), not 'abc:v1'\n");
  const Run trace =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--guardrail-trace"}), "",
              kFakeCredentials);
  CHECK(trace.err ==
        "error: Usage: --guardrail-trace needs a guardrail (give --guardrail ID:VERSION)\n");
  const Run tier =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--service-tier", "gold"}), "",
              kFakeCredentials);
  CHECK(tier.err ==
        "error: Usage: --service-tier takes one of priority, default, flex, reserved, not "
        "'gold'\n");
  CHECK(server.request_count() == 1);
}

TEST_CASE("cli --request-metadata and options over a request file, member by member",
          "[cli][request]") {
  FakeBedrock server;
  const Run run = run_cli(
      args_for("converse", server, "m",
               {"--request-file", "-", "--request-metadata", "team=search", "--request-metadata",
                "run id=42", "--system", "new", "--max-tokens", "64", "--prompt", "and then?"}),
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]},)"
      R"({"role":"assistant","content":[{"text":"hello"}]}],"system":[{"text":"old"}],)"
      R"("inferenceConfig":{"temperature":0.25,"maxTokens":8},"requestMetadata":{"team":"ads","env":"dev"},)"
      R"("unknownMember":{"kept":1E2}})",
      kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const std::string body = sent_body(server);
  CHECK(
      json_difference(
          body,
          R"({"messages":[{"role":"user","content":[{"text":"hi"}]},)"
          R"({"role":"assistant","content":[{"text":"hello"}]},)"
          R"({"role":"user","content":[{"text":"and then?"}]}],"system":[{"text":"new"}],)"
          R"("inferenceConfig":{"temperature":0.25,"maxTokens":64},)"
          R"("requestMetadata":{"team":"search","env":"dev","run id":"42"},"unknownMember":{"kept":1E2}})")
          .empty());
  CHECK(body.find(R"("unknownMember":{"kept":1E2})") != std::string::npos);
  const Run bad =
      run_cli(args_for("converse", server, "m", {"--prompt", "x", "--request-metadata", "a=b;c"}),
              "", kFakeCredentials);
  CHECK(bad.err ==
        "error: Usage: --request-metadata 'a=b;c': keys (1 to 256 characters) and values (0 to "
        "256) may hold only letters, digits, whitespace and :_@$#=/+,-. "
        "(docs/wire-protocol.md, requestMetadata)\n");
  CHECK(server.request_count() == 1);
}

TEST_CASE("cli converse-stream: the usage line shows cache read and write tokens",
          "[cli][request]") {
  FakeBedrock server;
  std::string stream;
  auto event = [&stream](const std::string& type, const std::string& payload) {
    stream += FakeBedrock::encode_message(
        {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}},
        payload);
  };
  event("messageStart", R"({"role":"assistant"})");
  event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"21"}})");
  event("contentBlockStop", R"({"contentBlockIndex":0})");
  event("messageStop", R"({"stopReason":"end_turn"})");
  // The usage of test_bedrock_cache_write_and_read/00.
  event("metadata",
        R"({"metrics":{"latencyMs":2023},"usage":{"cacheReadInputTokens":0,)"
        R"("cacheWriteInputTokens":1322,"inputTokens":2,"outputTokens":5,"totalTokens":1329}})");
  server.answer_with("converse-stream", stream, "application/vnd.amazon.eventstream");
  const Run run = run_cli(args_for("converse-stream", server, "m", {"--prompt", "10 + 11?"}), "",
                          kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK(run.out == "21\n");
  CHECK(run.err ==
        "usage: inputTokens=2 outputTokens=5 totalTokens=1329 cacheReadInputTokens=0 "
        "cacheWriteInputTokens=1322\n");
}

TEST_CASE("cli converse: a tool call in the reply prints as one toolUse line", "[cli][request]") {
  FakeBedrock server;
  server.answer("converse", recorded("test_model_sees_multiple_images_bedrock_claude_/00"));
  const Run run =
      run_cli(args_for("converse", server, "m", {"--prompt", "Show me."}), "", kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK(run.out ==
        "{\"toolUse\":{\"toolUseId\":\"tooluse_ORNmOEw5E8PL9heHdUUVQU\",\"name\":\"get_images\","
        "\"input\":{},\"type\":\"tool_use\"}}\n");
  CHECK(run.err.empty());
}
