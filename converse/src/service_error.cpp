// Errors the service reports: HTTP error replies (docs/wire-protocol.md §2.2) and event-stream
// exception and error messages (§2.3), with retryability from §6.4.
#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>

#include "json_descriptions.h"

#include <bedrock_lite/internal/retry_codes.h>
#include <bedrock_lite/internal/text.h>

#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace bedrock_lite::converse {
namespace {

// Long enough for the service's own messages (validation messages quote the offending field),
// short enough that a misbehaving proxy's HTML page never floods a log line.
constexpr std::size_t kMaxMessageBytes = 1000;
constexpr std::size_t kMaxSnippetBytes = 200;

using internal::ascii_lower;
using internal::one_line;

std::string_view trim(std::string_view s) {
  return internal::trim(s, internal::kBlanksAndLineEnds);
}

// "ValidationException:http://internal.amazon.com/coral/..." → "ValidationException";
// "com.amazon.coral.service#ThrottlingException" → "ThrottlingException" (botocore
// RestJSONParser._inject_error_code).
std::string sanitize_code(std::string_view code) {
  code = trim(code);
  if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  if (auto hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  // The type is what the CLI prints after "error:": a body's "code" member holding line breaks
  // or a megabyte of text must not make that line several, or unbounded
  // (fixtures/regressions/http_error/control_characters_in_code_and_message).
  return one_line(code, kMaxSnippetBytes);
}

const rapidjson::Value* string_member(const rapidjson::Value& object, const char* name) {
  auto m = object.FindMember(name);
  if (m == object.MemberEnd() || !m->value.IsString()) return nullptr;
  return &m->value;
}

std::string_view view(const rapidjson::Value& s) {
  return std::string_view(s.GetString(), s.GetStringLength());
}

bool is_one_of(std::string_view type, const std::string_view* names, std::size_t count) {
  // The service spells HTTP error codes in PascalCase and stream exceptions in camelCase
  // (throttlingException); compare with the first letter folded.
  if (type.empty()) return false;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view name = names[i];
    if (name.size() == type.size() && ascii_lower(name[0]) == ascii_lower(type[0]) &&
        name.substr(1) == type.substr(1))
      return true;
  }
  return false;
}

// docs/wire-protocol.md §6.4: besides botocore's throttling codes (internal::kThrottlingCodes),
// the transient codes, the modeled-retryable ModelNotReadyException, and Bedrock's 500/503
// exceptions.
constexpr std::array<std::string_view, 7> kRetryableTypes = {
    "RequestTimeout",          "RequestTimeoutException",     "ModelNotReadyException",
    "InternalServerException", "ServiceUnavailableException", "InternalFailure",
    "ServiceUnavailable",
};

// docs/wire-protocol.md §6.4: never retried, whatever the status says (ExpiredToken triggers a
// credentials refresh in the client instead; ModelTimeout/ModelError retries would re-run a
// generation).
constexpr std::array<std::string_view, 7> kNeverRetryableTypes = {
    "ValidationException",       "AccessDeniedException", "ModelTimeoutException",
    "ModelErrorException",       "ExpiredTokenException", "ExpiredToken",
    "ModelStreamErrorException",
};

}  // namespace

bool is_retryable_error_type(std::string_view aws_type) {
  return is_one_of(aws_type, internal::kThrottlingCodes.data(),
                   internal::kThrottlingCodes.size()) ||
         is_one_of(aws_type, kRetryableTypes.data(), kRetryableTypes.size());
}

Error http_error(int status, const http::Headers& headers, std::string_view body) {
  Error error;
  error.kind = ErrorKind::Service;
  error.http_status = status;
  if (const std::string* id = http::find_header(headers, "x-amzn-RequestId")) {
    error.request_id = *id;
  } else if (const std::string* amz_id = http::find_header(headers, "x-amz-request-id")) {
    error.request_id = *amz_id;
  }

  std::string code;
  if (const std::string* type = http::find_header(headers, "x-amzn-ErrorType")) code = *type;

  rapidjson::Document doc;
  // Not JSON (or nested too deep for the recursive parser): shown as a non-JSON body.
  const bool json_object = internal::parse_json(doc, body).ok() && doc.IsObject();
  if (json_object) {
    if (code.empty()) {
      for (const char* name : {"code", "Code", "__type"}) {
        if (const rapidjson::Value* v = string_member(doc, name)) {
          code.assign(view(*v));
          break;
        }
      }
    }
    for (const char* name : {"message", "Message"}) {
      if (const rapidjson::Value* v = string_member(doc, name)) {
        error.message = one_line(view(*v), kMaxMessageBytes);
        break;
      }
    }
  } else if (!trim(body).empty()) {
    // Proxies and load balancers answer with HTML or plain text: a short snippet tells the
    // user which one without pasting the page into the log.
    error.message = "HTTP " + std::to_string(status) +
                    " with a non-JSON body: " + one_line(body, kMaxSnippetBytes);
  }

  error.aws_type = sanitize_code(code);
  if (error.aws_type.empty()) error.aws_type = std::to_string(status);
  if (error.message.empty())
    error.message = "HTTP " + std::to_string(status) + " without a message";

  const bool retryable_status =
      status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
  error.retryable =
      !is_one_of(error.aws_type, kNeverRetryableTypes.data(), kNeverRetryableTypes.size()) &&
      (retryable_status || is_retryable_error_type(error.aws_type));
  return error;
}

Error stream_exception_error(std::string_view exception_type, std::string_view payload) {
  if (trim(exception_type).empty()) {
    return make_error(ErrorKind::Protocol,
                      "event stream exception message without an :exception-type header");
  }
  Error error;
  error.kind = ErrorKind::Service;
  error.aws_type = std::string(exception_type);
  rapidjson::Document doc;
  if (internal::parse_json(doc, payload).ok() && doc.IsObject()) {
    for (const char* name : {"message", "Message"}) {
      if (const rapidjson::Value* v = string_member(doc, name)) {
        error.message = one_line(view(*v), kMaxMessageBytes);
        break;
      }
    }
    // modelStreamErrorException carries the model's own status and message (docs/wire-protocol.md
    // §2.1).
    auto status = doc.FindMember("originalStatusCode");
    const rapidjson::Value* original = string_member(doc, "originalMessage");
    if ((status != doc.MemberEnd() && status->value.IsInt64()) || original != nullptr) {
      std::string detail = "original";
      if (status != doc.MemberEnd() && status->value.IsInt64())
        detail += " status " + std::to_string(status->value.GetInt64());
      if (original != nullptr) detail += ": " + one_line(view(*original), kMaxMessageBytes);
      error.message += error.message.empty() ? detail : " (" + detail + ")";
    }
  } else if (!trim(payload).empty()) {
    error.message = "exception payload is not JSON: " + one_line(payload, kMaxSnippetBytes);
  }
  if (error.message.empty()) error.message = "stream exception without a message";
  error.retryable =
      !is_one_of(error.aws_type, kNeverRetryableTypes.data(), kNeverRetryableTypes.size()) &&
      is_retryable_error_type(error.aws_type);
  return error;
}

Error stream_error_message(std::string_view error_code, std::string_view error_message) {
  if (trim(error_code).empty()) {
    return make_error(ErrorKind::Protocol,
                      "event stream error message without an :error-code header");
  }
  Error error;
  error.kind = ErrorKind::Service;
  error.aws_type = std::string(error_code);
  error.message = one_line(error_message, kMaxMessageBytes);
  if (error.message.empty()) error.message = "stream error without a message";
  error.retryable =
      !is_one_of(error.aws_type, kNeverRetryableTypes.data(), kNeverRetryableTypes.size()) &&
      is_retryable_error_type(error.aws_type);
  return error;
}

}  // namespace bedrock_lite::converse
