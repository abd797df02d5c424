// Three ConverseStream calls at once on a libuv loop (Debian's libuv1-dev): the engine's sockets
// become uv_poll_t handles and its timer a uv_timer_t, through http::LoopHooks (docs/async.md).
//
//   libuv-loop-example [--replay FIXTURE_DIR]
//
// With --replay the streams come from a recorded exchange (no AWS account, no network);
// without it, region and credentials come from the standard AWS chain.
#include <bedrock_lite/converse.h>

#include <uv.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

using namespace bedrock_lite;

namespace {

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

// The loop and the engine, reachable from libuv's C callbacks through handle->data.
struct Loop {
  uv_loop_t* uv = uv_default_loop();
  uv_timer_t timer{};
  std::map<int, uv_poll_t*> polls;
  http::Engine* engine = nullptr;
};

void on_poll(uv_poll_t* handle, int status, int events) {
  auto* loop = static_cast<Loop*>(handle->data);
  int fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd);
  const bool in = status < 0 || (events & UV_READABLE) != 0;
  const bool out = (events & UV_WRITABLE) != 0;
  loop->engine->on_socket(fd, in && out ? http::SocketWatch::ReadWrite
                              : out     ? http::SocketWatch::Write
                                        : http::SocketWatch::Read);
}

void on_timer(uv_timer_t* handle) {
  static_cast<Loop*>(handle->data)->engine->on_timeout();
}

http::LoopHooks hooks_for(Loop& loop) {
  http::LoopHooks hooks;
  hooks.watch_socket = [&loop](int fd, http::SocketWatch watch) {
    auto found = loop.polls.find(fd);
    if (watch == http::SocketWatch::Remove) {
      if (found == loop.polls.end()) return;
      uv_poll_stop(found->second);
      uv_close(reinterpret_cast<uv_handle_t*>(found->second),
               [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      loop.polls.erase(found);
      return;
    }
    if (found == loop.polls.end()) {
      auto* poll = new uv_poll_t;
      uv_poll_init_socket(loop.uv, poll, fd);
      poll->data = &loop;
      found = loop.polls.emplace(fd, poll).first;
    }
    int events = 0;
    if (watch != http::SocketWatch::Write) events |= UV_READABLE;
    if (watch != http::SocketWatch::Read) events |= UV_WRITABLE;
    uv_poll_start(found->second, events, &on_poll);
  };
  hooks.set_timer = [&loop](std::optional<std::chrono::milliseconds> delay) {
    if (!delay) {
      uv_timer_stop(&loop.timer);
      return;
    }
    uv_timer_start(&loop.timer, &on_timer, static_cast<std::uint64_t>(delay->count()), 0);
  };
  return hooks;
}

}  // namespace

int main(int argc, char** argv) {
  const char* replay_dir = nullptr;
  if (argc == 3 && std::strcmp(argv[1], "--replay") == 0) {
    replay_dir = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--replay FIXTURE_DIR]\n", argv[0]);
    return 2;
  }
  Loop loop;
  uv_timer_init(loop.uv, &loop.timer);
  loop.timer.data = &loop;
  auto engine = http::Engine::create(hooks_for(loop));
  if (!engine) return fail(engine.error());
  loop.engine = engine->get();

  converse::ConfigOverrides overrides;
  if (replay_dir != nullptr) overrides.replay_dir = replay_dir;
  auto config = converse::resolve_config(credentials::Environment::from_process(), overrides);
  if (!config) return fail(config.error());
  auto client = converse::AsyncClient::create(std::move(config).value(), **engine);
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

  int failures = 0, pending = 3;
  for (int i = 0; i < 3; ++i) {
    client->converse_stream(request, nullptr, [&, i](Result<converse::ConverseResponse> response) {
      if (--pending == 0) {
        // Nothing left: let uv_run return once the engine's handles are closed.
        uv_timer_stop(&loop.timer);
      }
      if (!response || !response->output.message) {
        ++failures;
        if (!response)
          std::fprintf(stderr, "call %d: error: %s\n", i, response.error().to_string().c_str());
        return;
      }
      std::string text;
      for (const auto& block : response->output.message->content) {
        if (block.text) text += *block.text;
      }
      std::printf("call %d: %s\n", i, text.c_str());
    });
  }
  // Runs until the calls ended; the engine's wake-up descriptor stays watched, so stop there.
  while (pending > 0 && uv_run(loop.uv, UV_RUN_ONCE) != 0) {
  }
  for (auto& [fd, poll] : loop.polls) {
    uv_poll_stop(poll);
    uv_close(reinterpret_cast<uv_handle_t*>(poll),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
  }
  loop.polls.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&loop.timer), nullptr);
  uv_run(loop.uv, UV_RUN_DEFAULT);
  return failures == 0 ? 0 : 1;
}
