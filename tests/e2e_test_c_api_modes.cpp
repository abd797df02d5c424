// The record modes through the C API (bedrock_lite_config.record_mode with replay_dir), the
// strict check and the end of a recording run, against the loopback fake Bedrock, which verifies
// every live request's signature and counts what reached it.
#include <bedrock_lite.h>

#include "support/environment.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kRequest = R"({"messages":[{"role":"user","content":[{"text":"Hello from C"}]}]})";
const char* kModel = "us.amazon.nova-micro-v1:0";

bedrock_lite_client* open_client(const std::string& endpoint, const std::string& dir,
                                 const char* mode) {
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  config.endpoint_url = endpoint.c_str();
  config.max_attempts = 1;
  config.replay_dir = dir.c_str();
  config.record_mode = mode;
  bedrock_lite_client* client = nullptr;
  bedrock_lite_error* error = nullptr;
  const bedrock_lite_status status = bedrock_lite_client_create(&config, &client, &error);
  INFO((error ? bedrock_lite_error_display(error) : ""));
  bedrock_lite_error_free(error);
  REQUIRE(status == BEDROCK_LITE_OK);
  return client;
}

std::string converse_via_c(bedrock_lite_client* client) {
  char* response = nullptr;
  bedrock_lite_error* error = nullptr;
  const bedrock_lite_status status =
      bedrock_lite_converse(client, kModel, kRequest, &response, &error);
  INFO((error ? bedrock_lite_error_display(error) : ""));
  bedrock_lite_error_free(error);
  REQUIRE(status == BEDROCK_LITE_OK);
  std::string text = response;
  bedrock_lite_string_free(response);
  return text;
}

std::string unused(const bedrock_lite_client* client) {
  char* json = nullptr;
  bedrock_lite_error* error = nullptr;
  REQUIRE(bedrock_lite_client_unused_fixtures(client, &json, &error) == BEDROCK_LITE_OK);
  std::string text = json;
  bedrock_lite_string_free(json);
  return text;
}

}  // namespace

TEST_CASE(
    "C API record modes: once records then replays, and the strict check lists unused folders") {
  FakeBedrock bedrock;
  TempDir home;
  bedrock_lite::test::ScopedProcessEnvironment environment(
      bedrock_lite::test::fake_bedrock_process_environment(home));
  const std::string dir = (home.path() / "cassette").string();

  bedrock_lite_client* first = open_client(bedrock.url(), dir, "once");
  const std::string live = converse_via_c(first);
  CHECK(unused(first) == "[]");
  bedrock_lite_client_destroy(first);
  REQUIRE(bedrock.request_count() == 1);
  CHECK(bedrock.requests().front().signature_valid);

  bedrock_lite_client* again = open_client(bedrock.url(), dir, "once");
  CHECK(unused(again) == "[\"" + dir + "/000001-converse\"]");
  CHECK(converse_via_c(again) == live);
  CHECK(unused(again) == "[]");
  CHECK(bedrock.request_count() == 1);
  bedrock_lite_client_destroy(again);

  // "none" (and a NULL record_mode) replay the same folder.
  bedrock_lite_client* replaying = open_client(bedrock.url(), dir, "none");
  CHECK(converse_via_c(replaying) == live);
  bedrock_lite_client_destroy(replaying);
  replaying = open_client(bedrock.url(), dir, nullptr);
  CHECK(converse_via_c(replaying) == live);
  bedrock_lite_client_destroy(replaying);
  CHECK(bedrock.request_count() == 1);
}

TEST_CASE("C API record modes: all swaps the fresh recording in at finish, not before") {
  FakeBedrock bedrock;
  TempDir home;
  bedrock_lite::test::ScopedProcessEnvironment environment(
      bedrock_lite::test::fake_bedrock_process_environment(home));
  const std::string dir = (home.path() / "cassette").string();
  bedrock_lite_client_destroy(open_client(bedrock.url(), dir, "once"));  // creates nothing
  CHECK_FALSE(fs::exists(dir));

  bedrock_lite_client* client = open_client(bedrock.url(), dir, "all");
  converse_via_c(client);
  CHECK_FALSE(fs::exists(dir));  // not before the end
  bedrock_lite_error* error = nullptr;
  REQUIRE(bedrock_lite_client_finish_recording(client, &error) == BEDROCK_LITE_OK);
  CHECK(error == nullptr);
  CHECK(fs::is_directory(fs::path(dir) / "000001-converse"));
  // After the end, calls fail as usage errors.
  char* response = nullptr;
  CHECK(bedrock_lite_converse(client, kModel, kRequest, &response, &error) == BEDROCK_LITE_USAGE);
  CHECK(std::string(bedrock_lite_error_message(error)).find("after finish()") != std::string::npos);
  bedrock_lite_error_free(error);
  bedrock_lite_client_destroy(client);
  CHECK(bedrock.request_count() == 1);
}

TEST_CASE("C API record modes: an unknown mode is an invalid argument naming it") {
  TempDir home;
  bedrock_lite::test::ScopedProcessEnvironment environment(
      bedrock_lite::test::fake_bedrock_process_environment(home));
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  const std::string dir = home.path().string();
  config.replay_dir = dir.c_str();
  config.record_mode = "sometimes";
  bedrock_lite_client* client = nullptr;
  bedrock_lite_error* error = nullptr;
  CHECK(bedrock_lite_client_create(&config, &client, &error) == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK(client == nullptr);
  CHECK(std::string(bedrock_lite_error_message(error)) ==
        "bedrock_lite_config.record_mode: record mode \"sometimes\" is not one of none, once, "
        "new, all");
  bedrock_lite_error_free(error);
  // A record mode without replay_dir names the missing folder.
  config.replay_dir = nullptr;
  config.record_mode = "once";
  CHECK(bedrock_lite_client_create(&config, &client, &error) == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK(std::string(bedrock_lite_error_message(error)).find("replay_dir") != std::string::npos);
  bedrock_lite_error_free(error);
}
