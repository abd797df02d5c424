// One call's logic for both clients (call.h): the attempt loop as a chain of continuations that a
// Driver runs on the calling thread or on an engine, and the exchanges that turn an attempt's
// response into a result.
#include "call.h"

#include <bedrock_lite/eventstream.h>

#include <algorithm>
#include <array>
#include <thread>
#include <utility>

namespace bedrock_lite::converse::detail {
namespace {

constexpr std::string_view kSigningName =
    "bedrock";  // docs/wire-protocol.md §1.1: not "bedrock-runtime"

// The one mapping of the signer's error into Error (STYLE.md: one function per leaf).
Error signing_error(const sigv4::Error& error) {
  return make_error(ErrorKind::Config, "signing the request: " + error.message);
}

// The one mapping of the event-stream decoder's error into Error. Its message already names the
// failed check, the stream offset and the message index.
Error decode_error(const eventstream::DecodeError& error) {
  return make_error(ErrorKind::Protocol, "event stream: " + error.message);
}

// Error types that mean "these credentials expired": refresh them and retry once.
bool is_expired_token_error(const Error& error) {
  static constexpr std::array<std::string_view, 3> kCodes = {
      "ExpiredTokenException", "ExpiredToken", "TokenRefreshRequired"};
  for (auto code : kCodes) {
    if (error.aws_type == code) return true;
  }
  return false;
}

}  // namespace

const char* operation_name(Operation operation) {
  switch (operation) {
    case Operation::Converse:
      return "Converse";
    case Operation::ConverseStream:
      return "ConverseStream";
    case Operation::CountTokens:
      return "CountTokens";
  }
  return "?";
}

namespace {

// Buffers a Converse / CountTokens response up to the configured cap.
class BufferSink final : public http::BodySink {
 public:
  explicit BufferSink(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  bool on_head(const http::ResponseHead& head) override {
    head_ = head;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    if (body_.size() + chunk.size() > max_bytes_) {
      too_large_ = true;
      return false;
    }
    body_.append(chunk.data(), chunk.size());
    return true;
  }
  http::ResponseHead head_;
  std::string body_;
  bool too_large_ = false;

 private:
  std::size_t max_bytes_;
};

// Feeds a ConverseStream body to the decoder, each message to the caller's handler and then to
// the accumulator, as bytes arrive. An error reply (status != 200) is buffered instead.
class StreamSink final : public http::BodySink {
 public:
  StreamSink(const StreamHandler& handler, std::size_t max_error_bytes)
      : handler_(handler),
        max_error_bytes_(max_error_bytes),
        decoder_([this](const eventstream::MessageView& message) { return on_message(message); }) {}

  bool on_head(const http::ResponseHead& head) override {
    head_ = head;
    streaming_ = head.status == 200;
    return true;
  }

  bool on_body(std::string_view chunk) override {
    if (!streaming_) {
      if (error_body_.size() + chunk.size() > max_error_bytes_) return false;
      error_body_.append(chunk.data(), chunk.size());
      return true;
    }
    const auto status = decoder_.feed(chunk);
    if (status == eventstream::Status::Failed && !terminal_) {
      terminal_ = decode_error(*decoder_.error());
    }
    return status == eventstream::Status::Ok;
  }

  // After the transport finished cleanly: a stream that ends inside a message is truncated.
  void finish() {
    if (terminal_) return;
    if (decoder_.finish() == eventstream::Status::Failed)
      terminal_ = decode_error(*decoder_.error());
  }

  http::ResponseHead head_;
  bool streaming_ = false;
  std::string error_body_;
  std::uint64_t delivered_ = 0;    // events handed to the caller
  std::optional<Error> terminal_;  // what ended the stream early (exception, decode, stop)
  StreamAccumulator accumulator_;

 private:
  eventstream::Flow on_message(const eventstream::MessageView& message) {
    const auto type = message.message_type().value_or("event");
    if (type == "exception") {
      terminal_ = stream_exception_error(message.exception_type().value_or(""), message.payload());
      return eventstream::Flow::Stop;
    }
    if (type == "error") {
      terminal_ = stream_error_message(message.error_code().value_or(""),
                                       message.error_message().value_or(""));
      return eventstream::Flow::Stop;
    }
    if (type != "event") {
      terminal_ = make_error(ErrorKind::Protocol,
                             "event stream: message " + std::to_string(message.index()) +
                                 " has unknown :message-type '" + std::string(type) + "'");
      return eventstream::Flow::Stop;
    }
    const auto event_type = message.event_type();
    if (!event_type) {
      terminal_ = make_error(ErrorKind::Protocol, "event stream: message " +
                                                      std::to_string(message.index()) +
                                                      " has no :event-type header");
      return eventstream::Flow::Stop;
    }
    auto event = parse_stream_event(*event_type, message.payload(), message.index());
    if (!event) {
      terminal_ = std::move(event).error();
      return eventstream::Flow::Stop;
    }
    ++delivered_;
    if (handler_ && handler_(*event) == StreamControl::Stop) {
      terminal_ = make_error(ErrorKind::Cancelled, "the stream handler stopped the stream after " +
                                                       std::to_string(delivered_) + " events");
      return eventstream::Flow::Stop;
    }
    if (auto added = accumulator_.add(*event); !added) {
      terminal_ = std::move(added).error();
      return eventstream::Flow::Stop;
    }
    return eventstream::Flow::Continue;
  }

  const StreamHandler& handler_;
  std::size_t max_error_bytes_;
  eventstream::Decoder decoder_;
};

}  // namespace

void add_request_id(Error& error, const http::Headers& headers) {
  if (!error.request_id.empty()) return;
  const std::string* id = http::find_header(headers, "x-amzn-RequestId");
  if (id == nullptr) id = http::find_header(headers, "x-amz-request-id");
  if (id != nullptr) error.request_id = *id;
}

// ---------------------------------------------------------------------------------------------
// The client's shared state

ClientCore::ClientCore(Config c)
    : config(std::move(c)), quota(config.retry.quota_capacity), random(std::random_device{}()) {
  jitter = config.retry.jitter;
  if (!jitter) {
    jitter = [this] {
      std::lock_guard<std::mutex> lock(random_mutex);
      return std::uniform_real_distribution<double>(0.0, 1.0)(random);
    };
  }
  sleeper = config.retry.sleeper;
  if (!sleeper) sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

Result<std::shared_ptr<ClientCore>> ClientCore::create(Config config) {
  if (config.region.empty()) {
    return make_error(ErrorKind::NoRegion, "Invalid Configuration: Missing Region");
  }
  EndpointParams params;
  params.region = config.region;
  if (!config.endpoint.empty()) params.endpoint_url = config.endpoint;
  auto endpoint = resolve_endpoint(params);
  if (!endpoint) return std::move(endpoint).error();
  config.endpoint = *endpoint;
  if (!config.bearer_token && !config.credentials) {
    return make_error(ErrorKind::NoCredentials,
                      "the client config has neither a credentials provider nor a bearer token");
  }
  if (config.retry.max_attempts < 1) {
    return make_error(ErrorKind::Config, "retry.max_attempts must be at least 1, not " +
                                             std::to_string(config.retry.max_attempts));
  }
  if (!config.transport) config.transport = http::make_curl_transport();
  if (!config.clock) config.clock = system_clock();
  auto core = std::make_shared<ClientCore>(std::move(config));
  const std::string& url = core->config.endpoint;
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  core->authority = url.substr(
      scheme_end, path_start == std::string::npos ? std::string::npos : path_start - scheme_end);
  core->base_url = url.substr(0, path_start);
  if (path_start != std::string::npos) core->base_path = url.substr(path_start);
  core->transport = core->config.transport;
  return core;
}

http::Request ClientCore::unsigned_request(const std::string& path, std::string body) const {
  http::Request request;
  request.method = "POST";
  request.url = base_url + path;
  request.body = std::move(body);
  request.timeouts = config.timeouts;
  request.headers.reserve(7);
  request.headers.push_back({"Host", authority});
  request.headers.push_back({"Content-Type", "application/json"});
  request.headers.push_back({"User-Agent", config.user_agent});
  if (config.bearer_token) {
    request.headers.push_back({"Authorization", "Bearer " + config.bearer_token->reveal()});
  }
  return request;
}

Result<void> ClientCore::sign(http::Request& request, const std::string& path,
                              const credentials::Credentials& credentials) const {
  std::vector<sigv4::Header> to_sign;
  to_sign.reserve(request.headers.size());
  for (const auto& header : request.headers) to_sign.push_back({header.name, header.value});
  const sigv4::Credentials keys{credentials.access_key_id, credentials.secret_access_key.reveal(),
                                credentials.session_token.reveal()};
  auto added = signer.sign_headers(request.method, path, to_sign, request.body, keys, config.region,
                                   kSigningName, skew.signing_time(config.clock()));
  if (!added) return signing_error(added.error());
  for (auto& header : *added)
    request.headers.push_back({std::move(header.name), std::move(header.value)});
  return {};
}

void ClientCore::log_attempt(Operation operation, const http::Request& request, int attempt) const {
  if (!config.log) return;
  std::string line = std::string(operation_name(operation)) + " attempt " +
                     std::to_string(attempt) + ": " + request.method + " " + request.url;
  for (const auto& header : request.headers) {
    line += " | " + header.name + ": " + http::redact_header_value(header.name, header.value);
  }
  log(LogLevel::Debug, line);
}

bool ClientCore::observe(const http::ResponseHead& head) {
  const bool changed = skew.observe(head.headers, config.clock());
  if (changed) {
    log(LogLevel::Warn, "clock skew: the service's clock is " +
                            std::to_string(skew.offset().count()) +
                            " ms from ours; signing with the corrected time");
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// The blocking driver

namespace {

class BlockingDriver final : public Driver {
 public:
  explicit BlockingDriver(const Sleeper& sleeper) : sleeper_(sleeper) {}
  void fetch_credentials(credentials::CredentialsProvider& provider, bool refresh,
                         CredentialsThen then) override {
    then(refresh ? provider.refresh() : provider.resolve());
  }
  void send(http::Transport& transport, const http::Request& request, http::BodySink& sink,
            http::Completion then) override {
    then(transport.send(request, sink));
  }
  void wait(std::chrono::milliseconds delay, std::function<void()> then) override {
    sleeper_(delay);
    then();
  }
  void cancel_pending() override {}

 private:
  const Sleeper& sleeper_;
};

}  // namespace

std::unique_ptr<Driver> make_blocking_driver(const Sleeper& sleeper) {
  return std::make_unique<BlockingDriver>(sleeper);
}

// ---------------------------------------------------------------------------------------------
// Exchanges

namespace {

// Converse and CountTokens: the body buffered up to the configured cap, parsed at the end.
template <typename Response>
class BufferedExchange final : public Exchange {
 public:
  using Parse = Result<Response> (*)(std::string_view json);
  BufferedExchange(ClientCore& core, Operation operation, Parse parse,
                   std::function<void(Result<Response>)> done)
      : core_(core), operation_(operation), parse_(parse), done_(std::move(done)) {}

  http::BodySink& begin_attempt() override {
    sink_.emplace(core_.config.max_response_bytes);
    return *sink_;
  }

  AttemptResult end_attempt(Result<http::ResponseHead> head) override {
    AttemptResult result;
    BufferSink& sink = *sink_;
    if (sink.head_.status != 0) result.skew_corrected = core_.observe(sink.head_);
    if (sink.too_large_) {
      Error error =
          make_error(ErrorKind::Protocol,
                     std::string(operation_name(operation_)) + " response from " + core_.base_url +
                         " exceeds " + std::to_string(core_.config.max_response_bytes) + " bytes");
      add_request_id(error, sink.head_.headers);
      result.error = std::move(error);
      return result;
    }
    if (!head) {
      result.error = std::move(head).error();
      add_request_id(*result.error, sink.head_.headers);
      return result;
    }
    if (head->status != 200) {
      result.error = http_error(head->status, head->headers, sink.body_);
      add_request_id(*result.error, head->headers);
      return result;
    }
    headers_ = std::move(head->headers);
    return result;
  }

  void complete(std::optional<Error> error) override {
    if (error) {
      done_(std::move(*error));
      return;
    }
    auto parsed = parse_(sink_->body_);
    if (!parsed) {
      Error parse_error = std::move(parsed).error();
      add_request_id(parse_error, headers_);
      done_(std::move(parse_error));
      return;
    }
    done_(std::move(parsed));
  }

 private:
  ClientCore& core_;
  Operation operation_;
  Parse parse_;
  std::function<void(Result<Response>)> done_;
  std::optional<BufferSink> sink_;
  http::Headers headers_;
};

// ConverseStream: events to the handler as they arrive, the accumulated response at the end.
class StreamExchange final : public Exchange {
 public:
  StreamExchange(ClientCore& core, StreamHandler handler, ConverseDone done)
      : core_(core),
        user_handler_(std::move(handler)),
        // A call cancelled inside a chunk delivers none of that chunk's later events.
        handler_([this](const StreamEvent& event) {
          if (closed_) return StreamControl::Stop;
          return user_handler_ ? user_handler_(event) : StreamControl::Continue;
        }),
        done_(std::move(done)) {}

  http::BodySink& begin_attempt() override {
    // Error replies are small JSON documents; 1 MiB bounds a misbehaving proxy's page.
    sink_.emplace(handler_, std::min<std::size_t>(core_.config.max_response_bytes, 1 << 20));
    return *sink_;
  }

  AttemptResult end_attempt(Result<http::ResponseHead> head) override {
    AttemptResult result;
    StreamSink& sink = *sink_;
    result.may_retry = sink.delivered_ == 0;
    if (sink.head_.status != 0) result.skew_corrected = core_.observe(sink.head_);
    auto fail = [&](Error error) {
      add_request_id(error, sink.head_.headers);
      // Once an event reached the caller nothing is retried (docs/wire-protocol.md §6.4).
      if (!result.may_retry) error.retryable = false;
      result.error = std::move(error);
      return result;
    };
    if (sink.terminal_) return fail(std::move(*sink.terminal_));
    if (!head) return fail(std::move(head).error());
    if (head->status != 200) return fail(http_error(head->status, head->headers, sink.error_body_));
    sink.finish();
    if (sink.terminal_) return fail(std::move(*sink.terminal_));
    auto accumulated = sink.accumulator_.finish();
    if (!accumulated) return fail(std::move(accumulated).error());
    response_ = std::make_unique<ConverseResponse>(std::move(accumulated).value());
    return result;
  }

  void complete(std::optional<Error> error) override {
    closed_ = true;
    if (error) {
      done_(std::move(*error));
    } else {
      done_(std::move(*response_));
    }
  }

 private:
  ClientCore& core_;
  StreamHandler user_handler_;
  bool closed_ = false;
  StreamHandler handler_;
  ConverseDone done_;
  std::optional<StreamSink> sink_;
  std::unique_ptr<ConverseResponse> response_;  // held by pointer: large, and set only at the end
};

}  // namespace

std::unique_ptr<Exchange> make_converse_exchange(ClientCore& core, ConverseDone done) {
  return std::make_unique<BufferedExchange<ConverseResponse>>(
      core, Operation::Converse, &parse_converse_response, std::move(done));
}

std::unique_ptr<Exchange> make_count_tokens_exchange(ClientCore& core, CountTokensDone done) {
  return std::make_unique<BufferedExchange<CountTokensResponse>>(
      core, Operation::CountTokens, &parse_count_tokens_response, std::move(done));
}

std::unique_ptr<Exchange> make_stream_exchange(ClientCore& core, StreamHandler handler,
                                               ConverseDone done) {
  return std::make_unique<StreamExchange>(core, std::move(handler), std::move(done));
}

// ---------------------------------------------------------------------------------------------
// The call

Call::Call(std::shared_ptr<ClientCore> core, std::unique_ptr<Driver> driver, Operation operation,
           std::string model_id, std::string body, std::unique_ptr<Exchange> exchange,
           std::optional<std::chrono::milliseconds> call_timeout)
    : core_(std::move(core)),
      driver_(std::move(driver)),
      operation_(operation),
      model_id_(std::move(model_id)),
      exchange_(std::move(exchange)),
      call_timeout_(call_timeout),
      retry_(core_->config.retry, core_->quota, core_->jitter) {
  request_.body = std::move(body);
}

std::optional<std::chrono::milliseconds> Call::remaining() const {
  if (!call_timeout_) return std::nullopt;
  return *call_timeout_ -
         std::chrono::duration_cast<std::chrono::milliseconds>(core_->config.clock() - started_);
}

void Call::start() {
  if (finished_) return;  // cancelled before it started
  if (model_id_.empty()) {
    finish(make_error(ErrorKind::Usage, "the request has no model id"));
    return;
  }
  path_ = core_->base_path + operation_path(model_id_, operation_);
  started_ = core_->config.clock();
  begin_attempt();
}

void Call::cancel(Error error) {
  if (finished_) return;
  // Marked first: a transfer cancelled below completes at once, and that end must be ignored.
  finished_ = true;
  auto self = shared_from_this();
  driver_->cancel_pending();
  exchange_->complete(std::move(error));
}

void Call::begin_attempt() {
  // The offset this attempt is signed with: if another call corrected it meanwhile, a skew
  // error here is still worth the one immediate retry.
  signed_with_offset_ = core_->skew.offset();
  const auto left = remaining();
  if (left && left->count() <= 0) {
    finish(make_error(ErrorKind::Timeout,
                      std::string(operation_name(operation_)) + ": the call timeout of " +
                          std::to_string(call_timeout_->count()) + " ms passed before attempt " +
                          std::to_string(number_)));
    return;
  }
  // Each attempt is built and signed afresh around the same body, moved from the last attempt.
  request_ = core_->unsigned_request(path_, std::move(request_.body));
  if (core_->config.bearer_token) {
    send_attempt();
    return;
  }
  if (!core_->config.credentials) {
    finish(make_error(ErrorKind::NoCredentials, "no credentials provider configured"));
    return;
  }
  const bool refresh = refresh_;
  refresh_ = false;
  auto self = shared_from_this();
  driver_->fetch_credentials(
      *core_->config.credentials, refresh,
      [self](Result<credentials::Credentials> keys) { self->on_credentials(std::move(keys)); });
}

void Call::on_credentials(Result<credentials::Credentials> keys) {
  if (finished_) return;
  if (!keys) {
    finish(std::move(keys).error());
    return;
  }
  if (auto signed_ok = core_->sign(request_, path_, *keys); !signed_ok) {
    finish(std::move(signed_ok).error());
    return;
  }
  send_attempt();
}

void Call::send_attempt() {
  if (const auto left = remaining()) {
    if (!request_.timeouts.total || *request_.timeouts.total > *left) {
      request_.timeouts.total = *left;
    }
  }
  core_->log_attempt(operation_, request_, number_);
  http::BodySink& sink = exchange_->begin_attempt();
  auto self = shared_from_this();
  driver_->send(*core_->transport, request_, sink,
                [self](Result<http::ResponseHead> head) { self->on_sent(std::move(head)); });
}

void Call::on_sent(Result<http::ResponseHead> head) {
  if (finished_) return;
  AttemptResult result = exchange_->end_attempt(std::move(head));
  if (!result.error) {
    retry_.on_success();
    finish(std::nullopt);
    return;
  }
  if (!retry_after(result)) finish(std::move(*result.error));
}

bool Call::retry_after(AttemptResult& result) {
  Error& error = *result.error;
  const std::string name = operation_name(operation_);
  if (!result.may_retry) return false;
  if (!core_->config.bearer_token && !refreshed_ && is_expired_token_error(error)) {
    refreshed_ = refresh_ = true;
    core_->log(LogLevel::Info,
               name + ": " + error.display_name() + "; refreshing credentials and retrying once");
    begin_attempt();
    return true;
  }
  const bool corrected = result.skew_corrected || core_->skew.offset() != signed_with_offset_;
  if (!skew_retried_ && corrected && is_clock_skew_error(error)) {
    skew_retried_ = true;
    core_->log(LogLevel::Info, name + ": " + error.display_name() +
                                   " after a clock-skew correction; retrying once");
    begin_attempt();
    return true;
  }
  const char* why_not = nullptr;
  const auto delay = retry_.next_delay(number_, error, &why_not);
  const auto left_now = remaining();
  const std::chrono::milliseconds wait = delay ? *delay : std::chrono::milliseconds(0);
  const bool past_call_timeout = delay && left_now && wait >= *left_now;
  if (past_call_timeout) why_not = "the call timeout would pass during the backoff";
  if (!delay || past_call_timeout) {
    if (error.retryable) {
      core_->log(LogLevel::Info, name + ": not retrying " + error.display_name() + ": " + why_not);
    }
    return false;
  }
  core_->log(LogLevel::Info, name + ": " + error.display_name() + " (" + error.message +
                                 "); retry " + std::to_string(number_) + " of " +
                                 std::to_string(core_->config.retry.max_attempts - 1) + " in " +
                                 std::to_string(wait.count()) + " ms");
  ++number_;
  auto self = shared_from_this();
  driver_->wait(wait, [self] {
    if (!self->finished_) self->begin_attempt();
  });
  return true;
}

void Call::finish(std::optional<Error> error) {
  if (finished_) return;
  finished_ = true;
  auto self = shared_from_this();  // the completion may drop the last other owner
  exchange_->complete(std::move(error));
}

}  // namespace bedrock_lite::converse::detail
