// `bedrock-lite eventstream decode [FILE|-]` and `bedrock-lite eventstream encode` (docs/cli.md).
// decode prints one JSON object per message in the shape of the official decoded vectors, as the
// messages arrive; encode reads such lines and writes the binary stream.
#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"

namespace bedrock_lite::cli {
namespace {

namespace es = bedrock_lite::eventstream;
using internal::base64_decode;
using internal::base64_encode;

// Replaces every byte that does not start a valid UTF-8 sequence by U+FFFD, so a string header
// that is not UTF-8 (the decoder does not require it of values) still prints as valid JSON.
std::string printable_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned code = 0;
    unsigned min = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, code = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, code = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, code = c & 0x07u, min = 0x10000;
    }
    bool ok = extra > 0 && s.size() - i - 1 >= extra;
    for (std::size_t k = 1; ok && k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      ok = (cont & 0xC0) == 0x80;
      code = (code << 6) | (cont & 0x3Fu);
    }
    ok = ok && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (ok) {
      out.append(s.substr(i, extra + 1));
      i += extra + 1;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// One message as the JSON line docs/cli.md specifies: 64-bit integers exact, strings plain.
std::string message_json(const es::MessageView& m) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("total_length");
  w.Uint(m.total_length());
  w.Key("headers_length");
  w.Uint(m.headers_length());
  w.Key("prelude_crc");
  w.Uint(m.prelude_crc());
  w.Key("headers");
  w.StartArray();
  for (const es::Header& h : m.headers()) {
    w.StartObject();
    w.Key("name");
    const std::string name = printable_utf8(h.name);
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.Key("type");
    w.Uint(static_cast<unsigned>(h.value.type));
    w.Key("value");
    switch (h.value.type) {
      case es::HeaderType::BoolTrue:
      case es::HeaderType::BoolFalse:
        w.Bool(h.value.type == es::HeaderType::BoolTrue);
        break;
      case es::HeaderType::Byte:
      case es::HeaderType::Int16:
      case es::HeaderType::Int32:
      case es::HeaderType::Int64:
      case es::HeaderType::Timestamp:
        w.Int64(h.value.integer);
        break;
      case es::HeaderType::ByteArray:
      case es::HeaderType::Uuid: {
        const std::string b64 = base64_encode(h.value.bytes);
        w.String(b64.data(), static_cast<rapidjson::SizeType>(b64.size()));
        break;
      }
      case es::HeaderType::String: {
        const std::string text = printable_utf8(h.value.bytes);
        w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
        break;
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("payload");
  const std::string payload = base64_encode(m.payload());
  w.String(payload.data(), static_cast<rapidjson::SizeType>(payload.size()));
  w.Key("message_crc");
  w.Uint(m.message_crc());
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

int run_decode(const std::vector<std::string>& args) {
  if (args.size() > 1) return usage_error("eventstream decode takes at most one FILE (or -)");
  const bool from_stdin = args.empty() || args[0] == "-";
  std::FILE* in = from_stdin ? stdin : std::fopen(args[0].c_str(), "rb");
  if (in == nullptr) {
    return usage_error("eventstream decode: cannot open " + args[0] + ": " + std::strerror(errno));
  }
  const std::string source = from_stdin ? "stdin" : args[0];
  es::Decoder decoder([](const es::MessageView& m) {
    const std::string line = message_json(m);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    return es::Flow::Continue;
  });
  std::vector<char> chunk(64 * 1024);
  bool read_error = false;
  for (;;) {
    const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
    if (n > 0 && decoder.feed(std::string_view(chunk.data(), n)) != es::Status::Ok) break;
    if (n < chunk.size()) {
      read_error = std::ferror(in) != 0;
      break;
    }
  }
  if (!from_stdin) std::fclose(in);
  if (read_error) {
    return report_error("Usage", "eventstream decode: cannot read " + source, kExitUsage);
  }
  if (decoder.finish() != es::Status::Ok) {
    return report_error("Protocol", source + ": " + decoder.error()->message);
  }
  std::fflush(stdout);
  return kExitOk;
}

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

int run_encode(const std::vector<std::string>& args) {
  if (!args.empty()) return usage_error("eventstream encode takes no arguments (lines on stdin)");
  std::string line;
  std::size_t line_number = 0;
  std::string out;
  char buffer[64 * 1024];
  bool eof = false;
  while (!eof) {
    line.clear();
    for (;;) {
      if (std::fgets(buffer, sizeof buffer, stdin) == nullptr) {
        eof = true;
        break;
      }
      line += buffer;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (std::ferror(stdin))
      return report_error("Usage", "eventstream encode: cannot read stdin", kExitUsage);
    if (line.empty()) break;
    ++line_number;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = "stdin:" + std::to_string(line_number);
    rapidjson::Document d;
    if (auto parsed = internal::parse_json(d, line); !parsed) {
      return usage_error(where + ": " + parsed.error().message);
    }
    if (!d.IsObject()) return usage_error(where + ": not a JSON object");
    std::vector<es::Header> headers;
    std::vector<std::string> store;
    store.reserve(d.HasMember("headers") && d["headers"].IsArray() ? d["headers"].Size() : 0);
    if (d.HasMember("headers")) {
      if (!d["headers"].IsArray()) return usage_error(where + ": \"headers\" must be an array");
      rapidjson::SizeType i = 0;
      for (const auto& h : d["headers"].GetArray()) {
        es::Header header;
        std::string problem;
        if (!read_header(h, "headers[" + std::to_string(i++) + "]", store, header, problem))
          return usage_error(where + ": " + problem);
        headers.push_back(header);
      }
    }
    std::string payload;
    if (d.HasMember("payload")) {
      const auto& p = d["payload"];
      if (!p.IsString() ||
          !base64_decode(std::string_view(p.GetString(), p.GetStringLength()), payload))
        return usage_error(where + ": \"payload\" must be base64");
    }
    std::string message;
    if (auto encoded = es::encode_message(headers, payload, message); !encoded) {
      return usage_error(where + ": " + encoded.error().message);
    }
    std::string problem;
    if (!check_given(d, message, problem)) return usage_error(where + ": " + problem);
    out += message;
    if (out.size() >= 64 * 1024) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0)
    return report_error("Usage", "eventstream encode: cannot write stdout", kExitUsage);
  return kExitOk;
}

}  // namespace

int run_eventstream(const GlobalOptions& /*global*/, const std::vector<std::string>& args) {
  const std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "decode") return run_decode(rest);
  if (!args.empty() && args[0] == "encode") return run_encode(rest);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::printf(
        "usage: bedrock-lite eventstream decode [FILE|-]\n"
        "         one JSON object per message on stdout (docs/cli.md shape)\n"
        "       bedrock-lite eventstream encode\n"
        "         reads such lines on stdin, writes the binary stream on stdout\n");
    return kExitOk;
  }
  return usage_error("eventstream needs a subcommand: decode [FILE|-] or encode");
}

}  // namespace bedrock_lite::cli
