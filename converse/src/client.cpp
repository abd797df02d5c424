// The client: one attempt loop shared by the three operations (sign, send, classify, retry),
// a buffering sink for Converse/CountTokens and a decoding sink for ConverseStream.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/sigv4.h>

#include "clock_skew.h"
#include "retry.h"

#include <array>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

namespace bedrock_lite::converse {
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

// Completes an error from a response: its request id, when the service sent one.
void add_request_id(Error& error, const http::Headers& headers) {
  if (!error.request_id.empty()) return;
  const std::string* id = http::find_header(headers, "x-amzn-RequestId");
  if (id == nullptr) id = http::find_header(headers, "x-amz-request-id");
  if (id != nullptr) error.request_id = *id;
}

// What one attempt ended with.
struct AttemptResult {
  std::optional<Error> error;
  bool may_retry = true;        // false once a stream event reached the caller
  bool skew_corrected = false;  // the response moved the clock-skew offset
};

}  // namespace

struct Client::Impl {
  Config config;
  std::string authority;  // host[:port] of the endpoint: the Host header
  std::string base_url;   // scheme://authority
  std::string base_path;  // the endpoint's own path prefix, usually empty
  std::shared_ptr<http::Transport> transport;
  sigv4::Signer signer;
  detail::RetryQuota quota;
  detail::ClockSkew skew;
  Jitter jitter;
  Sleeper sleeper;
  std::mutex random_mutex;
  std::mt19937_64 random;

  explicit Impl(Config c)
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

  void log(LogLevel level, const std::string& message) const {
    if (config.log) config.log(level, message);
  }

  // Builds and signs one attempt's request.
  Result<http::Request> build(const std::string& path, const std::string& body,
                              bool refresh) const {
    http::Request request;
    request.method = "POST";
    request.url = base_url + path;
    request.body = body;
    request.timeouts = config.timeouts;
    request.headers.reserve(7);
    request.headers.push_back({"Host", authority});
    request.headers.push_back({"Content-Type", "application/json"});
    request.headers.push_back({"User-Agent", config.user_agent});
    if (config.bearer_token) {
      request.headers.push_back({"Authorization", "Bearer " + config.bearer_token->reveal()});
      return request;
    }
    if (!config.credentials) {
      return make_error(ErrorKind::NoCredentials, "no credentials provider configured");
    }
    auto credentials = refresh ? config.credentials->refresh() : config.credentials->resolve();
    if (!credentials) return std::move(credentials).error();
    std::vector<sigv4::Header> to_sign;
    to_sign.reserve(request.headers.size());
    for (const auto& header : request.headers) to_sign.push_back({header.name, header.value});
    const sigv4::Credentials keys{credentials->access_key_id,
                                  credentials->secret_access_key.reveal(),
                                  credentials->session_token.reveal()};
    auto added = signer.sign_headers(request.method, path, to_sign, body, keys, config.region,
                                     kSigningName, skew.signing_time(config.clock()));
    if (!added) return signing_error(added.error());
    for (auto& header : *added)
      request.headers.push_back({std::move(header.name), std::move(header.value)});
    return request;
  }

  void log_attempt(Operation operation, const http::Request& request, int attempt) const {
    if (!config.log) return;
    std::string line = std::string(operation_name(operation)) + " attempt " +
                       std::to_string(attempt) + ": " + request.method + " " + request.url;
    for (const auto& header : request.headers) {
      line += " | " + header.name + ": " + http::redact_header_value(header.name, header.value);
    }
    log(LogLevel::Debug, line);
  }

  // Looks at a response head: corrects the clock-skew offset from its Date header.
  bool observe(const http::ResponseHead& head) {
    const bool changed = skew.observe(head.headers, config.clock());
    if (changed) {
      log(LogLevel::Warn, "clock skew: the service's clock is " +
                              std::to_string(skew.offset().count()) +
                              " ms from ours; signing with the corrected time");
    }
    return changed;
  }

  // The attempt loop: signs, sends through `attempt`, retries as the result says.
  Result<void> call_with_retries(
      Operation operation, const std::string& model_id, const std::string& body,
      const std::function<AttemptResult(const http::Request&)>& attempt) {
    if (model_id.empty()) return make_error(ErrorKind::Usage, "the request has no model id");
    const std::string path = base_path + operation_path(model_id, operation);
    detail::RetryState retry(config.retry, quota, jitter);
    bool refresh = false;
    bool refreshed = false;
    bool skew_retried = false;
    const auto started = config.clock();
    // What is left of config.call_timeout, or nothing when there is no cap.
    auto remaining = [&]() -> std::optional<std::chrono::milliseconds> {
      if (!config.call_timeout) return std::nullopt;
      return *config.call_timeout -
             std::chrono::duration_cast<std::chrono::milliseconds>(config.clock() - started);
    };
    for (int number = 1;;) {
      // The offset this attempt is signed with: if another call corrected it meanwhile, a skew
      // error here is still worth the one immediate retry.
      const auto signed_with_offset = skew.offset();
      const auto left = remaining();
      if (left && left->count() <= 0) {
        return make_error(ErrorKind::Timeout,
                          std::string(operation_name(operation)) + ": the call timeout of " +
                              std::to_string(config.call_timeout->count()) +
                              " ms passed before attempt " + std::to_string(number));
      }
      auto request = build(path, body, refresh);
      if (!request) return std::move(request).error();
      if (left && (!request->timeouts.total || *request->timeouts.total > *left)) {
        request->timeouts.total = *left;
      }
      refresh = false;
      log_attempt(operation, *request, number);
      AttemptResult result = attempt(*request);
      if (!result.error) {
        retry.on_success();
        return {};
      }
      Error& error = *result.error;
      if (!result.may_retry) return std::move(error);
      if (!config.bearer_token && !refreshed && is_expired_token_error(error)) {
        refreshed = refresh = true;
        log(LogLevel::Info, std::string(operation_name(operation)) + ": " + error.display_name() +
                                "; refreshing credentials and retrying once");
        continue;
      }
      const bool corrected = result.skew_corrected || skew.offset() != signed_with_offset;
      if (!skew_retried && corrected && detail::is_clock_skew_error(error)) {
        skew_retried = true;
        log(LogLevel::Info, std::string(operation_name(operation)) + ": " + error.display_name() +
                                " after a clock-skew correction; retrying once");
        continue;
      }
      const char* why_not = nullptr;
      const auto delay = retry.next_delay(number, error, &why_not);
      const auto left_now = remaining();
      const std::chrono::milliseconds wait = delay ? *delay : std::chrono::milliseconds(0);
      const bool past_call_timeout = delay && left_now && wait >= *left_now;
      if (past_call_timeout) why_not = "the call timeout would pass during the backoff";
      if (!delay || past_call_timeout) {
        if (error.retryable) {
          log(LogLevel::Info, std::string(operation_name(operation)) + ": not retrying " +
                                  error.display_name() + ": " + why_not);
        }
        return std::move(error);
      }
      log(LogLevel::Info, std::string(operation_name(operation)) + ": " + error.display_name() +
                              " (" + error.message + "); retry " + std::to_string(number) + " of " +
                              std::to_string(config.retry.max_attempts - 1) + " in " +
                              std::to_string(wait.count()) + " ms");
      sleeper(wait);
      ++number;
    }
  }

  // Sends a Converse / CountTokens request and returns the 200 response.
  Result<http::Response> call_buffered(Operation operation, const std::string& model_id,
                                       const std::string& body) {
    http::Response out;
    auto done = call_with_retries(operation, model_id, body, [&](const http::Request& request) {
      AttemptResult result;
      BufferSink sink(config.max_response_bytes);
      auto head = transport->send(request, sink);
      if (sink.head_.status != 0) result.skew_corrected = observe(sink.head_);
      if (sink.too_large_) {
        Error error =
            make_error(ErrorKind::Protocol,
                       std::string(operation_name(operation)) + " response from " + base_url +
                           " exceeds " + std::to_string(config.max_response_bytes) + " bytes");
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
      out.status = head->status;
      out.headers = std::move(head->headers);
      out.body = std::move(sink.body_);
      return result;
    });
    if (!done) return std::move(done).error();
    return out;
  }

  // A buffered call end to end: `request` written as JSON (a body that cannot be written is a
  // Usage error, and nothing is sent), sent through call_buffered(), and the 200 body read by
  // `parse`; a body that does not parse is an error carrying the response's request id.
  template <class Response, class Request>
  Result<Response> call_parsed(Operation operation, const Request& request,
                               Result<Response> (*parse)(std::string_view)) {
    auto body = to_json(request);
    if (!body) return std::move(body).error();
    auto response = call_buffered(operation, request.model_id, std::move(body).value());
    if (!response) return std::move(response).error();
    auto parsed = parse(response->body);
    if (!parsed) {
      Error error = std::move(parsed).error();
      add_request_id(error, response->headers);
      return error;
    }
    return parsed;
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const Config& Client::config() const noexcept {
  return impl_->config;
}

Result<Client> Client::from_environment(const ConfigOverrides& overrides) {
  auto config = resolve_config(credentials::Environment::from_process(), overrides);
  if (!config) return std::move(config).error();
  return create(std::move(config).value());
}

Result<Client> Client::create(Config config) {
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
  auto impl = std::make_unique<Impl>(std::move(config));
  const std::string& url = impl->config.endpoint;
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  impl->authority = url.substr(
      scheme_end, path_start == std::string::npos ? std::string::npos : path_start - scheme_end);
  impl->base_url = url.substr(0, path_start);
  if (path_start != std::string::npos) impl->base_path = url.substr(path_start);
  impl->transport = impl->config.transport;
  return Client(std::move(impl));
}

Result<ConverseResponse> Client::converse(const ConverseRequest& request) const {
  return impl_->call_parsed(Operation::Converse, request, &parse_converse_response);
}

Result<CountTokensResponse> Client::count_tokens(const CountTokensRequest& request) const {
  return impl_->call_parsed(Operation::CountTokens, request, &parse_count_tokens_response);
}

Result<ConverseResponse> Client::converse_stream(const ConverseRequest& request,
                                                 const StreamHandler& handler) const {
  Impl& impl = *impl_;
  auto body = to_json(request);
  if (!body) return std::move(body).error();
  std::optional<ConverseResponse> response;
  auto done = impl.call_with_retries(
      Operation::ConverseStream, request.model_id, std::move(body).value(),
      [&](const http::Request& http_request) {
        AttemptResult result;
        // Error replies are small JSON documents; 1 MiB bounds a misbehaving proxy's page.
        StreamSink sink(handler, std::min<std::size_t>(impl.config.max_response_bytes, 1 << 20));
        auto head = impl.transport->send(http_request, sink);
        result.may_retry = sink.delivered_ == 0;
        if (sink.head_.status != 0) result.skew_corrected = impl.observe(sink.head_);
        auto finish = [&](Error error) {
          add_request_id(error, sink.head_.headers);
          // Once an event reached the caller nothing is retried (docs/wire-protocol.md §6.4).
          if (!result.may_retry) error.retryable = false;
          result.error = std::move(error);
          return result;
        };
        if (sink.terminal_) return finish(std::move(*sink.terminal_));
        if (!head) return finish(std::move(head).error());
        if (head->status != 200)
          return finish(http_error(head->status, head->headers, sink.error_body_));
        sink.finish();
        if (sink.terminal_) return finish(std::move(*sink.terminal_));
        auto accumulated = sink.accumulator_.finish();
        if (!accumulated) return finish(std::move(accumulated).error());
        response = std::move(accumulated).value();
        return result;
      });
  if (!done) return std::move(done).error();
  return std::move(*response);
}

}  // namespace bedrock_lite::converse
