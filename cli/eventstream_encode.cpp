#include "eventstream_encode.h"

#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <rapidjson/document.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace bedrock_lite::cli {
namespace {

namespace es = bedrock_lite::eventstream;

using internal::base64_decode;

// Reads one header of an encode line; `where` names it in errors.
bool read_header(const rapidjson::Value& v, const std::string& where,
                 std::vector<std::string>& store, es::Header& out, std::string& problem) {
  if (!v.IsObject() || !v.HasMember("name") || !v["name"].IsString() || !v.HasMember("type") ||
      !v["type"].IsUint() || v["type"].GetUint() > 9) {
    problem = where + " needs \"name\" (string) and \"type\" (0-9)";
    return false;
  }
  out.name = std::string_view(v["name"].GetString(), v["name"].GetStringLength());
  const auto type = static_cast<es::HeaderType>(v["type"].GetUint());
  const rapidjson::Value* value = v.HasMember("value") ? &v["value"] : nullptr;
  switch (type) {
    case es::HeaderType::BoolTrue:
    case es::HeaderType::BoolFalse: {
      const bool expected = type == es::HeaderType::BoolTrue;
      if (value != nullptr && !(value->IsBool() && value->GetBool() == expected)) {
        problem = where + ".value must be " + (expected ? "true" : "false") + " for type " +
                  std::to_string(static_cast<unsigned>(type));
        return false;
      }
      out.value = es::HeaderValue::boolean(expected);
      return true;
    }
    case es::HeaderType::Byte:
    case es::HeaderType::Int16:
    case es::HeaderType::Int32:
    case es::HeaderType::Int64:
    case es::HeaderType::Timestamp:
      if (value == nullptr || !value->IsInt64()) {
        problem = where + ".value must be an integer";
        return false;
      }
      out.value = es::HeaderValue{type, value->GetInt64(), {}};
      return true;
    case es::HeaderType::String:
      if (value == nullptr || !value->IsString()) {
        problem = where + ".value must be a string";
        return false;
      }
      out.value =
          es::HeaderValue::string(std::string_view(value->GetString(), value->GetStringLength()));
      return true;
    case es::HeaderType::ByteArray:
    case es::HeaderType::Uuid: {
      std::string bytes;
      if (value == nullptr || !value->IsString() ||
          !base64_decode(std::string_view(value->GetString(), value->GetStringLength()), bytes)) {
        problem = where + ".value must be base64";
        return false;
      }
      store.push_back(std::move(bytes));
      out.value = es::HeaderValue{type, 0, {}};
      out.value.bytes = store.back();
      return true;
    }
  }
  return false;
}

// The given total_length, headers_length and CRCs must be what the message computes to.
bool check_given(const rapidjson::Document& d, const std::string& message, std::string& problem) {
  auto be32 = [&](std::size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(message.data() + at);
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
  };
  const std::pair<const char*, std::uint32_t> fields[] = {
      {"total_length", be32(0)},
      {"headers_length", be32(4)},
      {"prelude_crc", be32(8)},
      {"message_crc", be32(message.size() - 4)},
  };
  for (const auto& [name, computed] : fields) {
    if (!d.HasMember(name)) continue;
    const auto& v = d[name];
    // The official vectors print CRCs as signed int32: accept either spelling.
    const bool same = (v.IsUint() && v.GetUint() == computed) ||
                      (v.IsInt() && static_cast<std::uint32_t>(v.GetInt()) == computed);
    if (!same) {
      const std::string given = v.IsInt64() ? std::to_string(v.GetInt64()) : "not an integer";
      problem = std::string(name) + " is " + given + " but the message computes to " +
                std::to_string(computed) + " (omit it to have it computed)";
      return false;
    }
  }
  return true;
}

}  // namespace

Result<void, std::string> encode_line(std::string_view line, std::string& out) {
  // The guarded parse bounds size and nesting first: a line nested 2,000,000 deep is a usage
  // error, not a stack overflow (fixtures/regressions/eventstream_encode).
  rapidjson::Document d;
  if (auto parsed = internal::parse_json(d, line); !parsed) return parsed.error().message;
  if (!d.IsObject()) return std::string("not a JSON object");
  std::vector<es::Header> headers;
  std::vector<std::string> store;  // header values' bytes; reserved, so views into it stay valid
  store.reserve(d.HasMember("headers") && d["headers"].IsArray() ? d["headers"].Size() : 0);
  if (d.HasMember("headers")) {
    if (!d["headers"].IsArray()) return std::string("\"headers\" must be an array");
    rapidjson::SizeType i = 0;
    for (const auto& h : d["headers"].GetArray()) {
      es::Header header;
      std::string problem;
      if (!read_header(h, "headers[" + std::to_string(i++) + "]", store, header, problem))
        return problem;
      headers.push_back(header);
    }
  }
  std::string payload;
  if (d.HasMember("payload")) {
    const auto& p = d["payload"];
    if (!p.IsString() ||
        !base64_decode(std::string_view(p.GetString(), p.GetStringLength()), payload))
      return std::string("\"payload\" must be base64");
  }
  std::string message;
  if (auto encoded = es::encode_message(headers, payload, message); !encoded) {
    return encoded.error().message;
  }
  std::string problem;
  if (!check_given(d, message, problem)) return problem;
  out += message;
  return {};
}

}  // namespace bedrock_lite::cli
