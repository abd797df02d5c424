// Fuzz target: arbitrary bytes as the request_json of the C API's three entry points
// (bedrock_lite.h: bedrock_lite_converse, bedrock_lite_converse_stream,
// bedrock_lite_count_tokens), over a client replaying fixtures/recorded/bedrock-recorded/
// test_bedrock_model/00. Seeds: fixtures/regressions/c_api (the recorded request, one with hard
// numbers, JSON nested 100,000 deep), fixtures/regressions/converse_request. Properties:
//  - no input crashes (JSON nested 2,000,000 deep once overflowed the stack in count_tokens);
//  - every failure is Usage (the request, or no recorded answer for it) or InvalidArgument, with
//    a non-empty one-line message, and leaves *response_json NULL;
//  - a success hands out JSON that parses as the response and is what the library writes for it
//    (to_json is a fixed point), and the request it replayed was written from request_json with
//    every pass-through member unchanged (the replay matched it against the recording).
#include <bedrock_lite.h>
#include <bedrock_lite/converse.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace converse = bedrock_lite::converse;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "c_api_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

bedrock_lite_client* replay_client() {
  static bedrock_lite_client* client = [] {
    static const std::string dir =
        std::string(BEDROCK_LITE_FIXTURES_DIR) + "/recorded/bedrock-recorded/test_bedrock_model/00";
    bedrock_lite_config config;
    bedrock_lite_config_init(&config);
    config.replay_dir = dir.c_str();
    config.region = "us-east-1";
    config.max_attempts = 1;
    bedrock_lite_client* made = nullptr;
    bedrock_lite_error* error = nullptr;
    if (bedrock_lite_client_create(&config, &made, &error) != BEDROCK_LITE_OK)
      die("cannot create the replay client:", bedrock_lite_error_display(error));
    return made;
  }();
  return client;
}

void check_outcome(const char* entry, bedrock_lite_status status, char* response,
                   bedrock_lite_error* error) {
  if (status != BEDROCK_LITE_OK) {
    if (status != BEDROCK_LITE_USAGE && status != BEDROCK_LITE_INVALID_ARGUMENT)
      die(entry, std::string("unexpected status ") + bedrock_lite_status_name(status) + ": " +
                     bedrock_lite_error_display(error));
    const std::string message = bedrock_lite_error_message(error);
    if (message.empty() || message.find('\n') != std::string::npos)
      die(entry, "error message empty or not one line: " + message);
    if (response != nullptr) die(entry, "a failure handed out response_json");
    bedrock_lite_error_free(error);
    return;
  }
  if (response == nullptr) die(entry, "success without response_json");
  const std::string json = response;
  bedrock_lite_string_free(response);
  auto parsed = converse::parse_converse_response(json);
  auto counted = converse::parse_count_tokens_response(json);
  if (parsed.ok()) {
    if (converse::to_json(*parsed).value() != json) die(entry, "response_json is not stable");
  } else if (!counted.ok()) {
    die(entry, "response_json does not parse: " + parsed.error().message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A C string ends at its first NUL, as it would for a C caller.
  const std::string request(reinterpret_cast<const char*>(data), size);
  bedrock_lite_client* client = replay_client();
  const char* model = "us.amazon.nova-micro-v1:0";
  // Each call first, then its outputs are read (argument order is unspecified).
  char* response = nullptr;
  bedrock_lite_error* error = nullptr;
  bedrock_lite_status status =
      bedrock_lite_converse(client, model, request.c_str(), &response, &error);
  check_outcome("converse", status, response, error);
  status = bedrock_lite_converse_stream(client, model, request.c_str(), nullptr, nullptr, &response,
                                        &error);
  check_outcome("converse_stream", status, response, error);
  long long tokens = -1;
  status = bedrock_lite_count_tokens(client, model, request.c_str(), &response, &tokens, &error);
  check_outcome("count_tokens", status, response, error);
  return 0;
}
