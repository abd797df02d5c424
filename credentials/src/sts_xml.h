// The STS answer reader (awsQuery XML, read with expat): the credentials of AssumeRole and
// AssumeRoleWithWebIdentity, and the ErrorResponse of a failed call. Private to the credentials
// module; the sts_xml fuzz target reaches it directly.
#pragma once

#include <bedrock_lite/credentials.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace bedrock_lite::credentials::detail {

// Bounds of the reader. An STS answer is a few KiB; a session token is at most a few KiB too.
struct StsXmlLimits {
  std::size_t max_document_bytes = std::size_t{64} << 10;
  std::size_t max_value_bytes = std::size_t{16} << 10;  // one member's text
  std::size_t max_depth = 16;
};

// `<{action}Response><{action}Result><Credentials>` with AccessKeyId, SecretAccessKey,
// SessionToken and Expiration (all required), and `<AssumedRoleUser><Arn>` (optional; its account
// id becomes Credentials::account_id). `where` names the call in messages ("STS AssumeRole at
// https://..."). A document that is not well-formed, has a DOCTYPE or an entity declaration
// (refused outright: entity expansion bombs), is nested too deeply, has an oversized member, or
// lacks a required member is a Protocol error. Never quotes a secret member.
Result<Credentials> parse_sts_credentials(std::string_view document, std::string_view action,
                                          const std::string& where,
                                          const StsXmlLimits& limits = {});

// The members of `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
struct StsError {
  std::string type;  // "Sender" or "Receiver"
  std::string code;
  std::string message;
  std::string request_id;
};

// Reads an STS error document. A malformed one (or one without a Code) is a Protocol error.
Result<StsError> parse_sts_error(std::string_view document, const StsXmlLimits& limits = {});

// Whether STS error `code` is worth another attempt: IDPCommunicationError and the throttling
// codes (botocore's standard retry mode list), never ExpiredTokenException, AccessDenied,
// InvalidIdentityToken, RegionDisabledException or any other.
bool sts_code_is_retryable(std::string_view code);

// The Error for a non-200 STS answer: kind Service with aws_type = Code, the status, the request
// id (from the document, else x-amzn-RequestId), and `retryable` for the codes above and for
// 5xx; a body that is not an STS error document gives a Service error naming the status only.
Error sts_error_from_answer(int status, std::string_view body, std::string_view header_request_id,
                            const std::string& where);

}  // namespace bedrock_lite::credentials::detail
