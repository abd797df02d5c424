// Converse: one question, the assistant's answer on stdout.
//
//   converse-example [--replay FIXTURE_DIR]
//
// With --replay the answer comes from a recorded exchange (no AWS account, no network);
// without it, region and credentials come from the standard AWS chain (AWS_REGION,
// AWS_ACCESS_KEY_ID, ~/.aws/config, ...), as for the AWS CLI.
#include <bedrock_lite/converse.h>

#include <cstdio>
#include <cstring>
#include <utility>

using namespace bedrock_lite;

namespace {

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

// The client: replaying a fixture folder, or the real service.
Result<converse::Client> make_client(const char* replay_dir) {
  converse::ConfigOverrides overrides;
  // A replay checks no signature: the library signs with a placeholder identity and picks a
  // region when none is configured.
  if (replay_dir != nullptr) overrides.replay_dir = replay_dir;
  auto config = converse::resolve_config(credentials::Environment::from_process(), overrides);
  if (!config) return config.error();
  return converse::Client::create(std::move(config).value());
}

}  // namespace

int main(int argc, char** argv) {
  const char* replay_dir = nullptr;
  if (argc == 3 && std::strcmp(argv[1], "--replay") == 0)
    replay_dir = argv[2];
  else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--replay FIXTURE_DIR]\n", argv[0]);
    return 2;
  }
  auto client = make_client(replay_dir);
  if (!client) return fail(client.error());

  converse::ConverseRequest request;
  request.model_id = "us.amazon.nova-micro-v1:0";
  converse::ContentBlock hello;
  hello.text = "Hello!";
  request.messages = {{"user", {hello}, {}}};
  converse::SystemContentBlock system;
  system.text = "You are a chatbot.";
  request.system = {system};
  request.inference_config = converse::InferenceConfig{};

  auto response = client->converse(request);
  if (!response) return fail(response.error());
  if (response->output.message) {
    for (const auto& block : response->output.message->content) {
      if (block.text) std::printf("%s\n", block.text->c_str());
    }
  }
  if (response->usage) {
    std::fprintf(stderr, "stop: %s, tokens in/out: %lld/%lld\n", response->stop_reason.c_str(),
                 static_cast<long long>(response->usage->input_tokens.value_or(0)),
                 static_cast<long long>(response->usage->output_tokens.value_or(0)));
  }
  return 0;
}
