// The built CLI and JSON from outside: numbers hard for doubles pass through `converse`,
// `converse-stream` and `count-tokens` byte for byte in both directions (docs/json.md, issue
// 17), and JSON nested 2,000,000 deep is a usage error, not a crash (issue 11 §3).
#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/hard_numbers.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::hard_numbers;

using namespace cli_test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string event(const std::string& type, const std::string& payload) {
  return FakeBedrock::encode_message(
      {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}},
      payload);
}

}  // namespace

TEST_CASE("cli json: eventstream encode refuses a line nested 2,000,000 deep with a usage error") {
  for (const std::string& line :
       {std::string(2000000, '['), R"({"headers":)" + std::string(2000000, '[') + "\n"}) {
    const Run run = run_cli({"eventstream", "encode"}, line);
    INFO(run.err.substr(0, 300));
    CHECK(run.status == 2);  // a usage error: exited, not killed by a signal (139 from sh)
    CHECK(run.err.rfind("error: Usage: stdin:1: JSON nested deeper than 128 levels at offset ",
                        0) == 0);
    CHECK(run.err.size() < 200);  // one line, the input not quoted
    CHECK(run.out.empty());
  }
}

TEST_CASE("cli json: converse sends and prints each hard number byte for byte") {
  FakeBedrock server;
  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      const std::string request = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
                                  R"("additionalModelRequestFields":{"r": )" +
                                  n.text + R"(},"unknownMember":[)" + n.text + "]}";
      server.answer_with(
          "converse",
          R"({"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t",)"
          R"("name":"f","input":{"x":)" +
              n.text +
              R"(}}}]}},"stopReason":"tool_use",)"
              R"("usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":4},)"
              R"("additionalModelResponseFields":{"x":[)" +
              n.text + R"(]},"newMember":)" + n.text + "}",
          "application/json");
      server.clear_requests();
      bedrock_lite::test::TempDir home;
      const auto request_file = home.write("request.json", request);
      const Run run = run_cli(home,
                              {"--endpoint-url", server.url(), "converse", "--model-id", "m",
                               "--request-file", request_file.string(), "--output", "json"},
                              kFakeCredentials);
      INFO(run.err);
      REQUIRE(run.status == 0);
      const auto seen = server.requests();
      REQUIRE(seen.size() == 1);
      CHECK(contains(seen[0].body, R"("additionalModelRequestFields":{"r": )" + n.text + "}"));
      CHECK(contains(seen[0].body, R"("unknownMember":[)" + n.text + "]"));
      CHECK(contains(run.out, R"("input":{"x":)" + n.text + "}"));
      CHECK(contains(run.out, R"("additionalModelResponseFields":{"x":[)" + n.text + "]}"));
      CHECK(contains(run.out, R"("newMember":)" + n.text + "}"));
    }
  }
}

TEST_CASE("cli json: converse-stream and count-tokens print each hard number byte for byte") {
  FakeBedrock server;
  for (const auto& n : hard_numbers()) {
    DYNAMIC_SECTION(n.text << " (" << n.why << ")") {
      const std::string stop =
          R"({"stopReason":"end_turn","additionalModelResponseFields":{"x":[)" + n.text + "]}}";
      server.answer_with(
          "converse-stream",
          event("messageStart", R"({"role":"assistant","p":)" + n.text + "}") +
              event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"ok"}})") +
              event("contentBlockStop", R"({"contentBlockIndex":0})") + event("messageStop", stop) +
              event("metadata", R"({"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},)"
                                R"("metrics":{"latencyMs":4}})"),
          "application/vnd.amazon.eventstream");
      server.answer_with("count-tokens", R"({"inputTokens":7,"future":)" + n.text + "}",
                         "application/json");
      const Run stream = run_cli({"--endpoint-url", server.url(), "converse-stream", "--model-id",
                                  "m", "--prompt", "hi", "--output", "jsonl"},
                                 "", kFakeCredentials);
      INFO(stream.err);
      REQUIRE(stream.status == 0);
      CHECK(contains(stream.out, R"({"messageStart":{"role":"assistant","p":)" + n.text + "}}"));
      CHECK(contains(stream.out, R"({"messageStop":)" + stop + "}"));
      const Run count = run_cli({"--endpoint-url", server.url(), "count-tokens", "--model-id", "m",
                                 "--prompt", "hi", "--output", "json"},
                                "", kFakeCredentials);
      INFO(count.err);
      REQUIRE(count.status == 0);
      CHECK(count.out == R"({"inputTokens":7,"future":)" + n.text + "}\n");
    }
  }
}
