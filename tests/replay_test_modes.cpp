// The record modes (RecordReplayTransport: none, once, new, all) with the typed client over real
// libcurl against the loopback fake Bedrock, which verifies every live request's signature and
// counts what reached it: what is replayed never does.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/replay.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/thread_failures.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using bedrock_lite::ErrorKind;
using bedrock_lite::Secret;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::TempDir;
namespace converse = bedrock_lite::converse;
namespace credentials = bedrock_lite::credentials;
namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
namespace fs = std::filesystem;
using replay::RecordMode;
using replay::RecordReplayTransport;

namespace {

const char* kSessionToken = "SESSIONTOKEN-record-modes-FwoGZXIvYXdz";
const char* kModel = "us.amazon.nova-micro-v1:0";

// One test run: a client whose transport is a RecordReplayTransport over `dir`.
struct Run {
  std::shared_ptr<RecordReplayTransport> transport;
  std::unique_ptr<converse::Client> client;
};

Run open_run(const FakeBedrock& bedrock, const std::string& dir, RecordMode mode) {
  auto opened = RecordReplayTransport::open(dir, mode, http::make_curl_transport());
  REQUIRE(opened.ok());
  Run run;
  run.transport = std::move(opened).value();
  converse::Config config;
  config.region = "us-east-1";
  config.endpoint = bedrock.url();
  credentials::Credentials fake;
  fake.access_key_id = "AKIDFAKEBEDROCK";
  fake.secret_access_key = Secret("fake/secret+key/for-the-loopback-server");
  fake.session_token = Secret(kSessionToken);
  fake.source = "test";
  config.credentials = credentials::make_static_provider(fake);
  config.transport = run.transport;
  config.retry.max_attempts = 1;
  auto client = converse::Client::create(std::move(config));
  REQUIRE(client.ok());
  run.client = std::make_unique<converse::Client>(std::move(client).value());
  return run;
}

converse::ConverseRequest prompt(const std::string& text) {
  auto request = converse::parse_converse_request(
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"" + text + "\"}]}]}");
  REQUIRE(request.ok());
  request->model_id = kModel;
  return std::move(request).value();
}

std::string text_of(const converse::ConverseResponse& response) {
  if (!response.output.message || response.output.message->content.empty()) return "";
  return response.output.message->content.front().text.value_or("");
}

// Converse, ConverseStream and CountTokens, chosen by `which`, returning a short summary of the
// answer: the text, the streamed text with its event names, or the token count.
std::string call(const converse::Client& client, const std::string& text, int which) {
  if (which % 3 == 0) {
    auto response = client.converse(prompt(text));
    REQUIRE(response.ok());
    return "converse:" + text_of(*response);
  }
  if (which % 3 == 1) {
    std::string events;
    auto response = client.converse_stream(prompt(text), [&events](const converse::StreamEvent& e) {
      events += e.event_type + ",";
      return converse::StreamControl::Continue;
    });
    REQUIRE(response.ok());
    return "stream:" + events + text_of(*response);
  }
  auto response = client.count_tokens(converse::count_tokens_request(prompt(text)));
  REQUIRE(response.ok());
  return "tokens:" + std::to_string(response->input_tokens);
}

// Every file below `root`, path -> contents.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[entry.path().string()] = bedrock_lite::test::read_file(entry.path());
    }
  }
  return files;
}

void check_no_token_or_signature_on_disk(const fs::path& root) {
  for (const auto& [path, contents] : snapshot(root)) {
    INFO(path);
    CHECK(contents.find(kSessionToken) == std::string::npos);
    CHECK(contents.find("fake/secret+key") == std::string::npos);
    CHECK(contents.find("Signature=") == std::string::npos);
  }
}

std::size_t interactions_in(const std::string& dir) {
  auto set = replay::load_fixture_set(dir);
  return set.ok() ? set->interactions.size() : 0;
}

}  // namespace

TEST_CASE("record modes: names parse and print, and anything else is a usage error") {
  for (RecordMode mode : {RecordMode::None, RecordMode::Once, RecordMode::New, RecordMode::All}) {
    auto parsed = replay::parse_record_mode(replay::to_string(mode));
    REQUIRE(parsed.ok());
    CHECK(*parsed == mode);
  }
  auto bad = replay::parse_record_mode("sometimes");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Usage);
  CHECK(bad.error().message == "record mode \"sometimes\" is not one of none, once, new, all");
}

TEST_CASE("record mode once: records an empty folder, then replays it without the network") {
  FakeBedrock bedrock;
  TempDir temp;
  const std::string dir = (temp.path() / "cassette").string();
  std::vector<std::string> live;
  {
    Run run = open_run(bedrock, dir, RecordMode::Once);
    CHECK_FALSE(run.transport->replays_only());
    for (int i = 0; i < 3; ++i) live.push_back(call(*run.client, "once " + std::to_string(i), i));
    CHECK(run.transport->unused().empty());
  }
  REQUIRE(bedrock.request_count() == 3);
  for (const auto& seen : bedrock.requests()) CHECK(seen.signature_valid);
  CHECK(interactions_in(dir) == 3);
  check_no_token_or_signature_on_disk(dir);

  Run again = open_run(bedrock, dir, RecordMode::Once);
  CHECK(again.transport->replays_only());
  CHECK(again.transport->unused().size() == 3);
  for (int i = 0; i < 3; ++i)
    CHECK(call(*again.client, "once " + std::to_string(i), i) == live[static_cast<std::size_t>(i)]);
  CHECK(bedrock.request_count() == 3);
  CHECK(again.transport->unused().empty());
  // A miss is an error naming the closest interaction, and nothing is recorded.
  auto miss = again.client->converse(prompt("never recorded"));
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.error().kind == ErrorKind::Usage);
  CHECK(miss.error().message.find("closest is " + dir +
                                  "/000001-converse: body differs at "
                                  "/messages/0/content/0/text") != std::string::npos);
  CHECK(bedrock.request_count() == 3);
  CHECK(interactions_in(dir) == 3);

  // Once without a transport to record with is refused when the folder is empty.
  auto refused =
      RecordReplayTransport::open((temp.path() / "empty").string(), RecordMode::Once, nullptr);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::Usage);
  CHECK(refused.error().message.find("has no transport") != std::string::npos);
}

TEST_CASE("record mode none: replays, never records, reports what a run left unused") {
  FakeBedrock bedrock;
  TempDir temp;
  const std::string dir = (temp.path() / "cassette").string();
  {
    Run record = open_run(bedrock, dir, RecordMode::All);
    for (int i = 0; i < 3; ++i) call(*record.client, "none " + std::to_string(i), i);
  }
  REQUIRE(bedrock.request_count() == 3);
  auto before = snapshot(dir);

  Run run = open_run(bedrock, dir, RecordMode::None);
  CHECK(run.transport->replays_only());
  call(*run.client, "none 1", 1);
  auto miss = run.client->count_tokens(converse::count_tokens_request(prompt("none 9")));
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.error().kind == ErrorKind::Usage);
  CHECK(miss.error().message.find("closest is " + dir + "/000003-count-tokens") !=
        std::string::npos);
  CHECK(bedrock.request_count() == 3);
  const std::vector<std::string> unused = run.transport->unused();
  CHECK(unused == std::vector<std::string>{dir + "/000001-converse", dir + "/000003-count-tokens"});
  CHECK(run.transport->finish().ok());
  CHECK(snapshot(dir) == before);

  // None needs recordings: a missing folder is the loader's error.
  auto missing = RecordReplayTransport::open((temp.path() / "missing").string(), RecordMode::None,
                                             http::make_curl_transport());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::Config);
  CHECK(missing.error().message.find("does not exist") != std::string::npos);
}

TEST_CASE(
    "record mode new: a mixed run replays half and records half, and the next run replays all") {
  FakeBedrock bedrock;
  TempDir temp;
  const std::string dir = (temp.path() / "cassette").string();
  std::map<std::string, std::string> answers;
  {
    Run first = open_run(bedrock, dir, RecordMode::Once);
    for (int i = 0; i < 3; ++i) {
      const std::string text = "old " + std::to_string(i);
      answers[text] = call(*first.client, text, i);
    }
  }
  REQUIRE(bedrock.request_count() == 3);
  const auto recorded = snapshot(dir);

  {
    Run mixed = open_run(bedrock, dir, RecordMode::New);
    CHECK_FALSE(mixed.transport->replays_only());
    for (int i = 0; i < 3; ++i) {
      const std::string old_text = "old " + std::to_string(i);
      CHECK(call(*mixed.client, old_text, i) == answers[old_text]);
      const std::string new_text = "new " + std::to_string(i);
      answers[new_text] = call(*mixed.client, new_text, i);
    }
    CHECK(bedrock.request_count() == 6);  // only the three new requests went out
    CHECK(mixed.transport->unused().empty());
  }
  // Existing interactions were not rewritten; the new ones were appended after them.
  auto after = snapshot(dir);
  for (const auto& [path, contents] : recorded) {
    INFO(path);
    REQUIRE(after.count(path) == 1);
    CHECK(after[path] == contents);
  }
  CHECK(interactions_in(dir) == 6);
  CHECK(fs::is_directory(fs::path(dir) / "000006-count-tokens"));
  check_no_token_or_signature_on_disk(dir);

  Run replayed = open_run(bedrock, dir, RecordMode::None);
  for (int i = 0; i < 3; ++i) {
    for (const char* prefix : {"new ", "old "}) {
      const std::string text = prefix + std::to_string(i);
      CHECK(call(*replayed.client, text, i) == answers[text]);
    }
  }
  CHECK(bedrock.request_count() == 6);
  CHECK(replayed.transport->unused().empty());
}

TEST_CASE("record mode all: records afresh beside the folder and swaps it in at the end") {
  FakeBedrock bedrock;
  TempDir temp;
  const std::string dir = (temp.path() / "cassette").string();
  {
    Run old_run = open_run(bedrock, dir, RecordMode::All);
    for (int i = 0; i < 3; ++i) call(*old_run.client, "old " + std::to_string(i), i);
  }
  REQUIRE(interactions_in(dir) == 3);
  const auto old_files = snapshot(dir);

  Run run = open_run(bedrock, dir, RecordMode::All);
  CHECK_FALSE(run.transport->replays_only());
  const std::string answer = call(*run.client, "old 1", 1);  // recorded again, not replayed
  call(*run.client, "fresh", 0);
  CHECK(bedrock.request_count() == 5);
  // Until the end the old recordings stay in place, whole.
  CHECK(snapshot(dir) == old_files);
  CHECK(run.transport->unused().empty());
  REQUIRE(run.transport->finish().ok());
  CHECK(run.transport->finish().ok());  // the end comes once
  auto set = replay::load_fixture_set(dir);
  REQUIRE(set.ok());
  REQUIRE(set->interactions.size() == 2);
  CHECK(set->interactions[0].folder == dir + "/000001-converse-stream");
  CHECK(set->interactions[1].folder == dir + "/000002-converse");
  // Nothing is left beside the folder: the fresh one was renamed, the old one deleted.
  std::vector<std::string> beside;
  for (const auto& entry : fs::directory_iterator(temp.path())) {
    beside.push_back(entry.path().filename().string());
  }
  CHECK(beside == std::vector<std::string>{"cassette"});
  check_no_token_or_signature_on_disk(dir);
  auto late = run.client->converse(prompt("late"));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == ErrorKind::Usage);
  CHECK(late.error().message.find("called after finish()") != std::string::npos);

  Run replayed = open_run(bedrock, dir, RecordMode::None);
  CHECK(call(*replayed.client, "old 1", 1) == answer);
  CHECK(bedrock.request_count() == 5);

  // A run that records nothing (here: its only exchange breaks off) keeps the old recordings.
  {
    Run empty = open_run(bedrock, dir, RecordMode::All);
    bedrock.push_fault(bedrock_lite::test::Fault::ResetMidStream);
    CHECK_FALSE(empty.client
                    ->converse_stream(prompt("reset"),
                                      [](const converse::StreamEvent&) {
                                        return converse::StreamControl::Continue;
                                      })
                    .ok());
    CHECK(empty.transport->finish().ok());
  }
  CHECK(interactions_in(dir) == 2);
  beside.clear();
  for (const auto& entry : fs::directory_iterator(temp.path())) {
    beside.push_back(entry.path().filename().string());
  }
  CHECK(beside == std::vector<std::string>{"cassette"});

  // Destroying the transport is the end too, and a folder that did not exist is created then.
  const std::string created = (temp.path() / "nested" / "new-cassette").string();
  {
    Run fresh = open_run(bedrock, created, RecordMode::All);
    call(*fresh.client, "fresh", 2);
    CHECK_FALSE(fs::exists(created));
  }
  CHECK(interactions_in(created) == 1);
}

TEST_CASE(
    "record mode new concurrency: 8 threads record into one folder, and a reader never sees a "
    "torn interaction") {
  FakeBedrock bedrock;
  TempDir temp;
  const std::string dir = (temp.path() / "cassette").string();
  Run run = open_run(bedrock, dir, RecordMode::New);
  constexpr int kThreads = 8, kCalls = 6;
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0}, looks{0};
  std::string first_torn;  // written by the reader only, read after it joined
  // Loads the folder over and over while it is written: every interaction it finds is complete.
  std::thread reader([&] {
    auto tear = [&](std::string why) {
      if (torn++ == 0) first_torn = std::move(why);
    };
    while (writing) {
      auto set = replay::load_fixture_set(dir);
      ++looks;
      if (!set.ok()) {
        if (set.error().message.find("no interaction folder") == std::string::npos &&
            set.error().message.find("does not exist") == std::string::npos) {
          tear(set.error().message);
        }
        continue;
      }
      for (const auto& interaction : set->interactions) {
        if (interaction.response_body.empty() || interaction.request_body.empty()) {
          tear("an interaction with an empty body: " + interaction.folder);
        }
      }
    }
  });
  // The requests are built here: Catch2's assertions (in prompt()) are not thread-safe.
  std::vector<std::vector<converse::ConverseRequest>> requests(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCalls; ++i) {
      requests[t].push_back(prompt("thread " + std::to_string(t) + " call " + std::to_string(i)));
    }
  }
  bedrock_lite::test::ThreadFailures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        auto response = run.client->converse(requests[t][static_cast<std::size_t>(i)]);
        if (!response.ok())
          failures.add(t, static_cast<std::size_t>(i), response.error().to_string());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  writing = false;
  reader.join();
  INFO(failures.report());
  CHECK(failures.count() == 0);
  INFO(first_torn);
  CHECK(torn == 0);
  CHECK(looks > 0);
  CHECK(bedrock.request_count() == kThreads * kCalls);

  auto set = replay::load_fixture_set(dir);
  REQUIRE(set.ok());
  REQUIRE(set->interactions.size() == kThreads * kCalls);
  std::set<std::string> bodies, numbers;
  for (const auto& interaction : set->interactions) {
    bodies.insert(interaction.request_body);
    numbers.insert(fs::path(interaction.folder).filename().string().substr(0, 6));
  }
  CHECK(bodies.size() == kThreads * kCalls);   // no interaction lost or duplicated
  CHECK(numbers.size() == kThreads * kCalls);  // each has its own number
  // No partial folder is left behind.
  for (const auto& entry : fs::directory_iterator(dir)) {
    CHECK(entry.path().filename().string().rfind(".partial-", 0) == std::string::npos);
  }

  // The next run replays every one of them.
  Run replayed = open_run(bedrock, dir, RecordMode::None);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCalls; ++i) {
      auto response = replayed.client->converse(
          prompt("thread " + std::to_string(t) + " call " + std::to_string(i)));
      CHECK(response.ok());
    }
  }
  CHECK(replayed.transport->unused().empty());
  CHECK(bedrock.request_count() == kThreads * kCalls);
}
