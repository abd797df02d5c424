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

using namespace bedrock_lite;

namespace {

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
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
  // The standard chain and files, as the AWS CLI reads them; a replay answers from the
  // recorded folder and needs no credentials (the library signs with a placeholder identity).
  converse::ConfigOverrides overrides;
  if (replay_dir != nullptr) overrides.replay_dir = replay_dir;
  auto client = converse::Client::from_environment(overrides);
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
