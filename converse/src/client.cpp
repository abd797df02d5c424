// The blocking client: each call is the one call logic of call.h run to its end on the calling
// thread (the blocking driver); the libcurl transport drives its request on an engine of its own.
#include <bedrock_lite/converse.h>

#include "call.h"

#include <optional>
#include <utility>

namespace bedrock_lite::converse {
namespace {

// Runs one call to its end on this thread and returns what its completion received.
template <typename Response, typename MakeExchange>
Result<Response> run_blocking(const std::shared_ptr<detail::ClientCore>& core, Operation operation,
                              const std::string& model_id, Result<std::string> body,
                              MakeExchange make_exchange) {
  // A body that cannot be written is a Usage error, and nothing is sent.
  if (!body) return std::move(body).error();
  std::optional<Result<Response>> out;
  auto exchange = make_exchange([&out](Result<Response> result) { out = std::move(result); });
  auto call = std::make_shared<detail::Call>(core, detail::make_blocking_driver(core->sleeper),
                                             operation, model_id, std::move(body).value(),
                                             std::move(exchange), core->config.call_timeout);
  call->start();
  return std::move(*out);
}

}  // namespace

struct Client::Impl {
  std::shared_ptr<detail::ClientCore> core;
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const Config& Client::config() const noexcept {
  return impl_->core->config;
}

Result<Client> Client::from_environment(const ConfigOverrides& overrides) {
  auto config = resolve_config(credentials::Environment::from_process(), overrides);
  if (!config) return std::move(config).error();
  return create(std::move(config).value());
}

Result<Client> Client::create(Config config) {
  auto core = detail::ClientCore::create(std::move(config));
  if (!core) return std::move(core).error();
  return Client(std::make_unique<Impl>(Impl{std::move(core).value()}));
}

Result<ConverseResponse> Client::converse(const ConverseRequest& request) const {
  auto& core = impl_->core;
  return run_blocking<ConverseResponse>(core, Operation::Converse, request.model_id,
                                        to_json(request), [&core](detail::ConverseDone done) {
                                          return detail::make_converse_exchange(*core,
                                                                                std::move(done));
                                        });
}

Result<CountTokensResponse> Client::count_tokens(const CountTokensRequest& request) const {
  auto& core = impl_->core;
  return run_blocking<CountTokensResponse>(core, Operation::CountTokens, request.model_id,
                                           to_json(request), [&core](detail::CountTokensDone done) {
                                             return detail::make_count_tokens_exchange(
                                                 *core, std::move(done));
                                           });
}

Result<ConverseResponse> Client::converse_stream(const ConverseRequest& request,
                                                 const StreamHandler& handler) const {
  auto& core = impl_->core;
  // The handler is the caller's, alive for the whole call: the exchange refers to it.
  StreamHandler by_reference = [&handler](const StreamEvent& event) {
    return handler ? handler(event) : StreamControl::Continue;
  };
  return run_blocking<ConverseResponse>(
      core, Operation::ConverseStream, request.model_id, to_json(request),
      [&core, &by_reference](detail::ConverseDone done) {
        return detail::make_stream_exchange(*core, std::move(by_reference), std::move(done));
      });
}

}  // namespace bedrock_lite::converse
