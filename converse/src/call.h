// One call's logic, written once for both clients: sign each attempt, send it, classify the
// result, retry with backoff, refresh expired credentials, correct clock skew. How a call waits,
// fetches credentials and sends is a Driver: on the calling thread for the blocking Client, on an
// http::Engine (credentials on a worker thread) for the AsyncClient. What the body goes to and how
// an attempt's end reads is an Exchange: buffered (Converse, CountTokens) or streamed.
#pragma once

#include <bedrock_lite/converse.h>
#include <bedrock_lite/sigv4.h>

#include "clock_skew.h"
#include "retry.h"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace bedrock_lite::converse::detail {

const char* operation_name(Operation operation);

// Completes an error from a response: its request id, when the service sent one.
void add_request_id(Error& error, const http::Headers& headers);

// What one attempt ended with.
struct AttemptResult {
  std::optional<Error> error;
  bool may_retry = true;        // false once a stream event reached the caller
  bool skew_corrected = false;  // the response moved the clock-skew offset
};

// What every call of one client shares. Thread-safe (the quota, skew and signing-key cache lock
// or are atomic; the rest is immutable once built).
struct ClientCore {
  Config config;
  std::string authority;  // host[:port] of the endpoint: the Host header
  std::string base_url;   // scheme://authority
  std::string base_path;  // the endpoint's own path prefix, usually empty
  std::shared_ptr<http::Transport> transport;
  sigv4::Signer signer;
  RetryQuota quota;
  ClockSkew skew;
  Jitter jitter;
  Sleeper sleeper;
  std::mutex random_mutex;
  std::mt19937_64 random;

  explicit ClientCore(Config c);

  // Checks the config and builds the core (Client::create's checks, shared by AsyncClient).
  static Result<std::shared_ptr<ClientCore>> create(Config config);

  void log(LogLevel level, const std::string& message) const {
    if (config.log) config.log(level, message);
  }
  // The unsigned request of one attempt (Host, Content-Type, User-Agent; the bearer token).
  http::Request unsigned_request(const std::string& path, std::string body) const;
  // Signs `request` with `keys` at the skew-corrected time.
  Result<void> sign(http::Request& request, const std::string& path,
                    const credentials::Credentials& keys) const;
  void log_attempt(Operation operation, const http::Request& request, int attempt) const;
  // Looks at a response head: corrects the clock-skew offset from its Date header.
  bool observe(const http::ResponseHead& head);
};

// How a call waits, fetches credentials and sends. One per call.
class Driver {
 public:
  virtual ~Driver() = default;
  using CredentialsThen = std::function<void(Result<credentials::Credentials>)>;
  virtual void fetch_credentials(credentials::CredentialsProvider& provider, bool refresh,
                                 CredentialsThen then) = 0;
  // `request` and `sink` live until `then` ran.
  virtual void send(http::Transport& transport, const http::Request& request, http::BodySink& sink,
                    http::Completion then) = 0;
  virtual void wait(std::chrono::milliseconds delay, std::function<void()> then) = 0;
  // Drops the send or wait in progress without running its continuation.
  virtual void cancel_pending() = 0;
};

// The calling thread: a blocking send, the configured sleeper, credentials fetched inline.
std::unique_ptr<Driver> make_blocking_driver(const Sleeper& sleeper);

// One operation's body handling and result.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // A fresh sink for the next attempt (the previous attempt's is dropped).
  virtual http::BodySink& begin_attempt() = 0;
  virtual AttemptResult end_attempt(Result<http::ResponseHead> head) = 0;
  // Called exactly once: nullopt when the call succeeded.
  virtual void complete(std::optional<Error> error) = 0;
};

using ConverseDone = std::function<void(Result<ConverseResponse>)>;
using CountTokensDone = std::function<void(Result<CountTokensResponse>)>;
std::unique_ptr<Exchange> make_converse_exchange(ClientCore& core, ConverseDone done);
std::unique_ptr<Exchange> make_count_tokens_exchange(ClientCore& core, CountTokensDone done);
std::unique_ptr<Exchange> make_stream_exchange(ClientCore& core, StreamHandler handler,
                                               ConverseDone done);

// One call: started once, ends once (Exchange::complete). Single-thread: every member runs on
// the driving thread.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<ClientCore> core, std::unique_ptr<Driver> driver, Operation operation,
       std::string model_id, std::string body, std::unique_ptr<Exchange> exchange,
       std::optional<std::chrono::milliseconds> call_timeout);

  void start();
  // Ends the call with `error` unless it already ended.
  void cancel(Error error);
  bool finished() const { return finished_; }

 private:
  std::optional<std::chrono::milliseconds> remaining() const;
  void begin_attempt();
  void on_credentials(Result<credentials::Credentials> keys);
  void send_attempt();
  void on_sent(Result<http::ResponseHead> head);
  // The retry decision after a failed attempt: true when another attempt is on its way.
  bool retry_after(AttemptResult& result);
  void finish(std::optional<Error> error);

  std::shared_ptr<ClientCore> core_;
  std::unique_ptr<Driver> driver_;
  Operation operation_;
  std::string model_id_;
  std::string path_;
  std::unique_ptr<Exchange> exchange_;
  std::optional<std::chrono::milliseconds> call_timeout_;
  RetryState retry_;
  std::chrono::system_clock::time_point started_;
  http::Request request_;  // the attempt in flight; its body is the call's only copy
  int number_ = 1;
  bool refresh_ = false;
  bool refreshed_ = false;
  bool skew_retried_ = false;
  std::chrono::milliseconds signed_with_offset_{0};
  bool finished_ = false;
};

}  // namespace bedrock_lite::converse::detail
