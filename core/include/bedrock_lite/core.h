// What every module shares: errors as values (Error, Result), the Secret type, time and chance as
// parameters (Clock, Jitter, Sleeper), the log hook, and the library's version. Dependency-free.
//
// Errors: every fallible public function returns Result<T>, a value or an Error. Library code
// never throws, so it builds with -fno-exceptions. The leaf modules (sigv4, eventstream) use the
// same Result template with their own narrow error structs; converse maps those into Error.
#pragma once

#include <bedrock_lite/export.h>

#include <cassert>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bedrock_lite {

// ---------------------------------------------------------------------------------------------
// Version

// The library's version, "MAJOR.MINOR.PATCH", as set once in CMakeLists.txt.
BEDROCK_LITE_API const char* version() noexcept;

// ---------------------------------------------------------------------------------------------
// Errors

// What went wrong, as a caller branches on it. The enumerators print as they are spelled
// (they are what the CLI writes after "error:" when the service named no type).
enum class ErrorKind {
  Service,        // the service answered with an error (HTTP error or stream exception)
  NoCredentials,  // the credentials chain found nothing usable
  NoRegion,       // no region configured anywhere
  Timeout,        // connect, stall (read) or total deadline passed
  Network,        // connection refused/reset, DNS, TLS
  Protocol,       // malformed response: bad event-stream framing, bad JSON, missing member
  Usage,          // the caller's input is invalid
  Config,         // configuration files or environment are invalid
  Cancelled,      // the caller's callback asked to stop
};

BEDROCK_LITE_API const char* to_string(ErrorKind kind) noexcept;

// Immutable once built. `message` is one line naming what was wrong and where; it never holds a
// secret or a body.
struct BEDROCK_LITE_API Error {
  ErrorKind kind = ErrorKind::Protocol;
  std::string aws_type;    // the AWS error type exactly as the service spelled it, or empty
  std::string message;     // one line
  int http_status = 0;     // 0 when no HTTP response was involved
  std::string request_id;  // x-amzn-RequestId, when the service sent one
  bool retryable = false;

  // The AWS type when present, else the kind: what the CLI prints after "error: ".
  std::string display_name() const;
  // "<display_name>: <message>"
  std::string to_string() const;
};

// Builds an Error of a local kind (no AWS type, no status).
BEDROCK_LITE_API Error make_error(ErrorKind kind, std::string message, bool retryable = false);

// A value or an error of type E. [[nodiscard]]: ignoring a Result drops an error. Reading the
// value of a failed result (or the error of a successful one) is a programming error and asserts.
template <class T, class E = Error>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, std::decay_t<E>>, "Result<E, E> is ambiguous");

 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& {
    assert(!ok());
    return error_;
  }
  E&& error() && {
    assert(!ok());
    return std::move(error_);
  }

 private:
  std::optional<T> value_;
  E error_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : failed_(true), error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& {
    assert(failed_);
    return error_;
  }
  E&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  bool failed_ = false;
  E error_;
};

// ---------------------------------------------------------------------------------------------
// Secrets

// A secret value (secret access key, session token, bearer token). It has no conversion to
// text: its only printable form is a fixed mask, and the raw value is reached through one named
// accessor, reveal(), used where the secret must go on the wire (the signer, a bearer header).
// Immutable value type.
class Secret {
 public:
  static constexpr const char* kMask = "<redacted>";

  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The raw value, for the wire only. Never log, print or put it in an error message.
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  const char* masked() const noexcept { return kMask; }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend bool operator!=(const Secret& a, const Secret& b) { return !(a == b); }

 private:
  std::string value_;
};

// ---------------------------------------------------------------------------------------------
// Time and chance as parameters: caches, token refresh, retry backoff and signing take a clock
// and a jitter source, so tests drive them. Production passes the defaults below.

// Wall-clock "now" (UTC), used for signing dates and credential expiry.
using Clock = std::function<std::chrono::system_clock::time_point()>;

// Returns a uniformly distributed value in [0, 1), for full-jitter backoff.
using Jitter = std::function<double()>;

// Sleeps for the given duration (retry backoff); tests pass one that records instead.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

inline Clock system_clock() {
  return [] { return std::chrono::system_clock::now(); };
}

// ---------------------------------------------------------------------------------------------
// Logging

// The log hook: how the library reports what a caller may want to see (a provider skipped, a
// refresh that failed while old credentials stay valid, a retry). Nothing is printed unless the
// caller installs a hook. Messages never contain secrets.
enum class LogLevel { Debug, Info, Warn, Error };

// Called on whatever thread did the work; must be thread-safe if the client is shared. The view
// is valid only during the call.
using LogHook = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace bedrock_lite
