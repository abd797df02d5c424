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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"
#include "eventstream_encode.h"

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
// Every write is checked: a line is printed whole or not at all.
Result<std::string, internal::JsonWriteError> message_json(const es::MessageView& m) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> base(buffer);
  internal::CheckedJsonWriter<rapidjson::Writer<rapidjson::StringBuffer>> w(base);
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
    w.String(printable_utf8(h.name));
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
        w.String(base64_encode(h.value.bytes));
        break;
      }
      case es::HeaderType::String: {
        w.String(printable_utf8(h.value.bytes));
        break;
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("payload");
  w.String(base64_encode(m.payload()));
  w.Key("message_crc");
  w.Uint(m.message_crc());
  w.EndObject();
  if (!w.finish()) return *w.error();
  return std::string(buffer.GetString(), buffer.GetSize());
}

int run_decode(const std::vector<std::string>& args) {
  std::optional<std::string> file;
  CommandLine line;
  line.name = "eventstream decode";
  line.operands = "[FILE|-]";
  line.summary =
      "Print one JSON object per message of the binary stream in FILE (else stdin), as the "
      "official decoded vectors are shaped (docs/cli.md).";
  line.operand = [&file](const std::string& operand) -> std::string {
    if (file) return "eventstream decode takes at most one FILE (or -)";
    file = operand;
    return {};
  };
  if (auto done = parse_command_line(line, args)) return *done;
  const bool from_stdin = !file || *file == "-";
  std::FILE* in = from_stdin ? stdin : std::fopen(file->c_str(), "rb");
  if (in == nullptr) {
    return usage_error("eventstream decode: cannot open " + *file + ": " + std::strerror(errno));
  }
  const std::string source = from_stdin ? "stdin" : *file;
  std::optional<internal::JsonWriteError> unwritable;
  std::uint64_t messages = 0;
  es::Decoder decoder([&](const es::MessageView& m) {
    auto line = message_json(m);
    if (!line) {
      unwritable = line.error();
      return es::Flow::Stop;
    }
    ++messages;
    std::fwrite(line->data(), 1, line->size(), stdout);
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
  if (unwritable) {
    return report_error("Protocol", source + ": message " + std::to_string(messages) +
                                        " cannot be written as JSON: " + unwritable->message());
  }
  if (read_error) {
    return report_error("Usage", "eventstream decode: cannot read " + source, kExitUsage);
  }
  if (decoder.finish() != es::Status::Ok) {
    return report_error("Protocol", source + ": " + decoder.error()->message);
  }
  std::fflush(stdout);
  return kExitOk;
}

int run_encode(const std::vector<std::string>& args) {
  CommandLine command;
  command.name = "eventstream encode";
  command.summary =
      "Read lines shaped as `eventstream decode` prints them on stdin; write the binary stream on "
      "stdout (the CRC and length fields may be omitted; docs/cli.md).";
  if (auto done = parse_command_line(command, args)) return *done;
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
    if (auto encoded = encode_line(line, out); !encoded) {
      return usage_error(where + ": " + encoded.error());
    }
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
    CommandLine line;
    line.name = "eventstream";
    line.operands = "decode [FILE|-] | encode";
    line.summary =
        "Decode a binary application/vnd.amazon.eventstream into JSON lines, or encode such "
        "lines (docs/cli.md); `eventstream decode --help` and `eventstream encode --help` say "
        "more.";
    print_command_help(line);
    return kExitOk;
  }
  return usage_error("eventstream needs a subcommand: decode [FILE|-] or encode");
}

}  // namespace bedrock_lite::cli
