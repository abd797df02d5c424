// The secret sweep over the library's own channels: the log hook, errors, and the fixtures the
// recording transport and every record mode write (cli_test_secrets.cpp sweeps the CLI).
#include <bedrock_lite/converse.h>
#include <bedrock_lite/replay.h>

#include "cli_test_secrets_support.h"
#include "support/environment.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

using namespace bedrock_lite;
using namespace bedrock_lite::secrets_sweep;
using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;

namespace {

// A client of `server` signing with the sweep's keys (and its Bedrock API key when `bearer`).
converse::Config sweep_config(const FakeBedrock& server, bool bearer,
                              std::shared_ptr<http::Transport> transport) {
  converse::Config config;
  config.region = "us-east-1";
  config.endpoint = server.url();
  credentials::Credentials c;
  c.access_key_id = kKeyId;
  c.secret_access_key = Secret(kSecretKey);
  c.session_token = Secret(kSessionToken);
  config.credentials = credentials::make_static_provider(c);
  if (bearer) config.bearer_token = Secret(kBearer);
  config.transport = std::move(transport);
  config.retry.sleeper = [](std::chrono::milliseconds) {};
  return config;
}

}  // namespace

TEST_CASE("cli secrets: the library's log hook, errors and RecordingTransport leak nothing",
          "[cli][secrets]") {
  std::mutex mutex;
  std::string logged;
  test::TempDir dir;
  std::size_t calls = 0;
  for (bool bearer : {false, true}) {
    for (Fault fault : {Fault::None, Fault::Status400, Fault::Status500, Fault::ExpiredToken,
                        Fault::StreamException, Fault::ClockSkew, Fault::TruncatedJson}) {
      FakeBedrock server(sweep_server_options());
      server.push_fault(fault);
      converse::Config config =
          sweep_config(server, bearer,
                       std::make_shared<replay::RecordingTransport>(
                           std::shared_ptr<http::Transport>(http::make_curl_transport()),
                           (dir.path() / "recorded").string()));
      config.log = [&](LogLevel, std::string_view message) {
        std::lock_guard<std::mutex> lock(mutex);
        logged.append(message.data(), message.size()).append("\n");
      };
      auto client = converse::Client::create(config);
      REQUIRE(client.ok());
      converse::ConverseRequest request;
      request.model_id = "us.amazon.nova-micro-v1:0";
      converse::ContentBlock text;
      text.text = "hi";
      request.messages = {{"user", {text}, {}}};
      auto a = client->converse(request);
      auto b = client->converse_stream(
          request, [](const converse::StreamEvent&) { return converse::StreamControl::Continue; });
      auto n = client->count_tokens(converse::count_tokens_request(request));
      calls += 3;
      if (!a.ok()) logged += a.error().to_string() + " " + a.error().request_id + "\n";
      if (!b.ok()) logged += b.error().to_string() + " " + b.error().request_id + "\n";
      if (!n.ok()) logged += n.error().to_string() + " " + n.error().request_id + "\n";
    }
  }
  CHECK(calls == 42);
  CHECK(logged.find("<redacted>") != std::string::npos);
  sweep("log hook and errors", logged);
  const std::string files = all_files_below(dir.path() / "recorded");
  CHECK(files.find("<redacted>") != std::string::npos);
  sweep("RecordingTransport fixtures", files);
}

TEST_CASE("cli secrets: every record mode (once, new, all) writes no secret", "[cli][secrets]") {
  test::TempDir dir;
  std::size_t calls = 0;
  for (replay::RecordMode mode :
       {replay::RecordMode::Once, replay::RecordMode::New, replay::RecordMode::All}) {
    const std::string folder = (dir.path() / replay::to_string(mode)).string();
    // Two runs per mode: the second replays what the first recorded (once, new) or records it
    // all again (all); new also records the prompts the first run did not send.
    for (int run = 0; run < 2; ++run) {
      for (bool bearer : {false, true}) {
        for (Fault fault : {Fault::None, Fault::Status400, Fault::StreamException}) {
          FakeBedrock server(sweep_server_options());
          server.push_fault(fault);
          auto opened =
              replay::RecordReplayTransport::open(folder, mode, http::make_curl_transport());
          REQUIRE(opened.ok());
          converse::Config config = sweep_config(
              server, bearer, std::shared_ptr<replay::RecordReplayTransport>(std::move(*opened)));
          config.retry.max_attempts = 1;
          auto client = converse::Client::create(config);
          REQUIRE(client.ok());
          const std::string prompt = "hi " + std::to_string(static_cast<int>(fault)) +
                                     (bearer ? " bearer" : "") + (run == 1 ? " again" : "");
          auto request = converse::prompt_request("us.amazon.nova-micro-v1:0", prompt);
          std::string errors;
          auto a = client->converse(request);
          auto b = client->converse_stream(request, [](const converse::StreamEvent&) {
            return converse::StreamControl::Continue;
          });
          auto n = client->count_tokens(converse::count_tokens_request(request));
          calls += 3;
          for (const Error* error : {a.ok() ? nullptr : &a.error(), b.ok() ? nullptr : &b.error(),
                                     n.ok() ? nullptr : &n.error()}) {
            if (error) errors += error->to_string() + "\n";
          }
          sweep(std::string("record mode ") + replay::to_string(mode) + " errors", errors);
        }
      }
    }
    const std::string files = all_files_below(folder);
    CHECK(files.find("<redacted>") != std::string::npos);
    sweep(std::string("record mode ") + replay::to_string(mode) + " fixtures", files);
  }
  CHECK(calls == 108);
}
