// Converse through a plain Makefile and pkg-config (bedrock_lite.pc): no CMake needed.
//
//   pkg-config-example [--replay FIXTURE_DIR]
//
// It asks the question of the converse example and prints the answer; with --replay the answer
// comes from a recorded exchange (no AWS account, no network).
#include <bedrock_lite/converse.h>

#include <cstdio>
#include <cstring>

using namespace bedrock_lite;

int main(int argc, char** argv) {
  converse::ConfigOverrides overrides;
  if (argc == 3 && std::strcmp(argv[1], "--replay") == 0) {
    overrides.replay_dir = argv[2];  // a recorded exchange: no credentials, any region
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--replay FIXTURE_DIR]\n", argv[0]);
    return 2;
  }
  auto client = converse::Client::from_environment(overrides);
  if (!client) {
    std::fprintf(stderr, "error: %s\n", client.error().to_string().c_str());
    return 1;
  }

  // Requests can also be given as the HTTP API's JSON body.
  auto request = converse::parse_converse_request(
      R"({"messages":[{"role":"user","content":[{"text":"Hello!"}]}],)"
      R"("system":[{"text":"You are a chatbot."}],"inferenceConfig":{}})");
  if (!request) {
    std::fprintf(stderr, "error: %s\n", request.error().to_string().c_str());
    return 1;
  }
  request->model_id = "us.amazon.nova-micro-v1:0";
  auto response = client->converse(*request);
  if (!response) {
    std::fprintf(stderr, "error: %s\n", response.error().to_string().c_str());
    return 1;
  }
  // The whole response as the service's JSON.
  auto json = converse::to_json(*response);
  if (!json) {
    std::fprintf(stderr, "error: %s\n", json.error().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", json->c_str());
  return 0;
}
