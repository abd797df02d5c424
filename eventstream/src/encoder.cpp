// The encoder: one message's wire bytes, with both CRCs computed.
#include <bedrock_lite/eventstream.h>

#include <cstdio>

#include "wire.h"

namespace bedrock_lite::eventstream {
namespace {

EncodeError encode_error(std::size_t index, const char* what, long long detail) {
  char text[160];
  std::snprintf(text, sizeof text, "header %zu: %s (%lld)", index, what, detail);
  return {index, text};
}

bool fits(std::int64_t value, std::int64_t low, std::int64_t high) {
  return value >= low && value <= high;
}

// Checks one header and returns the bytes it takes on the wire (name length, name, type,
// value), so encode_message can size the message before it writes anything.
Result<std::uint64_t, EncodeError> header_wire_bytes(const Header& h, std::size_t i) {
  const HeaderValue& v = h.value;
  if (h.name.empty() || h.name.size() > 255) {
    return encode_error(i, "name must be 1 to 255 bytes", static_cast<long long>(h.name.size()));
  }
  // The decoder rejects such names (Check::HeaderNameUtf8), so never write one.
  if (!wire::valid_utf8(reinterpret_cast<const unsigned char*>(h.name.data()), h.name.size())) {
    return encode_error(i, "name is not valid UTF-8", static_cast<long long>(h.name.size()));
  }
  const auto type = static_cast<unsigned>(v.type);
  if (type > 9) return encode_error(i, "unknown type", type);
  const std::uint64_t name_bytes = 1 + h.name.size() + 1;
  switch (v.type) {
    case HeaderType::BoolTrue:
    case HeaderType::BoolFalse:
      break;
    case HeaderType::Byte:
      if (!fits(v.integer, INT8_MIN, INT8_MAX))
        return encode_error(i, "value does not fit a byte", v.integer);
      break;
    case HeaderType::Int16:
      if (!fits(v.integer, INT16_MIN, INT16_MAX))
        return encode_error(i, "value does not fit a short", v.integer);
      break;
    case HeaderType::Int32:
      if (!fits(v.integer, INT32_MIN, INT32_MAX))
        return encode_error(i, "value does not fit an integer", v.integer);
      break;
    case HeaderType::Int64:
    case HeaderType::Timestamp:
      break;
    case HeaderType::ByteArray:
    case HeaderType::String:
      if (v.bytes.size() > 0xFFFF) {
        return encode_error(i, "value is over 65535 bytes", static_cast<long long>(v.bytes.size()));
      }
      return name_bytes + 2 + v.bytes.size();
    case HeaderType::Uuid:
      if (v.bytes.size() != kUuidBytes) {
        return encode_error(i, "uuid must be 16 bytes", static_cast<long long>(v.bytes.size()));
      }
      break;
  }
  return name_bytes + static_cast<std::size_t>(wire::kFixedWidth[type]);
}

// Writes one checked header at `w`; returns where the next one starts.
char* write_header(char* w, const Header& h) {
  const HeaderValue& v = h.value;
  *w++ = static_cast<char>(h.name.size());
  std::memcpy(w, h.name.data(), h.name.size());
  w += h.name.size();
  const auto type = static_cast<unsigned>(v.type);
  *w++ = static_cast<char>(type);
  if (v.type == HeaderType::ByteArray || v.type == HeaderType::String) {
    wire::store_be(w, v.bytes.size(), 2);
    w += 2;
    if (!v.bytes.empty()) std::memcpy(w, v.bytes.data(), v.bytes.size());
    w += v.bytes.size();
  } else if (v.type == HeaderType::Uuid) {
    std::memcpy(w, v.bytes.data(), kUuidBytes);
    w += kUuidBytes;
  } else {
    const auto width = static_cast<std::size_t>(wire::kFixedWidth[type]);
    wire::store_be(w, static_cast<std::uint64_t>(v.integer), width);
    w += width;
  }
  return w;
}

}  // namespace

Result<void, EncodeError> encode_message(const std::vector<Header>& headers,
                                         std::string_view payload, std::string& out) {
  // First pass: validate and size, so `out` is untouched on error.
  std::uint64_t headers_length = 0;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    auto bytes = header_wire_bytes(headers[i], i);
    if (!bytes) return std::move(bytes).error();
    headers_length += *bytes;
  }
  const std::uint64_t total = kMinMessageBytes + headers_length + payload.size();
  if (total > UINT32_MAX) {
    return EncodeError{headers.size(), "message of " + std::to_string(total) +
                                           " bytes exceeds the 4 GiB - 1 total_length field"};
  }

  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(total));
  char* p = &out[start];
  wire::store_be(p, total, 4);
  wire::store_be(p + 4, headers_length, 4);
  const std::uint32_t prelude_crc = wire::crc32_update(0, p, 8);
  wire::store_be(p + 8, prelude_crc, 4);
  char* w = p + kPreludeBytes;
  for (const Header& h : headers) w = write_header(w, h);
  if (!payload.empty()) std::memcpy(w, payload.data(), payload.size());
  const auto crc_bytes = static_cast<std::size_t>(total) - kMessageCrcBytes;
  const std::uint32_t message_crc = wire::crc32_update(prelude_crc, p + 8, crc_bytes - 8);
  wire::store_be(p + crc_bytes, message_crc, 4);
  return {};
}

}  // namespace bedrock_lite::eventstream
