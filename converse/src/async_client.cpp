// The event-driven client: the call logic of call.h on an http::Engine. Sends go through
// Transport::start, backoff is an engine timer, and credentials are fetched on a worker thread
// whose result comes back through Engine::post, so nothing on the driving thread waits for I/O.
#include <bedrock_lite/converse.h>

#include "call.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bedrock_lite::converse {
// Named, not unnamed: AsyncClient::Impl holds a CredentialsWorker, and in a unity build (this file
// included into a generated one) GCC warns about a member whose type has internal linkage.
namespace detail {

// One thread that runs credentials fetches in order, started at the first fetch (a client with a
// bearer token never starts it). Pending fetches are dropped when it stops.
class CredentialsWorker {
 public:
  CredentialsWorker() = default;
  CredentialsWorker(const CredentialsWorker&) = delete;
  CredentialsWorker& operator=(const CredentialsWorker&) = delete;
  ~CredentialsWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void push(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
      if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    }
    wake_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // what it holds is released off the lock too
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// One call's driver on the engine.
class EngineDriver final : public Driver {
 public:
  EngineDriver(http::Engine& engine, CredentialsWorker& worker)
      : engine_(engine), worker_(worker) {}

  void fetch_credentials(credentials::CredentialsProvider& provider, bool refresh,
                         CredentialsThen then) override {
    // The token keeps Engine::run() going while the fetch is away from the engine.
    worker_.push([&provider, refresh, then = std::move(then), engine = &engine_,
                  token = engine_.keep_running()]() mutable {
      auto keys = refresh ? provider.refresh() : provider.resolve();
      engine->post(
          [then = std::move(then), keys = std::move(keys)]() mutable { then(std::move(keys)); });
    });
  }

  void send(http::Transport& transport, const http::Request& request, http::BodySink& sink,
            http::Completion then) override {
    pending_send_ = transport.start(engine_, request, sink,
                                    [this, then = std::move(then)](Result<http::ResponseHead> end) {
                                      pending_send_ = 0;
                                      then(std::move(end));
                                    });
  }

  void wait(std::chrono::milliseconds delay, std::function<void()> then) override {
    pending_timer_ = engine_.add_timer(delay, [this, then = std::move(then)] {
      pending_timer_ = 0;
      then();
    });
  }

  void cancel_pending() override {
    if (pending_timer_ != 0) engine_.cancel_timer(std::exchange(pending_timer_, 0));
    if (pending_send_ != 0) engine_.cancel(std::exchange(pending_send_, 0));
  }

 private:
  http::Engine& engine_;
  CredentialsWorker& worker_;
  http::CallId pending_send_ = 0;
  http::Engine::TimerId pending_timer_ = 0;
};

}  // namespace detail

struct AsyncClient::Impl {
  std::shared_ptr<detail::ClientCore> core;
  http::Engine* engine = nullptr;
  detail::CredentialsWorker worker;
  struct Live {
    std::shared_ptr<detail::Call> call;
    http::Engine::TimerId deadline = 0;
  };
  std::unordered_map<CallHandle, Live> calls;
  CallHandle next = 1;

  // What a completion does first: forget the call and its deadline timer.
  void forget(CallHandle handle) {
    auto found = calls.find(handle);
    if (found == calls.end()) return;
    if (found->second.deadline != 0) engine->cancel_timer(found->second.deadline);
    calls.erase(found);
  }

  template <typename Response, typename MakeExchange>
  CallHandle launch(Operation operation, const std::string& model_id, Result<std::string> body,
                    std::function<void(Result<Response>)> done, const CallOptions& options,
                    MakeExchange make_exchange) {
    const CallHandle handle = next++;
    auto finished = [this, handle, done = std::move(done)](Result<Response> result) {
      forget(handle);
      if (done) done(std::move(result));
    };
    if (!body) {
      // Never inside the call that started it: the completion runs at the engine's next turn.
      engine->add_timer(
          std::chrono::milliseconds(0),
          [finished, error = std::move(body).error()]() mutable { finished(std::move(error)); });
      return handle;
    }
    const auto timeout = options.deadline ? options.deadline : core->config.call_timeout;
    auto call = std::make_shared<detail::Call>(
        core, std::make_unique<detail::EngineDriver>(*engine, worker), operation, model_id,
        std::move(body).value(), make_exchange(std::move(finished)), timeout);
    Live& live = calls[handle];
    live.call = call;
    if (timeout) {
      std::weak_ptr<detail::Call> weak = call;
      live.deadline = engine->add_timer(*timeout, [this, handle, weak, operation, timeout] {
        if (auto found = calls.find(handle); found != calls.end()) found->second.deadline = 0;
        if (auto running = weak.lock()) {
          running->cancel(
              make_error(ErrorKind::Timeout, std::string(detail::operation_name(operation)) +
                                                 ": the call deadline of " +
                                                 std::to_string(timeout->count()) + " ms passed"));
        }
      });
    }
    engine->add_timer(std::chrono::milliseconds(0), [call] { call->start(); });
    return handle;
  }
};

AsyncClient::AsyncClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AsyncClient::AsyncClient(AsyncClient&&) noexcept = default;
AsyncClient& AsyncClient::operator=(AsyncClient&&) noexcept = default;

AsyncClient::~AsyncClient() {
  if (!impl_) return;
  std::vector<std::shared_ptr<detail::Call>> live;
  live.reserve(impl_->calls.size());
  for (auto& entry : impl_->calls) live.push_back(entry.second.call);
  for (auto& call : live) {
    call->cancel(make_error(ErrorKind::Cancelled, "the client was destroyed"));
  }
}

Result<AsyncClient> AsyncClient::create(Config config, http::Engine& engine) {
  auto core = detail::ClientCore::create(std::move(config));
  if (!core) return std::move(core).error();
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core).value();
  impl->engine = &engine;
  return AsyncClient(std::move(impl));
}

CallHandle AsyncClient::converse(const ConverseRequest& request, ConverseCompletion done,
                                 CallOptions options) {
  auto& core = *impl_->core;
  return impl_->launch<ConverseResponse>(
      Operation::Converse, request.model_id, to_json(request), std::move(done), options,
      [&core](detail::ConverseDone finished) {
        return detail::make_converse_exchange(core, std::move(finished));
      });
}

CallHandle AsyncClient::converse_stream(const ConverseRequest& request, StreamHandler handler,
                                        ConverseCompletion done, CallOptions options) {
  auto& core = *impl_->core;
  return impl_->launch<ConverseResponse>(
      Operation::ConverseStream, request.model_id, to_json(request), std::move(done), options,
      [&core, &handler](detail::ConverseDone finished) {
        return detail::make_stream_exchange(core, std::move(handler), std::move(finished));
      });
}

CallHandle AsyncClient::count_tokens(const CountTokensRequest& request, CountTokensCompletion done,
                                     CallOptions options) {
  auto& core = *impl_->core;
  return impl_->launch<CountTokensResponse>(
      Operation::CountTokens, request.model_id, to_json(request), std::move(done), options,
      [&core](detail::CountTokensDone finished) {
        return detail::make_count_tokens_exchange(core, std::move(finished));
      });
}

void AsyncClient::cancel(CallHandle call) {
  auto found = impl_->calls.find(call);
  if (found == impl_->calls.end()) return;
  auto running = found->second.call;  // alive until cancel() returns
  running->cancel(make_error(ErrorKind::Cancelled, std::string("the call was cancelled")));
}

std::size_t AsyncClient::in_flight() const {
  return impl_->calls.size();
}

const Config& AsyncClient::config() const noexcept {
  return impl_->core->config;
}

}  // namespace bedrock_lite::converse
