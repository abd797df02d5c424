// Helpers for the eventstream tests: feeding a stream in given chunk sizes and recording what the
// decoder delivered, random chunkings and messages, and byte-level edits with CRC fix-ups.
#pragma once

#include <bedrock_lite/eventstream.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::eventstream_test {

namespace es = bedrock_lite::eventstream;

std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // fails the test on invalid input
std::string hex(std::string_view bytes);
std::string be16(std::uint16_t value);
std::string be32(std::uint32_t value);
// Recomputes prelude_crc and message_crc of a single message (lengths taken as they are).
std::string fix_crcs(std::string message);

// One delivered message, copied out of its view.
struct Delivered {
  std::string bytes;
  std::uint64_t offset = 0;
  std::uint64_t index = 0;
};

// What feeding a stream produced: the messages, the status after finish(), the error.
struct Decoded {
  std::vector<Delivered> messages;
  es::Status finish = es::Status::Ok;
  std::optional<es::DecodeError> error;
};

// Feeds `bytes` in chunks of the given sizes (they must add up to bytes.size(); 0 feeds an empty
// chunk), then finish(). `each` sees every view as delivered.
Decoded decode_all(std::string_view bytes, const std::vector<std::size_t>& sizes,
                   const std::function<void(const es::MessageView&)>& each = {},
                   es::Limits limits = {});

// Same messages (bytes, offsets, indexes), same end status, same error (check, offset, index,
// text).
bool same_outcome(const Decoded& a, const Decoded& b);

// BEDROCK_LITE_TEST_SEED if set, else a fixed seed: tests stay deterministic and replayable.
std::uint32_t test_seed();

// Random chunk sizes in [0, max_chunk] (mostly >= 1) adding up to `total`.
std::vector<std::size_t> random_chunks(std::size_t total, std::size_t max_chunk, std::mt19937& rng);
// Chunks of `chunk` bytes (the last one shorter).
std::vector<std::size_t> random_chunks_fixed(std::size_t total, std::size_t chunk);

struct OwnedHeader {
  std::string name;
  es::HeaderType type = es::HeaderType::BoolTrue;
  std::int64_t integer = 0;  // as the decoder reports it (bool 1/0; 0 for byte-valued types)
  std::string bytes;
};

struct OwnedMessage {
  std::vector<OwnedHeader> headers;
  std::string payload;
  std::string bytes;  // filled by the test after encoding
  std::uint64_t offset = 0;
  // Headers viewing this message's strings (valid while it lives and is not modified).
  std::vector<es::Header> view_headers() const;
};

// 0..12 headers of random types (all ten appear over a few hundred messages), random names
// (ASCII and multi-byte UTF-8), random payload of 0..3000 bytes, sometimes ~20 KiB.
OwnedMessage random_message(std::mt19937& rng);

// Every recorded event-stream body: content-type application/vnd.amazon.eventstream in
// response.json, or a derived response.eventstream.jsonl beside it (three arize cassettes lost
// their response headers).
std::vector<std::filesystem::path> recorded_stream_folders();
// A fixture's path relative to fixtures/, for section names.
std::string rel(const std::filesystem::path& p);

}  // namespace bedrock_lite::eventstream_test
