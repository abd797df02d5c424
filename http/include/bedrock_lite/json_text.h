// Screening of JSON text from a peer before it reaches the parser. Shared by every module that
// parses JSON (http, credentials, converse); exported for them, not meant for applications.
#pragma once

#include <bedrock_lite/export.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock_lite::detail {

// Nesting limit of the JSON texts the library parses. RapidJSON's parser and writer recurse once
// per level, so "[[[[..." a few hundred thousand deep would overflow the stack
// (fixtures/regressions/converse_response/deeply_nested_trace); 128 is serde_json's default
// limit, far above anything the API nests (tool schemas included).
constexpr std::size_t kMaxJsonDepth = 128;

// The offset of the first '[' or '{' opening a level deeper than `max_depth`, or npos. Strings
// are skipped as the parser skips them, so up to the parser's first error the two agree.
BEDROCK_LITE_API std::size_t find_excess_nesting(std::string_view json,
                                                 std::size_t max_depth = kMaxJsonDepth);

// RapidJSON 1.1's full-precision number parser misreads a zero written with an exponent or many
// fraction digits ("0e-95" became 1.3e36, "0.00000e-300" -5.9e-126: its DiyFp normalises a zero
// significand; fixtures/regressions/fixture_loader/zero_with_negative_exponent). Returns `json`
// with each such number overwritten in place by "0.0" or "-0.0" padded with spaces (same length,
// so error offsets stay right), or nullopt when there is none, which is the common case.
BEDROCK_LITE_API std::optional<std::string> rewrite_misread_zeros(std::string_view json);

}  // namespace bedrock_lite::detail
