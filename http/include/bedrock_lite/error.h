// Errors as values: every fallible public function returns Result<T>, a value or an Error.
// Library code never throws, so it builds with -fno-exceptions.
#pragma once

#include <bedrock_lite/export.h>

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace bedrock_lite {

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

// A value or an Error. [[nodiscard]]: ignoring a Result drops an error. Reading the value of a
// failed result (or the error of a successful one) is a programming error and asserts.
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

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

  const Error& error() const& {
    assert(!ok());
    return error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(error_);
  }

 private:
  std::optional<T> value_;
  Error error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : failed_(true), error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& {
    assert(failed_);
    return error_;
  }
  Error&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  bool failed_ = false;
  Error error_;
};

}  // namespace bedrock_lite
