// CountTokens: how many input tokens a Converse request would use, without running the model.
//
//   count-tokens-example [--replay FIXTURE_DIR]
//
// With --replay the count comes from a recorded exchange (no AWS account, no network);
// without it, region and credentials come from the standard AWS chain.
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

  // The same ConverseRequest a converse() call takes; count_tokens_request() keeps the members
  // CountTokens accepts (messages, system, toolConfig, additionalModelRequestFields).
  converse::ConverseRequest request;
  request.model_id = "anthropic.claude-sonnet-4-20250514-v1:0";  // a model id, not a profile
  converse::ContentBlock text;
  text.text = "Hello, world!";
  request.messages = {{"user", {text}, {}}};
  request.system = std::vector<converse::SystemContentBlock>{};

  auto count = client->count_tokens(converse::count_tokens_request(request));
  if (!count) return fail(count.error());
  std::printf("%lld\n", static_cast<long long>(count->input_tokens));
  return 0;
}
