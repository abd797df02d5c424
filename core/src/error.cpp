#include <bedrock_lite/core.h>

namespace bedrock_lite {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Service:
      return "Service";
    case ErrorKind::NoCredentials:
      return "NoCredentials";
    case ErrorKind::NoRegion:
      return "NoRegion";
    case ErrorKind::Timeout:
      return "Timeout";
    case ErrorKind::Network:
      return "Network";
    case ErrorKind::Protocol:
      return "Protocol";
    case ErrorKind::Usage:
      return "Usage";
    case ErrorKind::Config:
      return "Config";
    case ErrorKind::Cancelled:
      return "Cancelled";
  }
  return "Unknown";
}

std::string Error::display_name() const {
  return aws_type.empty() ? std::string(bedrock_lite::to_string(kind)) : aws_type;
}

std::string Error::to_string() const {
  return display_name() + ": " + message;
}

Error make_error(ErrorKind kind, std::string message, bool retryable) {
  Error error;
  error.kind = kind;
  error.message = std::move(message);
  error.retryable = retryable;
  return error;
}

}  // namespace bedrock_lite

namespace bedrock_lite {

// BEDROCK_LITE_VERSION comes from project(VERSION) in CMakeLists.txt, the one place it is set.
const char* version() noexcept {
  return BEDROCK_LITE_VERSION;
}

}  // namespace bedrock_lite
