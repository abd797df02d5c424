// Header values, the header-block walk and the MessageView accessors built on it.
#include <bedrock_lite/eventstream.h>

#include "wire.h"

namespace bedrock_lite::eventstream {

const char* to_string(HeaderType type) noexcept {
  switch (type) {
    case HeaderType::BoolTrue:
      return "bool_true";
    case HeaderType::BoolFalse:
      return "bool_false";
    case HeaderType::Byte:
      return "byte";
    case HeaderType::Int16:
      return "short";
    case HeaderType::Int32:
      return "integer";
    case HeaderType::Int64:
      return "long";
    case HeaderType::ByteArray:
      return "byte_array";
    case HeaderType::String:
      return "string";
    case HeaderType::Timestamp:
      return "timestamp";
    case HeaderType::Uuid:
      return "uuid";
  }
  return "unknown";
}

HeaderValue HeaderValue::boolean(bool value) noexcept {
  return {value ? HeaderType::BoolTrue : HeaderType::BoolFalse, value ? 1 : 0, {}};
}
HeaderValue HeaderValue::byte(std::int8_t value) noexcept {
  return {HeaderType::Byte, value, {}};
}
HeaderValue HeaderValue::int16(std::int16_t value) noexcept {
  return {HeaderType::Int16, value, {}};
}
HeaderValue HeaderValue::int32(std::int32_t value) noexcept {
  return {HeaderType::Int32, value, {}};
}
HeaderValue HeaderValue::int64(std::int64_t value) noexcept {
  return {HeaderType::Int64, value, {}};
}
HeaderValue HeaderValue::timestamp(std::int64_t milliseconds) noexcept {
  return {HeaderType::Timestamp, milliseconds, {}};
}
HeaderValue HeaderValue::byte_array(std::string_view value) noexcept {
  return {HeaderType::ByteArray, 0, value};
}
HeaderValue HeaderValue::string(std::string_view value) noexcept {
  return {HeaderType::String, 0, value};
}
HeaderValue HeaderValue::uuid(std::string_view sixteen_bytes) noexcept {
  return {HeaderType::Uuid, 0, sixteen_bytes};
}

std::optional<bool> HeaderValue::as_bool() const noexcept {
  if (type == HeaderType::BoolTrue) return true;
  if (type == HeaderType::BoolFalse) return false;
  return std::nullopt;
}
std::optional<std::int64_t> HeaderValue::as_integer() const noexcept {
  switch (type) {
    case HeaderType::Byte:
    case HeaderType::Int16:
    case HeaderType::Int32:
    case HeaderType::Int64:
      return integer;
    default:
      return std::nullopt;
  }
}
std::optional<std::int64_t> HeaderValue::as_timestamp() const noexcept {
  if (type == HeaderType::Timestamp) return integer;
  return std::nullopt;
}
std::optional<std::string_view> HeaderValue::as_string() const noexcept {
  if (type == HeaderType::String) return bytes;
  return std::nullopt;
}
std::optional<std::string_view> HeaderValue::as_bytes() const noexcept {
  if (type == HeaderType::ByteArray) return bytes;
  return std::nullopt;
}
std::optional<std::string_view> HeaderValue::as_uuid() const noexcept {
  if (type == HeaderType::Uuid) return bytes;
  return std::nullopt;
}

namespace wire {

bool valid_utf8(const unsigned char* p, std::size_t size) noexcept {
  std::size_t i = 0;
  while (i < size) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra = 0;
    unsigned min = 0;
    unsigned code = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (size - i - 1 < extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const unsigned cont = p[i + k];
      if ((cont & 0xC0) != 0x80) return false;
      code = (code << 6) | (cont & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 (RFC 3629).
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

namespace {

// ASCII fast path, eight bytes at a time: every name Bedrock sends is ASCII, and this walk is the
// largest cost after the CRC on small messages (bench_eventstream BM_DecodeChat).
bool ascii(const char* p, std::size_t size) noexcept {
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    high |= word;
  }
  for (; i < size; ++i) high |= u8(p + i);
  return (high & 0x8080808080808080u) == 0;
}

}  // namespace

bool check_header_block(const char* block, std::size_t size, HeaderFault& fault) noexcept {
  std::size_t pos = 0;
  std::size_t index = 0;
  while (pos < size) {
    fault.header = index;
    fault.position = pos;
    const std::size_t name_length = u8(block + pos);
    if (name_length == 0 || name_length > size - pos - 1) {
      fault.check = Check::HeaderNameLength;
      fault.detail = static_cast<unsigned>(name_length);
      return false;
    }
    const auto* name = reinterpret_cast<const unsigned char*>(block + pos + 1);
    if (!ascii(block + pos + 1, name_length) && !valid_utf8(name, name_length)) {
      fault.check = Check::HeaderNameUtf8;
      fault.position = pos + 1;
      return false;
    }
    pos += 1 + name_length;
    fault.position = pos;
    if (pos == size) {
      fault.check = Check::HeaderType;
      fault.detail = 256;  // missing
      return false;
    }
    const unsigned type = u8(block + pos);
    if (type > 9) {
      fault.check = Check::HeaderType;
      fault.detail = type;
      return false;
    }
    ++pos;
    std::size_t width;
    if (kFixedWidth[type] >= 0) {
      width = static_cast<std::size_t>(kFixedWidth[type]);
    } else {
      fault.position = pos;
      if (size - pos < 2) {
        fault.check = Check::HeaderValue;
        fault.detail = 0;
        return false;
      }
      width = load_be16(block + pos);
      pos += 2;
    }
    if (width > size - pos) {
      fault.check = Check::HeaderValue;
      fault.detail = static_cast<unsigned>(width);
      return false;
    }
    pos += width;
    ++index;
  }
  return true;
}

}  // namespace wire

HeaderIterator::HeaderIterator(const char* position, const char* end) noexcept
    : position_(position), next_(position), end_(end) {
  read();
}

HeaderIterator& HeaderIterator::operator++() noexcept {
  position_ = next_;
  read();
  return *this;
}

// Decodes the header at position_. The decoder validated the block, but the iterator stays
// bounds-checked so a hand-built one can never read past `end_`: a malformed entry ends the walk.
void HeaderIterator::read() noexcept {
  if (position_ == nullptr || position_ >= end_) {
    position_ = next_ = end_;
    return;
  }
  const char* p = position_;
  const auto left = [&] { return static_cast<std::size_t>(end_ - p); };
  const std::size_t name_length = wire::u8(p);
  ++p;
  if (name_length == 0 || name_length + 1 > left()) {
    position_ = next_ = end_;
    return;
  }
  current_.name = std::string_view(p, name_length);
  p += name_length;
  const unsigned type = wire::u8(p);
  ++p;
  if (type > 9) {
    position_ = next_ = end_;
    return;
  }
  current_.value = HeaderValue{};
  current_.value.type = static_cast<HeaderType>(type);
  const int fixed = wire::kFixedWidth[type];
  if (fixed < 0) {
    if (left() < 2 || wire::load_be16(p) > left() - 2) {
      position_ = next_ = end_;
      return;
    }
    const std::size_t length = wire::load_be16(p);
    current_.value.integer = 0;
    current_.value.bytes = std::string_view(p + 2, length);
    next_ = p + 2 + length;
    return;
  }
  const auto width = static_cast<std::size_t>(fixed);
  if (width > left()) {
    position_ = next_ = end_;
    return;
  }
  if (type == 0 || type == 1) {
    current_.value.integer = type == 0 ? 1 : 0;
  } else if (type == 9) {
    current_.value.integer = 0;
    current_.value.bytes = std::string_view(p, width);
  } else {
    current_.value.integer = wire::load_signed(p, fixed);
  }
  next_ = p + width;
}

std::uint32_t MessageView::total_length() const noexcept {
  return wire::load_be32(bytes_.data());
}
std::uint32_t MessageView::headers_length() const noexcept {
  return wire::load_be32(bytes_.data() + 4);
}
std::uint32_t MessageView::prelude_crc() const noexcept {
  return wire::load_be32(bytes_.data() + 8);
}
std::uint32_t MessageView::message_crc() const noexcept {
  return wire::load_be32(bytes_.data() + bytes_.size() - kMessageCrcBytes);
}

HeaderRange MessageView::headers() const noexcept {
  const char* block = bytes_.data() + kPreludeBytes;
  const char* end = block + headers_length();
  return {HeaderIterator(block, end), HeaderIterator(end, end)};
}

std::string_view MessageView::payload() const noexcept {
  const std::size_t start = kPreludeBytes + headers_length();
  return bytes_.substr(start, bytes_.size() - start - kMessageCrcBytes);
}

std::optional<HeaderValue> MessageView::header(std::string_view name) const noexcept {
  for (const Header& h : headers()) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> MessageView::string_header(std::string_view name) const noexcept {
  if (auto value = header(name)) return value->as_string();
  return std::nullopt;
}

std::optional<std::string_view> MessageView::message_type() const noexcept {
  return string_header(":message-type");
}
std::optional<std::string_view> MessageView::event_type() const noexcept {
  return string_header(":event-type");
}
std::optional<std::string_view> MessageView::exception_type() const noexcept {
  return string_header(":exception-type");
}
std::optional<std::string_view> MessageView::error_code() const noexcept {
  return string_header(":error-code");
}
std::optional<std::string_view> MessageView::error_message() const noexcept {
  return string_header(":error-message");
}
std::optional<std::string_view> MessageView::content_type() const noexcept {
  return string_header(":content-type");
}

}  // namespace bedrock_lite::eventstream
