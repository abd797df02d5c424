// Semantic JSON comparison: key order and whitespace do not matter; numbers compare by value.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace bedrock_lite::test {

// Empty when `a` and `b` are the same JSON value; else the JSON pointer of the first difference
// and what differs there (or which text does not parse).
std::string json_difference(std::string_view a, std::string_view b);

// Parses with full precision, so numbers keep the exact value their text means. The caller
// checks HasParseError().
rapidjson::Document parse_json(std::string_view text);

// The compact JSON text of a value.
std::string render_json(const rapidjson::Value& value);

}  // namespace bedrock_lite::test
