// `--attach` and `--cache` on the request the CLI actually sends (the loopback fake Bedrock
// records it), checked against pydantic-ai's recorded requests (fixtures/recorded/bedrock-recorded)
// where one exists, and the errors that keep anything from being sent.
#include "cli_test_support.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::TempDir;
using namespace cli_test;

namespace {

std::vector<std::string> converse_args(const FakeBedrock& server, std::vector<std::string> more) {
  std::vector<std::string> args = {"converse", "--endpoint-url", server.url(), "--model-id",
                                   "us.anthropic.claude-sonnet-4-5-20250929-v1:0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

struct CacheCase {
  const char* folder;
  std::vector<std::string> cache_points;  // the blocks pydantic-ai's cache settings added
  std::vector<std::string> options;       // the options that add them again
};

}  // namespace

TEST_CASE("cli --cache places cache points where pydantic-ai's cache settings put them",
          "[cli][request]") {
  // Each recording minus the cache points the settings added, sent with --cache, must be the
  // recording again: after the system blocks, after the tools, at the end of the last user
  // message, or before the documents or videos it ends with.
  const std::vector<CacheCase> cases = {
      {"test_bedrock_cache_messages_with_document_as_last_content/00",
       {"/messages/0/content/4"},
       {"--cache", "messages"}},
      {"test_bedrock_cache_messages_with_image_as_last_content/00",
       {"/messages/0/content/3"},
       {"--cache", "messages"}},
      {"test_bedrock_cache_messages_with_video_as_last_content/00",
       {"/messages/0/content/2"},
       {"--cache", "messages"}},
      {"test_bedrock_cache_write_and_read/00",
       {"/messages/0/content/5", "/toolConfig/tools/2", "/system/1"},
       {"--cache", "system", "--cache", "tools", "--cache", "messages"}},
      {"test_bedrock_cache_point_adds_cache_control_claude-sonnet-4-5_/00",
       {"/system/1"},
       {"--cache", "system"}},
      {"test_bedrock_single_tool_choice_preserves_cache_anthropic_/00",
       {"/toolConfig/tools/2", "/system/1", "/toolConfig/toolChoice"},
       {"--cache", "tools", "--cache", "system", "--tool-choice", "catalog_lookup"}},
  };
  for (const auto& c : cases) {
    INFO(c.folder);
    const auto expected = recorded_body(c.folder);
    auto stripped = recorded_body(c.folder);
    for (const auto& pointer : c.cache_points) remove_at(stripped, pointer);
    FakeBedrock server;
    std::vector<std::string> args = {"--request-file", "-"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    const Run run = run_cli(converse_args(server, args), text_of(stripped), kFakeCredentials);
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(json_difference(sent_body(server), text_of(expected)).empty());
  }
}

TEST_CASE("cli --cache-ttl sets the ttl, and more than four cache points are refused, named",
          "[cli][request]") {
  FakeBedrock server;
  const Run ttl =
      run_cli(converse_args(server, {"--system", "S", "--prompt", "hi", "--cache", "system",
                                     "--cache", "messages", "--cache-ttl", "1h"}),
              "", kFakeCredentials);
  INFO(ttl.err);
  REQUIRE(ttl.status == 0);
  CHECK(
      json_difference(
          sent_body(server),
          R"({"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default","ttl":"1h"}}]}],)"
          R"("system":[{"text":"S"},{"cachePoint":{"type":"default","ttl":"1h"}}]})")
          .empty());

  // The recording already holds four; a new turn with --cache messages would make five.
  FakeBedrock refused;
  const Run five = run_cli(
      converse_args(refused,
                    {"--request-file", "-", "--prompt", "and 1 + 1?", "--cache", "messages"}),
      text_of(recorded_body("test_bedrock_cache_write_and_read/00")), kFakeCredentials);
  CHECK(five.status == 2);
  CHECK(five.err ==
        "error: Usage: the request would have 5 cache points, more than the 4 Bedrock allows: "
        "/system/1, /toolConfig/tools/2, /messages/0/content/3, /messages/0/content/5, "
        "/messages/0/content/7\n");
  CHECK(refused.request_count() == 0);

  const Run no_system = run_cli(converse_args(refused, {"--prompt", "hi", "--cache", "system"}), "",
                                kFakeCredentials);
  CHECK(no_system.status == 2);
  CHECK(no_system.err ==
        "error: Usage: --cache system: the request has no system prompt (give --system)\n");
  const Run twice =
      run_cli(converse_args(refused, {"--prompt", "hi", "--cache", "tools", "--cache", "tools"}),
              "", kFakeCredentials);
  CHECK(twice.status == 2);
  CHECK(twice.err == "error: Usage: --cache tools is given twice\n");
  CHECK(refused.request_count() == 0);
}

TEST_CASE("cli --attach: a document as pydantic-ai sent it, before the prompt text",
          "[cli][request]") {
  // test_text_as_binary_content_input sent [text, document "Document 1"]; --attach puts the
  // file before the prompt, and the document's name comes from the file name.
  const char* folder = "test_text_as_binary_content_input/00";
  auto expected = recorded_body(folder);
  remove_at(expected, "/inferenceConfig");  // {} there; the CLI sends no empty member
  auto& content = expected["messages"][0]["content"];
  content[0].Swap(content[1]);
  TempDir dir;
  const auto file = dir.write("Document 1.txt", "This is a test document.");
  FakeBedrock server;
  const Run run =
      run_cli(converse_args(server, {"--system", "You are a helpful chatbot.", "--prompt",
                                     "What is the main content on this document?", "--attach",
                                     file.string()}),
              "", kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK(json_difference(sent_body(server), text_of(expected)).empty());
}

TEST_CASE("cli --attach: images, videos, S3 objects and document names", "[cli][request]") {
  TempDir dir;
  // The 8-byte PNG signature and a few bytes: the CLI goes by the extension, not the content.
  const auto png = dir.write("fruit.PNG", std::string("\x89PNG\r\n\x1a\n\x00\x01", 10));
  const auto clip = dir.write("clip.3gp", "3gp-bytes");
  const auto odd = dir.write("my_report.v2 (final)  [draft].md", "# notes");
  const auto twin = dir.write("other/my_report.v2 (final)  [draft].md", "# more");
  FakeBedrock server;
  const Run run = run_cli(
      converse_args(server, {"--prompt", "Compare them.", "--attach", png.string(), "--attach",
                             clip.string(), "--attach", "s3://my-bucket/docs/Q3 report.pdf",
                             "--attach", odd.string(), "--attach", twin.string()}),
      "", kFakeCredentials);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK(
      json_difference(
          sent_body(server),
          R"j({"messages":[{"role":"user","content":[)j"
          R"j({"image":{"format":"png","source":{"bytes":"iVBORw0KGgoAAQ=="}}},)j"
          R"j({"video":{"format":"three_gp","source":{"bytes":"M2dwLWJ5dGVz"}}},)j"
          R"j({"document":{"format":"pdf","name":"Q3 report","source":{"s3Location":{"uri":"s3://my-bucket/docs/Q3 report.pdf"}}}},)j"
          R"j({"document":{"format":"md","name":"my report v2 (final) [draft]","source":{"bytes":"IyBub3Rlcw=="}}},)j"
          R"j({"document":{"format":"md","name":"my report v2 (final) [draft] (2)","source":{"bytes":"IyBtb3Jl"}}},)j"
          R"j({"text":"Compare them."}]}]})j")
          .empty());
}

TEST_CASE("cli --attach: too large, unknown, unreadable or alone is a usage error, nothing sent",
          "[cli][request]") {
  TempDir dir;
  auto sized = [&dir](const std::string& name, std::uintmax_t size) {
    const auto path = dir.write(name, "x");
    std::filesystem::resize_file(path, size);  // sparse: no 20 MB written
    return path.string();
  };
  const std::string image = sized("big.png", 3932161);
  const std::string document = sized("big.pdf", 4718593);
  const std::string video = sized("big.mp4", 19660798);
  const std::string fits = sized("fits.mp4", 19660797);
  const std::string empty = dir.write("empty.txt", "").string();
  const std::string unknown = dir.write("notes.xyz", "x").string();
  const std::string text = dir.write("notes.txt", "x").string();
  const std::string missing = (dir.path() / "missing.png").string();
  dir.write("folder.png/inside", "x");
  const std::string folder = (dir.path() / "folder.png").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--attach", image},
       "--attach " + image +
           ": too large (3932161 bytes, 3.75 MiB): an image may have at most 3932160 bytes (3.75 "
           "MB, docs/wire-protocol.md §1.5)"},
      {{"--attach", document},
       "--attach " + document +
           ": too large (4718593 bytes, 4.50 MiB): a document may have at most 4718592 bytes "
           "(4.5 MB, docs/wire-protocol.md §1.5)"},
      {{"--attach", video},
       "--attach " + video +
           ": too large (19660798 bytes, 18.75 MiB): a video sent inline may have at most "
           "19660797 bytes (under 25 MB once base64-encoded, AWS Bedrock API Reference, "
           "VideoSource); attach a larger one from S3 as s3://bucket/key"},
      {{"--attach", empty}, "--attach " + empty + ": the file is empty"},
      {{"--attach", missing},
       "--attach " + missing + ": cannot read the file: No such file or directory"},
      {{"--attach", folder}, "--attach " + folder + ": not a regular file"},
      {{"--attach", unknown},
       "--attach " + unknown +
           ": unknown extension; known: png jpg jpeg gif webp pdf csv doc docx xls xlsx html htm "
           "txt md mp4 mov mkv webm flv mpeg mpg wmv 3gp"},
      {{"--attach", "s3://bucket-only.pdf"},
       "--attach s3://bucket-only.pdf: an S3 object is s3://bucket/key (at most 1024 characters)"},
      {{"--attach", text, "--cache", "messages"},
       "--attach: a document needs text in the same message (Bedrock refuses a document alone); "
       "add --prompt TEXT"},
  };
  FakeBedrock server;
  for (const auto& [options, message] : cases) {
    INFO(options[1]);
    const Run run = run_cli(converse_args(server, options), "", kFakeCredentials);
    CHECK(run.status == 2);
    CHECK(run.err == "error: Usage: " + message + "\n");
  }
  std::vector<std::string> six = {"--prompt", "x"};
  for (int i = 0; i < 6; ++i) six.insert(six.end(), {"--attach", text});
  const Run too_many = run_cli(converse_args(server, six), "", kFakeCredentials);
  CHECK(too_many.err ==
        "error: Usage: --attach " + text +
            ": more than 5 documents in one request (docs/wire-protocol.md §1.5)\n");
  CHECK(server.request_count() == 0);
  // The largest video that fits is sent.
  const Run sent =
      run_cli(converse_args(server, {"--prompt", "x", "--attach", fits}), "", kFakeCredentials);
  CHECK(sent.status == 0);
  CHECK(server.request_count() == 1);
}
