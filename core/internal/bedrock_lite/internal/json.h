// The one guarded JSON parse: every JSON text that comes from outside (request files, C API
// strings, `eventstream encode` lines, fixture files, credential documents, service responses)
// goes through parse_json() — size bound, nesting bound, the zero rewrite RapidJSON needs, then
// the parse — and nothing else in library or CLI code calls RapidJSON's Parse (a ctest,
// json_parse_is_guarded, greps for it). Private to the library and the CLI: not installed.
#pragma once

#include <bedrock_lite/core.h>

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock_lite::internal {

// Nesting limit of the JSON texts the library parses. RapidJSON's parser and writer recurse once
// per level, so "[[[[..." a few hundred thousand deep would overflow the stack
// (fixtures/regressions/converse_response/deeply_nested_trace); 128 is serde_json's default
// limit, far above anything the API nests (tool schemas included).
constexpr std::size_t kMaxJsonDepth = 128;

// The offset of the first '[' or '{' opening a level deeper than `max_depth`, or npos. Strings
// are skipped as the parser skips them, so up to the parser's first error the two agree.
std::size_t find_excess_nesting(std::string_view json, std::size_t max_depth = kMaxJsonDepth);

// RapidJSON 1.1's full-precision number parser misreads a zero written with an exponent or many
// fraction digits ("0e-95" became 1.3e36, "0.00000e-300" -5.9e-126: its DiyFp normalises a zero
// significand; fixtures/regressions/fixture_loader/zero_with_negative_exponent). Returns `json`
// with each such number overwritten in place by "0.0" or "-0.0" padded with spaces (same length,
// so error offsets stay right), or nullopt when there is none, which is the common case.
std::optional<std::string> rewrite_misread_zeros(std::string_view json);

// Parse flags of every JSON text: numbers keep full precision.
constexpr unsigned kJsonParseFlags = rapidjson::kParseFullPrecisionFlag;

// Bounds on a JSON text from outside. Immutable value.
struct JsonLimits {
  // 64 MiB: the largest body the client buffers (http::fetch's default cap).
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_depth = kMaxJsonDepth;
};

// Why a text was refused. `message` is one line without the text itself ("invalid JSON at
// offset 12: Missing a colon after a name of object member."); the caller prefixes where the
// text came from and picks the error kind (Usage for the caller's input, Protocol for a peer's,
// Config for files).
struct JsonError {
  std::string message;
  std::size_t offset = 0;  // byte offset of the fault in the text as given
};

// The size and nesting checks alone: the error, or nullopt when the text may be parsed.
std::optional<JsonError> screen_json(std::string_view text, const JsonLimits& limits = {});
// The message for a RapidJSON parse error at `offset`.
JsonError describe_parse_error(rapidjson::ParseErrorCode code, std::size_t offset);

// Parses `text` into `document` (any rapidjson::GenericDocument) after screen_json() and the
// zero rewrite. Strings are copied into the document, so it may outlive `text`.
template <class Document>
Result<void, JsonError> parse_json(Document& document, std::string_view text,
                                   const JsonLimits& limits = {}) {
  if (auto refused = screen_json(text, limits)) return std::move(*refused);
  const std::optional<std::string> rewritten = rewrite_misread_zeros(text);
  if (rewritten) text = *rewritten;
  document.template Parse<kJsonParseFlags>(text.data(), text.size());
  if (document.HasParseError())
    return describe_parse_error(document.GetParseError(), document.GetErrorOffset());
  return {};
}

}  // namespace bedrock_lite::internal
