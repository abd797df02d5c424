// The built `bedrock-lite converse`, `converse-stream` and `count-tokens` against the loopback
// fake Bedrock (which verifies every signature) and against replayed fixtures.
#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;

using namespace cli_test;

namespace {

std::string request_body(const std::string& folder) {
  rapidjson::Document document;
  const std::string text = bedrock_lite::test::read_file(recorded(folder) / "request.json");
  document.Parse(text.c_str());
  REQUIRE(!document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  return buffer.GetString();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<std::string> stream_args(const FakeBedrock& server, const std::string& command) {
  return {command,
          "--endpoint-url",
          server.url(),
          "--model-id",
          "us.amazon.nova-micro-v1:0",
          "--request-file",
          "-"};
}

}  // namespace

TEST_CASE("cli converse-stream: text streams the deltas, then a usage line on stderr",
          "[cli][converse]") {
  FakeBedrock server;
  auto run = run_cli(stream_args(server, "converse-stream"),
                     request_body("test_bedrock_model_stream/00"), kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Catch::StartsWith("The capital of France is Paris."));
  CHECK(run.out.back() == '\n');
  CHECK(run.err == "usage: inputTokens=13 outputTokens=82 totalTokens=95\n");
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].signature_valid);
  CHECK(seen[0].signed_headers == "content-type;host;x-amz-date");
}

TEST_CASE("cli converse-stream: jsonl prints each event's payload as sent", "[cli][converse]") {
  FakeBedrock server;
  auto args = stream_args(server, "converse-stream");
  args.insert(args.end(), {"--output", "jsonl"});
  auto run = run_cli(args, request_body("test_bedrock_model_stream/00"), kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const auto got = lines(run.out);
  const auto expected = lines(bedrock_lite::test::read_file(
      recorded("test_bedrock_model_stream/00") / "response.events.jsonl"));
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("line " << i);
    CHECK(bedrock_lite::test::json_difference(got[i], expected[i]).empty());
  }
}

TEST_CASE("cli converse-stream: a stream exception prints the earlier events, then the error",
          "[cli][converse]") {
  FakeBedrock server;
  server.push_fault(Fault::StreamException);
  auto args = stream_args(server, "converse-stream");
  args.insert(args.end(), {"--output", "jsonl"});
  auto run = run_cli(args, request_body("test_bedrock_model_stream/00"), kFakeCredentials);
  CHECK(run.status == 1);
  CHECK(lines(run.out).size() == 3);
  CHECK(run.err ==
        "error: modelStreamErrorException: The model stream failed (injected) (original status "
        "500)\n");
}

TEST_CASE("cli converse: text and json output", "[cli][converse]") {
  FakeBedrock server;
  auto text =
      run_cli({"converse", "--endpoint-url", server.url(), "--model-id",
               "us.amazon.nova-micro-v1:0", "--prompt", "Hello!", "--system", "Be brief.",
               "--max-tokens", "100", "--temperature", "0.5", "--top-p", "0.9", "--stop", "END"},
              "", kFakeCredentials);
  INFO(text.err);
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::StartsWith("Hello! How can I assist you today?"));
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(
      bedrock_lite::test::json_difference(
          seen[0].body,
          R"({"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"Be brief."}],)"
          R"("inferenceConfig":{"maxTokens":100,"temperature":0.5,"topP":0.9,"stopSequences":["END"]}})")
          .empty());

  auto json = run_cli(
      {"converse", "--endpoint-url", server.url(), "--model-id", "us.amazon.nova-micro-v1:0",
       "--messages", R"([{"role":"user","content":[{"text":"Hello!"}]}])", "--output", "json"},
      "", kFakeCredentials);
  REQUIRE(json.status == 0);
  CHECK(bedrock_lite::test::json_difference(
            json.out,
            bedrock_lite::test::read_file(recorded("test_bedrock_model/00") / "response.body"))
            .empty());
}

TEST_CASE("cli count-tokens: text and json", "[cli][converse]") {
  FakeBedrock server;
  auto text = run_cli({"count-tokens", "--endpoint-url", server.url(), "--model-id",
                       "anthropic.claude-sonnet-4-20250514-v1:0", "--request-file", "-"},
                      request_body("test_bedrock_model_stream/00"), kFakeCredentials);
  INFO(text.err);
  REQUIRE(text.status == 0);
  CHECK(text.out == "11\n");
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  // Only the members CountTokens accepts (inferenceConfig is left out).
  CHECK(
      bedrock_lite::test::json_difference(
          seen[0].body,
          R"({"input":{"converse":{"messages":[{"role":"user","content":[{"text":"What is the capital of France?"}]}],)"
          R"("system":[{"text":"You are a helpful chatbot."}]}}})")
          .empty());
  auto json =
      run_cli({"count-tokens", "--endpoint-url", server.url(), "--model-id",
               "anthropic.claude-sonnet-4-20250514-v1:0", "--prompt", "hi", "--output", "json"},
              "", kFakeCredentials);
  REQUIRE(json.status == 0);
  CHECK(bedrock_lite::test::json_difference(json.out, R"({"inputTokens":11})").empty());
}

TEST_CASE("cli converse: errors are one line with the AWS type or the local kind",
          "[cli][converse]") {
  FakeBedrock server;
  server.push_fault(Fault::Status400);
  auto service =
      run_cli({"converse", "--endpoint-url", server.url(), "--model-id", "m", "--prompt", "hi"}, "",
              kFakeCredentials);
  CHECK(service.status == 1);
  CHECK(service.err == "error: ValidationException: The provided model identifier is invalid.\n");

  auto usage = run_cli({"converse", "--prompt", "hi"}, "", kFakeCredentials);
  CHECK(usage.status == 2);
  CHECK(usage.err == "error: Usage: --model-id is required\n");

  auto ttl_alone = run_cli({"converse", "--model-id", "m", "--prompt", "hi", "--cache-ttl", "1h"},
                           "", kFakeCredentials);
  CHECK(ttl_alone.status == 2);
  CHECK(ttl_alone.err == "error: Usage: --cache-ttl needs --cache\n");

  auto bad_json = run_cli({"converse", "--model-id", "m", "--request-file", "-"}, "{not json",
                          kFakeCredentials);
  CHECK(bad_json.status == 2);
  CHECK_THAT(bad_json.err, Catch::StartsWith("error: Usage: -: "));

  auto bad_output = run_cli({"converse", "--model-id", "m", "--prompt", "x", "--output", "jsonl"},
                            "", kFakeCredentials);
  CHECK(bad_output.status == 2);

  auto no_region = run_cli({"converse", "--model-id", "m", "--prompt", "x"}, "",
                           {"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"});
  CHECK(no_region.status == 1);
  CHECK_THAT(no_region.err, Catch::StartsWith("error: NoRegion: "));
}

TEST_CASE("cli converse-stream --replay needs no credentials or network", "[cli][converse]") {
  const auto folder = recorded("test_bedrock_model_stream/00");
  auto run = run_cli({"converse-stream", "--replay", folder.string(), "--model-id",
                      "us.amazon.nova-micro-v1:0", "--request-file", "-"},
                     request_body("test_bedrock_model_stream/00"));
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Catch::StartsWith("The capital of France is Paris."));
  CHECK(run.err == "usage: inputTokens=13 outputTokens=82 totalTokens=95\n");
}

TEST_CASE("cli converse --debug never prints a secret", "[cli][converse]") {
  FakeBedrock server;
  auto run = run_cli(
      {"converse", "--debug", "--endpoint-url", server.url(), "--model-id", "m", "--prompt", "hi"},
      "", kFakeCredentials);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.err, Catch::Contains("debug: endpoint = " + server.url()));
  CHECK_THAT(run.err, Catch::Contains("Authorization: <redacted>"));
  CHECK(run.err.find("fake/secret+key/for-the-loopback-server") == std::string::npos);
}

TEST_CASE("cli converse-stream --record writes fixtures that --replay answers from",
          "[cli][converse]") {
  bedrock_lite::test::TempDir record;
  const std::string dir = (record.path() / "recorded").string();
  std::string first_out;
  {
    FakeBedrock server;
    auto args = stream_args(server, "converse-stream");
    args.insert(args.end(), {"--record", dir});
    auto run = run_cli(args, request_body("test_bedrock_model_stream/00"), kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    first_out = run.out;
    CHECK(server.request_count() == 1);
  }
  const auto folders = bedrock_lite::test::folders_with(dir, "response.body");
  REQUIRE(folders.size() == 1);
  const std::string request_json = bedrock_lite::test::read_file(folders[0] / "request.json");
  CHECK(request_json.find("fake/secret+key/for-the-loopback-server") == std::string::npos);
  CHECK(request_json.find("Signature=") == std::string::npos);
  CHECK(bedrock_lite::test::read_file(folders[0] / "response.body") ==
        bedrock_lite::test::read_file(recorded("test_bedrock_model_stream/00") / "response.body"));

  auto replayed = run_cli({"converse-stream", "--replay", dir, "--model-id",
                           "us.amazon.nova-micro-v1:0", "--request-file", "-"},
                          request_body("test_bedrock_model_stream/00"));
  INFO(replayed.err);
  REQUIRE(replayed.status == 0);
  CHECK(replayed.out == first_out);
}

TEST_CASE("cli --record-mode: once records then replays, new appends, all re-records",
          "[cli][converse]") {
  bedrock_lite::test::TempDir home;
  const std::string dir = (home.path() / "cassette").string();
  FakeBedrock server;
  auto converse = [&](const std::string& prompt, const std::string& mode) {
    return run_cli({"converse", "--endpoint-url", server.url(), "--record", dir, "--record-mode",
                    mode, "--model-id", "us.amazon.nova-micro-v1:0", "--prompt", prompt},
                   "", kFakeCredentials);
  };
  auto first = converse("one", "once");
  INFO(first.err);
  REQUIRE(first.status == 0);
  CHECK(server.request_count() == 1);
  // Once over recordings replays: no call goes out, and a miss is an error naming the closest.
  auto again = converse("one", "once");
  REQUIRE(again.status == 0);
  CHECK(again.out == first.out);
  CHECK(server.request_count() == 1);
  auto miss = converse("two", "once");
  CHECK(miss.status == 2);  // a miss is kind Usage
  CHECK(miss.err.find("error: Usage: replay: no fixture matches POST "
                      "/model/us.amazon.nova-micro-v1:0/converse; closest is " +
                      dir + "/000001-converse") != std::string::npos);
  // New records the miss and replays the rest; --replay (mode none) then answers both.
  REQUIRE(converse("two", "new").status == 0);
  REQUIRE(converse("one", "new").status == 0);
  CHECK(server.request_count() == 2);
  CHECK(bedrock_lite::test::folders_with(dir, "response.body").size() == 2);
  for (const char* prompt : {"one", "two"}) {
    auto replayed = run_cli({"converse", "--replay", dir, "--record-mode", "none", "--model-id",
                             "us.amazon.nova-micro-v1:0", "--prompt", prompt});
    INFO(replayed.err);
    CHECK(replayed.status == 0);
  }
  // All records afresh: only this run's interaction is left.
  REQUIRE(converse("three", "all").status == 0);
  CHECK(server.request_count() == 3);
  const auto folders = bedrock_lite::test::folders_with(dir, "response.body");
  REQUIRE(folders.size() == 1);
  CHECK(bedrock_lite::test::read_file(folders[0] / "request.json").find("three") !=
        std::string::npos);
}

TEST_CASE("cli --record-mode: a bad mode or a missing folder is a usage error", "[cli][converse]") {
  auto bad = run_cli({"converse", "--replay", "/nonexistent", "--record-mode", "sometimes",
                      "--model-id", "m", "--prompt", "hi"});
  CHECK(bad.status == 2);
  CHECK(bad.err ==
        "error: Usage: --record-mode: record mode \"sometimes\" is not one of none, "
        "once, new, all\n");
  auto alone = run_cli({"converse", "--record-mode", "once", "--model-id", "m", "--prompt", "hi"});
  CHECK(alone.status == 2);
  CHECK(alone.err.find("--record-mode needs the folder") != std::string::npos);
  auto both = run_cli({"converse", "--replay", "a", "--record", "b", "--record-mode", "new",
                       "--model-id", "m", "--prompt", "hi"});
  CHECK(both.status == 2);
}
