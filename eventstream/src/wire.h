// Byte-level helpers shared by the decoder, the header iterator and the encoder: big-endian
// loads and stores, zlib's CRC-32, and the header-block walk.
#pragma once

#include <bedrock_lite/eventstream.h>
#include <zlib.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bedrock_lite::eventstream::wire {

inline std::uint8_t u8(const char* p) noexcept {
  return static_cast<std::uint8_t>(*p);
}

inline std::uint16_t load_be16(const char* p) noexcept {
  return static_cast<std::uint16_t>((u8(p) << 8) | u8(p + 1));
}

inline std::uint32_t load_be32(const char* p) noexcept {
  return (std::uint32_t{u8(p)} << 24) | (std::uint32_t{u8(p + 1)} << 16) |
         (std::uint32_t{u8(p + 2)} << 8) | std::uint32_t{u8(p + 3)};
}

inline std::uint64_t load_be64(const char* p) noexcept {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

inline void store_be(char* p, std::uint64_t value, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < bytes; ++i) {
    p[i] = static_cast<char>(static_cast<unsigned char>(value >> (8 * (bytes - 1 - i))));
  }
}

// CRC-32 (IEEE 802.3, zlib's polynomial), chained: crc32(crc32(0, a), b) == crc32(0, a + b).
inline std::uint32_t crc32_update(std::uint32_t crc, const char* data, std::size_t size) noexcept {
  uLong value = crc;
  // zlib takes uInt lengths; only the encoder can see more than UINT_MAX bytes.
  while (size > 0) {
    const std::size_t step = size > UINT_MAX ? UINT_MAX : size;
    value = ::crc32(value, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(step));
    data += step;
    size -= step;
  }
  return static_cast<std::uint32_t>(value);
}

// Bytes of a fixed-width value, or -1 for the u16-length-prefixed types (6, 7). Types >9 are not
// asked for: callers check the range first.
constexpr int kFixedWidth[10] = {0, 0, 1, 2, 4, 8, -1, -1, 8, 16};

// Sign-extended value of a fixed-width integer of `width` bytes.
inline std::int64_t load_signed(const char* p, int width) noexcept {
  switch (width) {
    case 1:
      return static_cast<std::int8_t>(u8(p));
    case 2:
      return static_cast<std::int16_t>(load_be16(p));
    case 4:
      return static_cast<std::int32_t>(load_be32(p));
    default:
      return static_cast<std::int64_t>(load_be64(p));
  }
}

// The first malformed header in a block, if any.
struct HeaderFault {
  Check check = Check::HeaderValue;
  std::size_t position = 0;  // offset inside the header block of the offending field
  std::size_t header = 0;    // index of the offending header
  unsigned detail = 0;       // the bad type byte or length, for the message
};

bool valid_utf8(const unsigned char* p, std::size_t size) noexcept;

// Walks the header block [block, block + size). Returns true when every header is well-formed:
// name length >= 1, name inside the block and UTF-8, type 0..9, value inside the block.
bool check_header_block(const char* block, std::size_t size, HeaderFault& fault) noexcept;

}  // namespace bedrock_lite::eventstream::wire
