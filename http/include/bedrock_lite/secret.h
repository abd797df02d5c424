// A secret value (secret access key, session token, bearer token). It has no conversion to
// text: its only printable form is a fixed mask, and the raw value is reached through one named
// accessor, reveal(), used where the secret must go on the wire (the signer, a bearer header).
#pragma once

#include <bedrock_lite/export.h>

#include <string>
#include <utility>

namespace bedrock_lite {

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

}  // namespace bedrock_lite
