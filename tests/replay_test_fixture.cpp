// The fixture format, the replay transport over the real recorded corpus, and the recording
// transport (recorded, then replayed, with no secret on disk).
#include <bedrock_lite/http.h>
#include <bedrock_lite/replay.h>

#include "replay_test_support.h"
#include "support/environment.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"
#include "support/thread_failures.h"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using bedrock_lite::ErrorKind;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::LoopbackServer;
using bedrock_lite::test::TempDir;
namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
namespace fs = std::filesystem;

using bedrock_lite::replay_test::CollectSink;
using bedrock_lite::replay_test::operation_of;

namespace {

http::Request post(const std::string& url, const std::string& body) {
  http::Request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = body;
  return request;
}

// Writes one interaction folder.
void write_interaction(const TempDir& dir, const std::string& name, const std::string& request_json,
                       const std::string& body, int status = 200) {
  dir.write(name + "/request.json", request_json);
  dir.write(name + "/response.json",
            "{\"status\": " + std::to_string(status) +
                ", \"reason\": \"OK\", \"headers\": {\"content-type\": \"application/json\"}}");
  dir.write(name + "/response.body", body);
}

// SHA-256 test vectors (FIPS 180-2): "abc" and a million 'a'.
constexpr const char* kShaAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kShaMillionA =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

}  // namespace

TEST_CASE("fixtures: both recorded sets load") {
  auto all = replay::load_fixture_set(fixture_path("recorded").string());
  REQUIRE(all.ok());
  CHECK(all->interactions.size() >= 360);
  auto pydantic = replay::load_fixture_set(fixture_path("recorded/bedrock-recorded").string());
  REQUIRE(pydantic.ok());
  CHECK(pydantic->interactions.size() == 294);
  auto arize = replay::load_fixture_set(fixture_path("recorded/arize-openinference").string());
  REQUIRE(arize.ok());
  CHECK(arize->interactions.size() == 75);
  // Recorded order is path order.
  for (std::size_t i = 1; i < all->interactions.size(); ++i) {
    CHECK(all->interactions[i - 1].folder < all->interactions[i].folder);
  }
  // Bodies are the bytes on disk.
  const auto& first = all->interactions.front();
  CHECK(first.response_body ==
        bedrock_lite::test::read_file(fs::path(first.folder) / "response.body"));
}

TEST_CASE(
    "replay: every recorded Converse, ConverseStream and CountTokens request gets its own "
    "response, byte for byte") {
  auto set = replay::load_fixture_set(fixture_path("recorded").string());
  REQUIRE(set.ok());
  const auto interactions = set->interactions;  // the transport takes its own copy
  replay::ReplayTransport replay(std::move(*set));
  std::map<std::string, int> replayed;
  int multi_chunk_streams = 0;
  for (const auto& interaction : interactions) {
    const std::string operation = operation_of(interaction.folder);
    if (operation != "converse" && operation != "converse-stream" && operation != "count-tokens") {
      continue;
    }
    INFO(interaction.folder);
    http::Request request;
    request.method = interaction.method;
    request.url = interaction.uri;
    request.body = interaction.request_body;
    CollectSink sink;
    auto head = replay.send(request, sink);
    REQUIRE(head.ok());
    CHECK(sink.heads == 1);
    CHECK(head->status == interaction.status);
    CHECK(head->headers.size() == interaction.response_headers.size());
    CHECK(sink.body() == interaction.response_body);
    for (const auto& chunk : sink.chunks) CHECK(chunk.size() <= 16 * 1024);
    if (sink.chunks.size() > 1) ++multi_chunk_streams;
    ++replayed[operation];
  }
  CHECK(replayed["converse"] >= 262);
  CHECK(replayed["converse-stream"] >= 27);
  CHECK(replayed["count-tokens"] >= 9);
  CHECK(multi_chunk_streams >= 1);  // the 174-message stream spans several 16 KiB chunks
}

TEST_CASE("replay: chunk size is configurable and the path matches in either percent form") {
  auto set = replay::load_fixture_set(fixture_path("recorded/bedrock-recorded").string());
  REQUIRE(set.ok());
  const replay::Interaction* stream = nullptr;
  for (const auto& interaction : set->interactions) {
    if (interaction.uri.find("%3A0/converse-stream") != std::string::npos &&
        interaction.status == 200) {
      stream = &interaction;
      break;
    }
  }
  REQUIRE(stream != nullptr);
  const replay::Interaction expected = *stream;
  replay::ReplayTransport replay(std::move(*set), replay::ReplayOptions{7});
  std::string url = expected.uri;
  url.replace(url.find("%3A0/converse-stream"), 3, ":");      // the raw ':' form of the model id
  url.replace(0, url.find("/model/"), "http://127.0.0.1:1");  // host and scheme are ignored
  http::Request request = post(url, expected.request_body);
  CollectSink sink;
  auto head = replay.send(request, sink);
  REQUIRE(head.ok());
  CHECK(sink.body() == expected.response_body);
  REQUIRE(sink.chunks.size() == (expected.response_body.size() + 6) / 7);
  for (const auto& chunk : sink.chunks) CHECK(chunk.size() <= 7);
}

TEST_CASE(
    "replay: JSON bodies match regardless of key order and whitespace and string bodies as bytes") {
  TempDir dir;
  write_interaction(dir, "a",
                    R"({"method": "POST", "uri": "https://h/model/m/converse",
                        "body": {"messages": [{"role": "user", "content": [{"text": "hi"}]}],
                                 "inferenceConfig": {"temperature": 0.5, "maxTokens": 10}}})",
                    "json answer");
  write_interaction(dir, "b", R"({"method": "POST", "uri": "/raw", "body": "{not json"})",
                    "raw answer");
  auto replay = replay::ReplayTransport::open(dir.path().string());
  REQUIRE(replay.ok());
  auto answer =
      http::fetch(**replay, post("https://other/model/m/converse",
                                 R"({ "inferenceConfig":{"maxTokens":10,"temperature":5e-1},
                                      "messages":[{"content":[{"text":"hi"}],"role":"user"}]})"));
  REQUIRE(answer.ok());
  CHECK(answer->body == "json answer");
  auto raw = http::fetch(**replay, post("https://h/raw", "{not json"));
  REQUIRE(raw.ok());
  CHECK(raw->body == "raw answer");
  auto raw_miss = http::fetch(**replay, post("https://h/raw", "{not json "));
  REQUIRE_FALSE(raw_miss.ok());
  CHECK(raw_miss.error().kind == ErrorKind::Usage);
}

TEST_CASE("replay: elided strings match a string of that length and SHA-256") {
  TempDir dir;
  write_interaction(
      dir, "small",
      std::string(
          R"({"method": "POST", "uri": "/model/m/converse", "body": {"bytes": "<elided: 3 chars, sha256 )") +
          kShaAbc + R"(>"}})",
      "small");
  write_interaction(
      dir, "large",
      std::string(
          R"({"method": "POST", "uri": "/model/m/converse", "body": {"image": {"bytes": "<elided: 1000000 chars, sha256 )") +
          kShaMillionA + R"(>"}}})",
      "large");
  auto replay = replay::ReplayTransport::open(dir.path().string());
  REQUIRE(replay.ok());
  auto send = [&](const std::string& body) {
    return http::fetch(**replay, post("http://h/model/m/converse", body));
  };
  auto small = send(R"({"bytes":"abc"})");
  REQUIRE(small.ok());
  CHECK(small->body == "small");
  auto large = send("{\"image\":{\"bytes\":\"" + std::string(1000000, 'a') + "\"}}");
  REQUIRE(large.ok());
  CHECK(large->body == "large");
  // The elision text itself matches too (replaying a recorded request as it is stored).
  auto itself = send(std::string(R"({"bytes":"<elided: 3 chars, sha256 )") + kShaAbc + ">\"}");
  REQUIRE(itself.ok());
  CHECK(itself->body == "small");

  auto wrong_content = send(R"({"bytes":"abd"})");
  REQUIRE_FALSE(wrong_content.ok());
  CHECK(wrong_content.error().message.find("body differs at /bytes (string differs)") !=
        std::string::npos);
  auto wrong_length = send("{\"image\":{\"bytes\":\"" + std::string(999999, 'a') + "\"}}");
  REQUIRE_FALSE(wrong_length.ok());
  CHECK(wrong_length.error().message.find("/image/bytes") != std::string::npos);
}

TEST_CASE(
    "replay: a request that matches nothing names the closest fixture and the first differing JSON "
    "path") {
  TempDir dir;
  const std::string request_a =
      R"({"method": "POST", "uri": "https://h/model/us.amazon.nova-micro-v1%3A0/converse", "body": {"messages": [{"role": "user", "content": [{"text": "hello"}]}], "system": [{"text": "be brief"}]}})";
  const std::string request_b =
      R"({"method": "POST", "uri": "https://h/model/us.amazon.nova-micro-v1%3A0/converse", "body": {"messages": [{"role": "user", "content": [{"text": "other"}, {"text": "x"}]}]}})";
  write_interaction(dir, "01-a", request_a, "a");
  write_interaction(dir, "02-b", request_b, "b");
  auto replay = replay::ReplayTransport::open(dir.path().string());
  REQUIRE(replay.ok());
  const std::string folder_a = (dir.path() / "01-a").string();
  const std::string folder_b = (dir.path() / "02-b").string();

  struct Case {
    std::string method, url, body, expected;
  };
  const std::string url = "https://h/model/us.amazon.nova-micro-v1%3A0/converse";
  const Case cases[] = {
      {"POST", url,
       R"({"messages":[{"role":"user","content":[{"text":"hullo"}]}],"system":[{"text":"be brief"}]})",
       "replay: no fixture matches POST /model/us.amazon.nova-micro-v1:0/converse; closest is " +
           folder_a + ": body differs at /messages/0/content/0/text (string differs)"},
      {"POST", url, R"({"messages":[{"role":"user","content":[{"text":"other"}]}]})",
       "replay: no fixture matches POST /model/us.amazon.nova-micro-v1:0/converse; closest is " +
           folder_b + ": body differs at /messages/0/content (array has 1 elements, recorded 2)"},
      {"POST", url,
       R"({"messages":[{"role":"user","content":[{"text":"hello"}]}],"system":[{"text":"be brief"}],"toolConfig":{}})",
       "replay: no fixture matches POST /model/us.amazon.nova-micro-v1:0/converse; closest is " +
           folder_a + ": body differs at /toolConfig (unexpected member)"},
      {"GET", url, "",
       "replay: no fixture matches GET /model/us.amazon.nova-micro-v1:0/converse; closest is " +
           folder_a + ": method differs (recorded POST)"},
      {"POST", "https://h/model/other/converse", "{}",
       "replay: no fixture matches POST /model/other/converse; closest is " + folder_a +
           ": path differs (recorded /model/us.amazon.nova-micro-v1:0/converse)"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    http::Request request = post(c.url, c.body);
    request.method = c.method;
    CollectSink sink;
    auto head = (*replay)->send(request, sink);
    REQUIRE_FALSE(head.ok());
    CHECK(head.error().kind == ErrorKind::Usage);
    CHECK(head.error().message == c.expected);
    CHECK(sink.heads == 0);
  }
}

TEST_CASE("replay: identical requests get their answers in recorded order, then cyclically") {
  TempDir dir;
  const std::string request = R"({"method": "POST", "uri": "/model/m/converse", "body": {"q": 1}})";
  write_interaction(dir, "1", request, "first");
  write_interaction(dir, "2", request, "second");
  write_interaction(dir, "3", R"({"method": "POST", "uri": "/model/m/converse", "body": {"q": 2}})",
                    "other");
  auto replay = replay::ReplayTransport::open(dir.path().string());
  REQUIRE(replay.ok());
  std::vector<std::string> answers;
  for (int i = 0; i < 5; ++i) {
    auto response = http::fetch(**replay, post("http://h/model/m/converse", R"({"q":1})"));
    REQUIRE(response.ok());
    answers.push_back(response->body);
  }
  CHECK(answers == std::vector<std::string>{"first", "second", "first", "second", "first"});
}

TEST_CASE("fixtures: loader errors name the file and what is wrong") {
  TempDir dir;
  const std::string ok_response = R"({"status": 200, "reason": "OK", "headers": {}})";
  struct Case {
    std::string request, response, expected_suffix;
  };
  const Case cases[] = {
      {R"({"uri": "/x", "body": {}})", ok_response, "request.json: member \"method\" is missing"},
      {R"({"method": 1, "uri": "/x"})", ok_response,
       "request.json: member \"method\" is not a string"},
      {R"({"method": "POST", "uri": "/x", "headers": {"a": 1}})", ok_response,
       "request.json: header \"a\" is not a string"},
      {R"({"method": "POST", "uri": "/x",)", ok_response,
       "request.json: invalid JSON at offset 31: Missing a name for object member."},
      {R"([])", ok_response, "request.json: top level is not a JSON object"},
      {R"({"method": "POST", "uri": "/x"})", R"({"status": 42})",
       "response.json: member \"status\" is not an HTTP status (100-599)"},
      {R"({"method": "POST", "uri": "/x"})", R"({"reason": "OK"})",
       "response.json: member \"status\" is missing"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string name = "case" + std::to_string(n++);
    dir.write(name + "/request.json", c.request);
    dir.write(name + "/response.json", c.response);
    dir.write(name + "/response.body", "");
    auto loaded = replay::load_fixture_set((dir.path() / name).string());
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().kind == ErrorKind::Config);
    CHECK(loaded.error().message == (dir.path() / name).string() + "/" + c.expected_suffix);
  }
  auto missing = replay::load_fixture_set((dir.path() / "nope").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        (dir.path() / "nope").string() + ": fixture set folder does not exist or is not a folder");
  dir.write("empty/readme.txt", "no interactions here");
  auto empty = replay::load_fixture_set((dir.path() / "empty").string());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message.find("no interaction folder") != std::string::npos);
}

namespace {

// The secrets a recording must never write.
const char* const kSecrets[] = {"AKIDSECRETSIGNATURE0123456789abcdef",
                                "SESSIONTOKEN-FwoGZXIvYXdzEXAMPLE",
                                "ABSKBEARERKEY-abcdef",
                                "COOKIE-SESSION-42",
                                "SET-COOKIE-SESSION-43",
                                "PRESIGNED-TOKEN-44"};

// A fake Bedrock that answers every POST with a recorded response (stream bodies chunked).
struct RecordedBedrock {
  std::vector<replay::Interaction> interactions;
  std::unique_ptr<LoopbackServer> server;

  // `chunked`: stream bodies go out with chunked transfer encoding, as Bedrock sends them.
  // Off for the concurrency test: libcpp-httplib's chunked writer uses a shared buffer that
  // ThreadSanitizer reports when several connections stream at once (its race, not ours).
  RecordedBedrock(std::vector<replay::Interaction> chosen, bool chunked)
      : interactions(std::move(chosen)) {
    server = std::make_unique<LoopbackServer>([this, chunked](httplib::Server& s) {
      s.Post(".*", [this, chunked](const httplib::Request& req, httplib::Response& res) {
        for (const auto& interaction : interactions) {
          if (req.body != interaction.request_body) continue;
          res.status = interaction.status;
          res.set_header("Set-Cookie", kSecrets[4]);
          res.set_header("x-amzn-RequestId", "rid-1");
          const std::string* type = http::find_header(interaction.response_headers, "content-type");
          const std::string content_type = type ? *type : "application/json";
          if (chunked && content_type == "application/vnd.amazon.eventstream") {
            const std::string* body = &interaction.response_body;
            res.set_chunked_content_provider(content_type, [body](size_t, httplib::DataSink& out) {
              for (std::size_t at = 0; at < body->size(); at += 1000) {
                out.write(body->data() + at, std::min<std::size_t>(1000, body->size() - at));
              }
              out.done();
              return true;
            });
          } else {
            res.set_content(interaction.response_body, content_type.c_str());
          }
          return;
        }
        res.status = 418;
      });
    });
  }
};

std::vector<replay::Interaction> sample_interactions() {
  auto set = replay::load_fixture_set(fixture_path("recorded/arize-openinference").string());
  REQUIRE(set.ok());
  std::vector<replay::Interaction> chosen;
  bool have_stream = false, have_json = false, have_error = false;
  for (const auto& interaction : set->interactions) {
    const std::string* type = http::find_header(interaction.response_headers, "content-type");
    const bool stream = type && *type == "application/vnd.amazon.eventstream";
    if (!interaction.request_body_is_json) continue;
    if (stream && !have_stream) {
      have_stream = true;
    } else if (!stream && interaction.status == 200 && !have_json) {
      have_json = true;
    } else if (interaction.status >= 400 && !have_error) {
      have_error = true;
    } else {
      continue;
    }
    chosen.push_back(interaction);
  }
  REQUIRE(chosen.size() == 3);
  return chosen;
}

http::Request secret_request(const std::string& base_url, const replay::Interaction& interaction) {
  http::Request request;
  request.method = "POST";
  request.url = base_url + interaction.uri.substr(interaction.uri.find("/model/")) +
                "?X-Amz-Security-Token=" + kSecrets[5] + "&keep=1";
  request.headers = {
      {"Content-Type", "application/json"},
      {"Authorization",
       std::string("AWS4-HMAC-SHA256 Credential=AKID/x, Signature=") + kSecrets[0]},
      {"X-Amz-Security-Token", kSecrets[1]},
      {"X-Bearer-Forward", std::string("Bearer ") + kSecrets[2]},
      {"Cookie", kSecrets[3]},
      {"X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
  };
  request.body = interaction.request_body;
  return request;
}

void check_no_secret_on_disk(const fs::path& root) {
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string contents = bedrock_lite::test::read_file(entry.path());
    for (const char* secret : kSecrets) {
      INFO(entry.path().string() << " contains " << secret);
      CHECK(contents.find(secret) == std::string::npos);
    }
  }
  CHECK(files > 0);
}

}  // namespace

TEST_CASE("record: a recording replays to the same bytes and holds no secret") {
  RecordedBedrock bedrock(sample_interactions(), true);
  TempDir dir;
  const std::string recording = (dir.path() / "recording").string();
  auto fixed_clock = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1750939200));
  };
  replay::RecordingTransport recorder(http::make_curl_transport(), recording,
                                      replay::RecordingOptions{fixed_clock});
  std::vector<std::string> live_bodies;
  for (const auto& interaction : bedrock.interactions) {
    CollectSink sink;
    auto head = recorder.send(secret_request(bedrock.server->url(), interaction), sink);
    REQUIRE(head.ok());
    CHECK(head->status == interaction.status);
    CHECK(sink.body() == interaction.response_body);
    live_bodies.push_back(sink.body());
  }
  check_no_secret_on_disk(dir.path());

  auto set = replay::load_fixture_set(recording);
  REQUIRE(set.ok());
  REQUIRE(set->interactions.size() == bedrock.interactions.size());
  const auto& first = set->interactions.front();
  CHECK(fs::path(first.folder).filename() ==
        "000001-" + fs::path(first.uri.substr(0, first.uri.find('?'))).filename().string());
  CHECK(*http::find_header(first.request_headers, "authorization") == "<redacted>");
  CHECK(*http::find_header(first.request_headers, "x-amz-security-token") == "<redacted>");
  CHECK(*http::find_header(first.request_headers, "x-amz-content-sha256") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(*http::find_header(first.response_headers, "set-cookie") == "<redacted>");
  CHECK(*http::find_header(first.response_headers, "x-amzn-requestid") == "rid-1");
  CHECK(first.uri.find("X-Amz-Security-Token=<redacted>&keep=1") != std::string::npos);
  const std::string meta = bedrock_lite::test::read_file(fs::path(first.folder) / "meta.json");
  CHECK(meta.find("\"recorded_at\": \"2025-06-26T12:00:00Z\"") != std::string::npos);

  replay::ReplayTransport replay(std::move(*set));
  for (std::size_t i = 0; i < bedrock.interactions.size(); ++i) {
    CollectSink sink;
    auto head = replay.send(
        secret_request("https://bedrock-runtime.us-east-1.amazonaws.com", bedrock.interactions[i]),
        sink);
    REQUIRE(head.ok());
    CHECK(head->status == bedrock.interactions[i].status);
    CHECK(sink.body() == live_bodies[i]);
  }

  // A second recorder on the same folder continues the numbering.
  replay::RecordingTransport again(http::make_curl_transport(), recording);
  CollectSink sink;
  REQUIRE(again.send(secret_request(bedrock.server->url(), bedrock.interactions[0]), sink).ok());
  CHECK(fs::is_directory(fs::path(recording) /
                         ("00000" + std::to_string(bedrock.interactions.size() + 1) + "-" +
                          fs::path(first.folder).filename().string().substr(7))));
}

TEST_CASE("record: failed exchanges are not written") {
  TempDir dir;
  std::atomic<LoopbackServer*> self{nullptr};  // read on the server's threads
  LoopbackServer server([&](httplib::Server& s) {
    s.Post(".*", [&](const httplib::Request&, httplib::Response&) {
      self.load()->wait_until_stopping();
    });
  });
  self = &server;
  replay::RecordingTransport recorder(http::make_curl_transport(), dir.path().string());
  http::Request request = post(server.url() + "/model/m/converse", "{}");
  request.timeouts.stall = std::chrono::milliseconds(100);
  CollectSink sink;
  auto head = recorder.send(request, sink);
  REQUIRE_FALSE(head.ok());
  CHECK(head.error().kind == ErrorKind::Timeout);
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("record concurrency: 8 threads record into one folder without collisions") {
  RecordedBedrock bedrock(sample_interactions(), false);
  TempDir dir;
  replay::RecordingTransport recorder(http::make_curl_transport(), dir.path().string());
  constexpr int kThreads = 8, kCalls = 4;
  bedrock_lite::test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const auto call = static_cast<std::size_t>(i);
        const auto& interaction = bedrock.interactions[static_cast<std::size_t>(t + i) % 3];
        CollectSink sink;
        auto head = recorder.send(secret_request(bedrock.server->url(), interaction), sink);
        if (!head.ok())
          failures.add(t, call, head.error().to_string());
        else if (sink.body() != interaction.response_body)
          failures.add(t, call, "body differs from the one recorded in " + interaction.folder);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  auto set = replay::load_fixture_set(dir.path().string());
  REQUIRE(set.ok());
  CHECK(set->interactions.size() == kThreads * kCalls);
  check_no_secret_on_disk(dir.path());
}
