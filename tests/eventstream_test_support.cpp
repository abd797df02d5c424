#include "eventstream_test_support.h"

#include "support/fixtures.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>

namespace bedrock_lite::eventstream_test {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::uint32_t crc(const char* data, std::size_t size, std::uint32_t seed = 0) {
  return static_cast<std::uint32_t>(
      ::crc32(seed, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(size)));
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
    INFO("base64 text: " << text);
    REQUIRE(at != nullptr);
    REQUIRE(padding == 0);
    buffer = (buffer << 6) | static_cast<unsigned>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  REQUIRE(padding <= 2);
  return out;
}

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::string be16(std::uint16_t value) {
  return {static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)};
}

std::string be32(std::uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>((value >> 16) & 0xFF),
          static_cast<char>((value >> 8) & 0xFF), static_cast<char>(value & 0xFF)};
}

std::string fix_crcs(std::string message) {
  REQUIRE(message.size() >= 16);
  message.replace(8, 4, be32(crc(message.data(), 8)));
  message.replace(message.size() - 4, 4, be32(crc(message.data(), message.size() - 4)));
  return message;
}

Decoded decode_all(std::string_view bytes, const std::vector<std::size_t>& sizes,
                   const std::function<void(const es::MessageView&)>& each, es::Limits limits) {
  Decoded out;
  es::Decoder decoder(
      [&](const es::MessageView& m) {
        out.messages.push_back({std::string(m.bytes()), m.offset(), m.index()});
        if (each) each(m);
        return es::Flow::Continue;
      },
      limits);
  std::size_t at = 0;
  for (std::size_t size : sizes) {
    if (at + size > bytes.size()) FAIL("chunk sizes exceed the stream");
    decoder.feed(bytes.substr(at, size));
    at += size;
  }
  REQUIRE(at == bytes.size());
  out.finish = decoder.finish();
  out.error = decoder.error();
  if (decoder.messages() != out.messages.size()) FAIL_CHECK("Decoder::messages() disagrees");
  return out;
}

bool same_outcome(const Decoded& a, const Decoded& b) {
  if (a.finish != b.finish || a.messages.size() != b.messages.size()) return false;
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    const auto& x = a.messages[i];
    const auto& y = b.messages[i];
    if (x.bytes != y.bytes || x.offset != y.offset || x.index != y.index) return false;
  }
  if (a.error.has_value() != b.error.has_value()) return false;
  if (a.error) {
    if (a.error->check != b.error->check || a.error->offset != b.error->offset ||
        a.error->message_index != b.error->message_index || a.error->message != b.error->message)
      return false;
  }
  return true;
}

std::uint32_t test_seed() {
  if (const char* text = std::getenv("BEDROCK_LITE_TEST_SEED")) {
    return static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10));
  }
  return 20261123u;
}

std::vector<std::size_t> random_chunks(std::size_t total, std::size_t max_chunk,
                                       std::mt19937& rng) {
  std::vector<std::size_t> sizes;
  std::uniform_int_distribution<std::size_t> size(1, max_chunk < 1 ? 1 : max_chunk);
  std::uniform_int_distribution<int> empty(0, 30);
  std::size_t left = total;
  while (left > 0) {
    if (empty(rng) == 0) sizes.push_back(0);
    const std::size_t n = std::min(left, size(rng));
    sizes.push_back(n);
    left -= n;
  }
  return sizes;
}

std::vector<std::size_t> random_chunks_fixed(std::size_t total, std::size_t chunk) {
  std::vector<std::size_t> sizes;
  for (std::size_t at = 0; at < total; at += chunk) sizes.push_back(std::min(chunk, total - at));
  return sizes;
}

std::vector<es::Header> OwnedMessage::view_headers() const {
  std::vector<es::Header> out;
  for (const auto& h : headers) {
    es::HeaderValue v;
    v.type = h.type;
    v.integer = h.integer;
    v.bytes = h.bytes;
    out.push_back({h.name, v});
  }
  return out;
}

OwnedMessage random_message(std::mt19937& rng) {
  auto uniform = [&](std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(rng);
  };
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(uniform(0, 255));
    return s;
  };
  OwnedMessage m;
  const auto count = uniform(0, 12);
  for (std::int64_t i = 0; i < count; ++i) {
    OwnedHeader h;
    const auto name_length =
        static_cast<std::size_t>(uniform(0, 3) == 0 ? uniform(1, 255) : uniform(1, 20));
    while (h.name.size() < name_length) {
      // Mostly ASCII, some two-byte (é) and four-byte (U+1F600) UTF-8 when there is room.
      const auto pick = uniform(0, 9);
      if (pick == 0 && h.name.size() + 2 <= name_length) {
        h.name += "\xc3\xa9";
      } else if (pick == 1 && h.name.size() + 4 <= name_length) {
        h.name += "\xf0\x9f\x98\x80";
      } else {
        h.name += static_cast<char>(uniform(0x20, 0x7e));
      }
    }
    h.type = static_cast<es::HeaderType>(uniform(0, 9));
    switch (h.type) {
      case es::HeaderType::BoolTrue:
        h.integer = 1;
        break;
      case es::HeaderType::BoolFalse:
        h.integer = 0;
        break;
      case es::HeaderType::Byte:
        h.integer = uniform(INT8_MIN, INT8_MAX);
        break;
      case es::HeaderType::Int16:
        h.integer = uniform(INT16_MIN, INT16_MAX);
        break;
      case es::HeaderType::Int32:
        h.integer = uniform(INT32_MIN, INT32_MAX);
        break;
      case es::HeaderType::Int64:
      case es::HeaderType::Timestamp:
        h.integer = uniform(INT64_MIN, INT64_MAX);
        break;
      case es::HeaderType::ByteArray:
      case es::HeaderType::String:
        h.bytes = random_bytes(
            static_cast<std::size_t>(uniform(0, 3) == 0 ? uniform(0, 2000) : uniform(0, 40)));
        break;
      case es::HeaderType::Uuid:
        h.bytes = random_bytes(16);
        break;
    }
    m.headers.push_back(std::move(h));
  }
  const auto payload_size = uniform(0, 20) == 0 ? uniform(15000, 25000) : uniform(0, 3000);
  m.payload = random_bytes(static_cast<std::size_t>(payload_size));
  return m;
}

namespace fs = std::filesystem;
using test::fixture_path;
using test::folders_with;
using test::read_file;

std::vector<fs::path> recorded_stream_folders() {
  std::vector<fs::path> found;
  for (const auto& dir : folders_with(fixture_path("recorded"), "response.body")) {
    const bool derived = fs::exists(dir / "response.eventstream.jsonl");
    const bool typed =
        fs::exists(dir / "response.json") &&
        read_file(dir / "response.json").find("application/vnd.amazon.eventstream") !=
            std::string::npos;
    if (derived || typed) found.push_back(dir);
  }
  return found;
}

std::string rel(const fs::path& p) {
  return fs::relative(p, fixture_path("")).string();
}

}  // namespace bedrock_lite::eventstream_test
