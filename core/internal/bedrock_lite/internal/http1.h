// HTTP/1.1 message syntax (RFC 9110/9112) shared by the fixture server and the recorder
// (private to the http module).
#pragma once

#include <cstddef>
#include <string_view>

namespace bedrock_lite::internal {

// Whether a comma-separated header value (Connection, Transfer-Encoding) lists `token`.
bool lists_token(std::string_view value, std::string_view token);
// RFC 9110 token characters (method and header names).
bool is_token(std::string_view text);
// The standard reason phrase of a status, or "" when it is not one we send or record.
const char* reason_phrase(int status);
// A header value that would break the framing of a message (a CR or LF) is never sent.
bool safe_header_value(std::string_view value);
// Hop-by-hop and framing headers: recomputed for the connection at hand, never replayed.
bool is_framing_header(std::string_view name);
// A chunk-size line ("1a2b", "1a;ext=1"): false when it is not hex or overflows.
bool parse_chunk_size(std::string_view line, std::size_t& size);
// A Content-Length value: decimal digits only, at most 19 of them.
bool parse_content_length(std::string_view text, std::size_t& size);

}  // namespace bedrock_lite::internal
