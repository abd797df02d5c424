// JSON files the SSO and `aws login` providers share with the AWS CLI (~/.aws/sso/cache,
// ~/.aws/login/cache), and the JSON answers of the services behind them. RapidJSON stays in
// private headers like this one.
#pragma once

#include <bedrock_lite/core.h>

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace bedrock_lite::credentials::detail {

// A cache or service document is a small flat object; 64 KiB is far above any real one.
constexpr std::size_t kMaxTokenDocumentBytes = std::size_t{64} << 10;

// Parses `text` as a JSON object through the one guarded parse (<bedrock_lite/internal/json.h>,
// bounded to kMaxTokenDocumentBytes and 16 levels). Errors are `kind` errors starting with `where`,
// naming the parse error and offset, never quoting the text (it holds tokens).
Result<rapidjson::Document> parse_json_object(std::string_view text, const std::string& where,
                                              ErrorKind kind);

// The compact text of `document` through the checked writer (<bedrock_lite/internal/json.h>); a
// value it cannot write (a non-finite number) is a `kind` error starting with `where`.
Result<std::string> render_json_object(const rapidjson::Document& document,
                                       const std::string& where, ErrorKind kind);

// The cache file at `path` as a JSON object, or nullopt when it does not exist. Unreadable,
// too large or malformed: a Config error naming the path.
Result<std::optional<rapidjson::Document>> read_json_cache(const std::string& path);

// Replaces `path` with `document`, atomically: a temporary file in the same folder, written,
// flushed and given the old file's mode (0600 when there was none), then renamed over `path`, so
// a reader (the AWS CLI, another process) sees the old file or the new one, never a torn one.
// Errors are Config errors naming the path and the failed step; the temporary file is removed.
Result<void> write_json_cache(const std::string& path, const rapidjson::Document& document);

// A string member of `object`, or nullopt when absent, null or not a string.
std::optional<std::string> string_member(const rapidjson::Value& object, const char* name);

// Sets `object[name]` to a copy of `value` (added when absent, replaced when present).
void set_string_member(rapidjson::Document& document, rapidjson::Value& object, const char* name,
                       std::string_view value);

}  // namespace bedrock_lite::credentials::detail
