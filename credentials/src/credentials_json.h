// Reading credentials out of the JSON documents that credential_process, the container endpoint
// and IMDS return. RapidJSON stays in here (public headers never show it).
#pragma once

#include <bedrock_lite/credentials.h>

#include <string>
#include <string_view>

namespace bedrock_lite::credentials::detail {

// Which members a document has, by source.
struct CredentialsDocument {
  const char* session_token_member = "Token";  // credential_process says "SessionToken"
  bool session_token_required = true;
  bool expiration_required = true;
  bool require_version_1 = false;  // credential_process: "Version": 1
  bool check_code = false;         // IMDS: "Code" must be "Success" when present
};

// Parses `body` into Credentials with the given source. Errors are Protocol errors that start
// with `where` (an endpoint or "credential_process for profile x") and name the member; they
// never quote the body (it holds the secret).
Result<Credentials> parse_credentials_document(std::string_view body, const std::string& where,
                                               const CredentialsDocument& shape,
                                               std::string source);

}  // namespace bedrock_lite::credentials::detail
