// Private helpers shared by the fixture loader, the replay transport and the recording
// transport: file I/O without iostreams, URL targets, JSON comparison with elided strings.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/replay.h>

#include <bedrock_lite/internal/json.h>

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock_lite::replay::detail {

// Reads a whole file; on failure the Error (kind Config) names the file and the OS reason.
Result<std::string> read_whole_file(const std::string& path);
// Writes a whole file, replacing it; on failure the Error (kind Config) names the file.
Result<void> write_whole_file(const std::string& path, std::string_view contents);

// The origin-form target of a URL ("/path?query"), scheme and host removed, fragment dropped.
std::string_view target_of(std::string_view url);
// Percent-decodes every valid %XX escape; anything else is kept as is.
std::string percent_decode(std::string_view text);

// Every JSON text parsed here (fixture files, request bodies) goes through
// internal::parse_json() first, whose nesting bound also bounds json_difference()'s recursion.

// The first difference between a recorded JSON value and an actual one, or nothing when they
// match: key order and number spelling do not matter, and a recorded elision
// "<elided: N chars, sha256 H>" matches a string of N characters with that SHA-256.
struct JsonDifference {
  std::string pointer;  // JSON pointer (RFC 6901) of the first difference; "" for the root
  std::string what;     // short description without values ("string differs", "member missing")
};
std::optional<JsonDifference> json_difference(const rapidjson::Value& recorded,
                                              const rapidjson::Value& actual);

// How many members, elements and values differ between the two (0 when they match).
std::size_t json_distance(const rapidjson::Value& recorded, const rapidjson::Value& actual);

// `uri` with the values of the query parameters that carry credentials in presigned URLs
// (X-Amz-Security-Token, X-Amz-Signature, X-Amz-Credential) replaced by the mask.
std::string scrub_uri(std::string_view uri);

// Hands a recorded answer to `sink`: head, then the body in chunks of `chunk_bytes` (0: one
// chunk). A sink returning false ends it with kind Cancelled naming the folder.
Result<http::ResponseHead> deliver(const Interaction& interaction, std::size_t chunk_bytes,
                                   http::BodySink& sink);

// The name prefix of an interaction folder the recording transport is still writing; the
// loader skips such folders.
constexpr const char* kPartialPrefix = ".partial-";

// True when `recorded` is an elision that stands for `actual`.
bool elision_matches(std::string_view recorded, std::string_view actual);

}  // namespace bedrock_lite::replay::detail
