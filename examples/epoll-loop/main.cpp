// Three ConverseStream calls at once on one thread, driven by the application's own epoll loop
// through http::LoopHooks (docs/async.md): the engine says which sockets to watch and when its
// timer is due; the loop tells it what became ready.
//
//   epoll-loop-example [--replay FIXTURE_DIR]
//
// With --replay the streams come from a recorded exchange (no AWS account, no network);
// without it, region and credentials come from the standard AWS chain.
#include <bedrock_lite/converse.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

using namespace bedrock_lite;

namespace {

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

std::uint32_t epoll_events(http::SocketWatch watch) {
  switch (watch) {
    case http::SocketWatch::Read:
      return EPOLLIN;
    case http::SocketWatch::Write:
      return EPOLLOUT;
    case http::SocketWatch::ReadWrite:
      return EPOLLIN | EPOLLOUT;
    case http::SocketWatch::Remove:
      break;
  }
  return 0;
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
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return 1;

  // What the engine asks of the loop.
  std::set<int> watched;
  std::optional<int> timer_ms;  // nullopt: no timer
  http::LoopHooks hooks;
  hooks.watch_socket = [&](int fd, http::SocketWatch watch) {
    if (watch == http::SocketWatch::Remove) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      watched.erase(fd);
      return;
    }
    epoll_event event{};
    event.events = epoll_events(watch);
    event.data.fd = fd;
    epoll_ctl(epoll_fd, watched.count(fd) != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
    watched.insert(fd);
  };
  hooks.set_timer = [&](std::optional<std::chrono::milliseconds> delay) {
    timer_ms = delay ? std::optional<int>(static_cast<int>(delay->count())) : std::nullopt;
  };
  auto engine = http::Engine::create(hooks);
  if (!engine) return fail(engine.error());

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

  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    client->converse_stream(
        request, nullptr, [i, &failures](Result<converse::ConverseResponse> response) {
          if (!response) {
            ++failures;
            std::fprintf(stderr, "call %d: error: %s\n", i, response.error().to_string().c_str());
            return;
          }
          std::string text;
          if (!response->output.message) return;
          for (const auto& block : response->output.message->content) {
            if (block.text) text += *block.text;
          }
          std::printf("call %d: %s\n", i, text.c_str());
        });
  }

  // The loop: wait for a watched socket or the engine's timer, then hand over what happened.
  while (client->in_flight() > 0) {
    epoll_event events[64];
    const int count = epoll_wait(epoll_fd, events, 64, timer_ms.value_or(1000));
    if (count == 0) (*engine)->on_timeout();
    for (int i = 0; i < count; ++i) {
      const bool in = (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
      const bool out = (events[i].events & EPOLLOUT) != 0;
      (*engine)->on_socket(events[i].data.fd, in && out ? http::SocketWatch::ReadWrite
                                              : out     ? http::SocketWatch::Write
                                                        : http::SocketWatch::Read);
    }
  }
  close(epoll_fd);
  return failures == 0 ? 0 : 1;
}
