// Fuzz target: arbitrary bytes as a raw HTTP/1.1 request (the form `bedrock-lite sign` reads).
// Whatever parses is signed with header and query signing under both path modes and rendered
// back. Nothing may crash; a parse or signing failure must come with a message (and, for the
// parser, the line number it names). Seeds: the SigV4 vectors; findings go to
// fixtures/regressions/raw_request/.
#include <bedrock_lite/sigv4.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sigv4 = bedrock_lite::sigv4;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sigv4::parse_request(text);
  if (!parsed.ok()) {
    require(!parsed.error().message.empty());
    require(parsed.error().line >= 1);
    require(parsed.error().message.rfind("line " + std::to_string(parsed.error().line) + ": ", 0) ==
            0);
    return 0;
  }
  const sigv4::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       "session/token+value=="};
  const sigv4::Scope scope{"us-east-1", "service",
                           std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))};

  sigv4::Settings header;
  header.content_sha256 = sigv4::ContentSha256Header::Add;
  sigv4::Settings query;
  query.location = sigv4::SignatureLocation::Query;
  query.uri_encoding = sigv4::UriEncoding::Single;
  query.path_normalization = sigv4::PathNormalization::AsIs;
  query.payload = sigv4::PayloadMode::Unsigned;
  query.session_token = sigv4::SessionTokenMode::AddedAfterSigning;

  for (const auto& settings : {header, query}) {
    auto signed_result = sigv4::sign(parsed->signable(), credentials, scope, settings);
    if (!signed_result.ok()) {
      require(!signed_result.error().message.empty());
      continue;
    }
    require(signed_result->signature.size() == 64);
    const std::string rendered = sigv4::render_signed_request(*parsed, *signed_result);
    // What we render parses again, and signs to the same canonical request when nothing was
    // added that the request did not already have (header signing adds headers we then carry).
    auto reparsed = sigv4::parse_request(rendered);
    require(reparsed.ok());
  }
  return 0;
}
