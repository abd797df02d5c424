// ConverseStream: the answer printed token by token as it arrives.
//
//   converse-stream-example [--replay FIXTURE_DIR]
//
// With --replay the stream comes from a recorded exchange (no AWS account, no network);
// without it, region and credentials come from the standard AWS chain.
#include <bedrock_lite/converse.h>

#include <cstdio>
#include <cstring>
#include <variant>

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
  converse::ContentBlock question;
  question.text = "What is the capital of France?";
  request.messages = {{"user", {question}, {}}};
  converse::SystemContentBlock system;
  system.text = "You are a helpful chatbot.";
  request.system = {system};
  converse::InferenceConfig inference;
  inference.temperature = 0.0;
  request.inference_config = inference;

  // Each event arrives here as soon as it is decoded; text deltas go straight to stdout.
  auto response = client->converse_stream(request, [](const converse::StreamEvent& event) {
    if (const auto* delta = std::get_if<converse::ContentBlockDeltaEvent>(&event.body)) {
      if (delta->delta.text) {
        std::fputs(delta->delta.text->c_str(), stdout);
        std::fflush(stdout);
      }
    }
    return converse::StreamControl::Continue;
  });
  std::fputc('\n', stdout);
  if (!response) return fail(response.error());
  // The same response type converse() returns, rebuilt from the events.
  if (response->usage) {
    std::fprintf(stderr, "stop: %s, tokens in/out: %lld/%lld\n", response->stop_reason.c_str(),
                 static_cast<long long>(response->usage->input_tokens.value_or(0)),
                 static_cast<long long>(response->usage->output_tokens.value_or(0)));
  }
  return 0;
}
