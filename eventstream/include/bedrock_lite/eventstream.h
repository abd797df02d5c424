// The application/vnd.amazon.eventstream codec: an incremental, zero-copy push decoder and an
// encoder for the same wire format (docs/wire-protocol.md §3). Depends only on core; its errors
// are its own narrow structs (the encoder returns core's Result with EncodeError), which
// `converse` maps into bedrock_lite::Error in one place.
//
// Wire format (all integers big-endian):
//   prelude      total_length u32 | headers_length u32 | prelude_crc u32 (CRC-32 of bytes [0,8))
//   headers      headers_length bytes of: name_len u8 (1..255) | name | type u8 (0..9) | value
//   payload      total_length - headers_length - 16 bytes
//   message_crc  u32, CRC-32 (zlib polynomial) of every byte before it, prelude included
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::eventstream {

// Sizes fixed by the format.
constexpr std::size_t kPreludeBytes = 12;  // total_length, headers_length, prelude_crc
constexpr std::size_t kMessageCrcBytes = 4;
constexpr std::size_t kMinMessageBytes = kPreludeBytes + kMessageCrcBytes;  // 16
constexpr std::size_t kUuidBytes = 16;

// The ten header value types, numbered as on the wire.
enum class HeaderType : std::uint8_t {
  BoolTrue = 0,
  BoolFalse = 1,
  Byte = 2,       // int8
  Int16 = 3,      // "short"
  Int32 = 4,      // "integer"
  Int64 = 5,      // "long"
  ByteArray = 6,  // u16 length + bytes
  String = 7,     // u16 length + UTF-8 bytes
  Timestamp = 8,  // int64 milliseconds since the epoch
  Uuid = 9,       // 16 raw bytes
};

// "bool_true", "byte", "string", ...; "unknown" outside 0..9.
BEDROCK_LITE_API const char* to_string(HeaderType type) noexcept;

// One header value. A plain value type: `integer` holds bool (1/0), byte, int16, int32, int64
// and timestamp (milliseconds) values, sign-extended; `bytes` views the value bytes of byte
// arrays, strings and uuids (without the length prefix). Decoded values view the message's bytes
// and share its lifetime; values built for the encoder view the caller's memory. Immutable.
struct BEDROCK_LITE_API HeaderValue {
  HeaderType type = HeaderType::BoolTrue;
  std::int64_t integer = 1;
  std::string_view bytes;

  static HeaderValue boolean(bool value) noexcept;
  static HeaderValue byte(std::int8_t value) noexcept;
  static HeaderValue int16(std::int16_t value) noexcept;
  static HeaderValue int32(std::int32_t value) noexcept;
  static HeaderValue int64(std::int64_t value) noexcept;
  static HeaderValue timestamp(std::int64_t milliseconds) noexcept;
  static HeaderValue byte_array(std::string_view value) noexcept;
  static HeaderValue string(std::string_view value) noexcept;
  static HeaderValue uuid(std::string_view sixteen_bytes) noexcept;

  // Typed reads: empty when the value is of another type.
  std::optional<bool> as_bool() const noexcept;                // BoolTrue, BoolFalse
  std::optional<std::int64_t> as_integer() const noexcept;     // Byte, Int16, Int32, Int64
  std::optional<std::int64_t> as_timestamp() const noexcept;   // Timestamp (milliseconds)
  std::optional<std::string_view> as_string() const noexcept;  // String
  std::optional<std::string_view> as_bytes() const noexcept;   // ByteArray
  std::optional<std::string_view> as_uuid() const noexcept;    // Uuid (16 bytes)
};

// A header: name and value, both views (see HeaderValue for their lifetime). Immutable.
struct Header {
  std::string_view name;
  HeaderValue value;
};

// Walks a header block that the decoder has already validated; yields Header values in wire
// order. Only valid while the message it came from is.
class BEDROCK_LITE_API HeaderIterator {
 public:
  using value_type = Header;
  using difference_type = std::ptrdiff_t;
  using pointer = const Header*;
  using reference = const Header&;
  using iterator_category = std::forward_iterator_tag;

  HeaderIterator() = default;
  HeaderIterator(const char* position, const char* end) noexcept;

  const Header& operator*() const noexcept { return current_; }
  const Header* operator->() const noexcept { return &current_; }
  HeaderIterator& operator++() noexcept;
  HeaderIterator operator++(int) noexcept {
    HeaderIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const HeaderIterator& other) const noexcept {
    return position_ == other.position_;
  }
  bool operator!=(const HeaderIterator& other) const noexcept {
    return position_ != other.position_;
  }

 private:
  void read() noexcept;
  const char* position_ = nullptr;  // start of the current header; == end_ when done
  const char* next_ = nullptr;      // start of the following header
  const char* end_ = nullptr;
  Header current_{};
};

struct HeaderRange {
  HeaderIterator first;
  HeaderIterator last;
  HeaderIterator begin() const noexcept { return first; }
  HeaderIterator end() const noexcept { return last; }
};

// One complete, fully validated message (both CRCs checked, header block well-formed), as views
// into the bytes it arrived in: the caller's chunk when the message lay wholly inside it, else the
// decoder's buffer. A MessageView handed to a callback is valid only during that call; copy what
// you need to keep. Immutable.
class BEDROCK_LITE_API MessageView {
 public:
  // The whole message on the wire, prelude to message_crc.
  std::string_view bytes() const noexcept { return bytes_; }
  // Stream offset of the message's first byte and its index in the stream (0-based).
  std::uint64_t offset() const noexcept { return offset_; }
  std::uint64_t index() const noexcept { return index_; }

  std::uint32_t total_length() const noexcept;
  std::uint32_t headers_length() const noexcept;
  std::uint32_t prelude_crc() const noexcept;
  std::uint32_t message_crc() const noexcept;

  HeaderRange headers() const noexcept;
  std::string_view payload() const noexcept;

  // The first header of that name, if any.
  std::optional<HeaderValue> header(std::string_view name) const noexcept;
  // The value of a String header of that name; empty if absent or of another type.
  std::optional<std::string_view> string_header(std::string_view name) const noexcept;

  // The headers that say what a message is (docs/wire-protocol.md §2.3): ":message-type" is
  // "event", "exception" or "error"; events name themselves in ":event-type", modeled exceptions in
  // ":exception-type", un-modeled errors in ":error-code" and ":error-message".
  std::optional<std::string_view> message_type() const noexcept;
  std::optional<std::string_view> event_type() const noexcept;
  std::optional<std::string_view> exception_type() const noexcept;
  std::optional<std::string_view> error_code() const noexcept;
  std::optional<std::string_view> error_message() const noexcept;
  std::optional<std::string_view> content_type() const noexcept;

 private:
  friend class Decoder;
  MessageView(std::string_view bytes, std::uint64_t offset, std::uint64_t index) noexcept
      : bytes_(bytes), offset_(offset), index_(index) {}
  std::string_view bytes_;
  std::uint64_t offset_ = 0;
  std::uint64_t index_ = 0;
};

// Bounds the decoder enforces before it allocates anything. A plain value; the defaults are
// AWS's.
struct Limits {
  // Whole message, prelude to message_crc. 24 MiB: the cap docs/wire-protocol.md §3 gives for the
  // AWS C libraries and botocore's current _MAX_PAYLOAD_LENGTH (older botocore and
  // aws-c-event-stream copies say 16 MiB; we take the larger so nothing AWS sends is refused).
  std::uint32_t max_message_bytes = 24u * 1024u * 1024u;
  // Header block. 128 KiB: aws-c-event-stream AWS_EVENT_STREAM_MAX_HEADERS_SIZE and botocore
  // _MAX_HEADERS_LENGTH.
  std::uint32_t max_headers_bytes = 128u * 1024u;
};

// The checks, in the order the decoder runs them on each message.
enum class Check : std::uint8_t {
  PreludeCrc,        // prelude_crc != CRC-32 of bytes [0,8); runs before any length is trusted
  TotalLength,       // total_length < 16
  HeadersLength,     // headers_length > total_length - 16
  MessageLimit,      // total_length > Limits::max_message_bytes (before any allocation)
  HeadersLimit,      // headers_length > Limits::max_headers_bytes
  HeaderNameLength,  // a name of length 0, or one running past the header block
  HeaderNameUtf8,    // a name that is not valid UTF-8
  HeaderType,        // a type byte outside 0..9, or missing
  HeaderValue,       // a value (or its u16 length) running past the header block
  MessageCrc,        // message_crc != CRC-32 of every byte before it
  Truncated,         // the stream ended inside a message (finish())
};

// "prelude_crc", "total_length", ... (the spec's words).
BEDROCK_LITE_API const char* to_string(Check check) noexcept;

// The first fault of a stream. Immutable.
struct DecodeError {
  Check check = Check::Truncated;
  std::uint64_t offset = 0;         // stream offset of the offending field or byte
  std::uint64_t message_index = 0;  // index of the message it belongs to (0-based)
  std::string message;              // one line: what, where, which message
};

// What the message callback tells the decoder.
enum class Flow : std::uint8_t { Continue, Stop };

// What feed() and finish() report.
enum class Status : std::uint8_t {
  Ok,       // everything fed was consumed; more may follow (after finish(): clean end)
  Stopped,  // the callback returned Flow::Stop; later input is ignored
  Failed,   // a check failed; error() says which; later input is ignored
};

// The push decoder. Feed it chunks of any size as they arrive (1 byte to a whole body); it calls
// `on_message` once per complete message, the moment the message's last byte arrives, in stream
// order. A message wholly inside one chunk is delivered as views into that chunk without copying;
// only a message that straddles chunks is copied, once, into a buffer sized after its prelude was
// validated. Nothing is allocated in the steady state (the buffer is kept and grows only for a
// larger straddling message); memory is bounded by Limits::max_message_bytes.
//
// Errors: the first failed check makes the decoder Failed for good: nothing after the fault is
// delivered, every later feed() is ignored, and error() describes the fault. finish() tells a
// clean end (between messages) from a truncated one (Check::Truncated).
//
// Single-thread: one thread at a time; it may move between threads. The callback runs on the
// thread that called feed() and must not call back into the same decoder.
class BEDROCK_LITE_API Decoder {
 public:
  // Called with each message; the view is valid only during the call.
  using MessageHandler = std::function<Flow(const MessageView& message)>;

  explicit Decoder(MessageHandler on_message, Limits limits = {});
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  ~Decoder();

  // Consumes `chunk` (which need only live during the call).
  Status feed(std::string_view chunk);
  // Declares the end of the stream: Ok at a message boundary, else Failed with Check::Truncated.
  // May be called again; it reports the same.
  Status finish();

  Status status() const noexcept;
  // The first fault, once Failed.
  const std::optional<DecodeError>& error() const noexcept { return error_; }
  // Bytes consumed so far (the stream offset of the next byte) and messages delivered.
  std::uint64_t offset() const noexcept { return offset_; }
  std::uint64_t messages() const noexcept { return index_; }

 private:
  enum class State : std::uint8_t { Prelude, Body, Stopped, Failed };

  std::size_t on_prelude(const char* data, std::size_t size);
  std::size_t on_body(const char* data, std::size_t size);
  bool accept_prelude(const char* prelude);
  bool deliver(const char* message, std::uint32_t computed_crc);
  void fail(Check check, std::uint64_t offset, std::string what);

  MessageHandler on_message_;
  Limits limits_;
  State state_ = State::Prelude;
  std::uint64_t offset_ = 0;          // stream offset of the next byte fed
  std::uint64_t index_ = 0;           // index of the message being decoded
  std::uint64_t message_offset_ = 0;  // stream offset of the current message's first byte
  char prelude_[kPreludeBytes] = {};
  std::size_t prelude_have_ = 0;
  std::uint32_t total_length_ = 0;
  std::uint32_t running_crc_ = 0;  // CRC-32 of the current message's bytes so far
  std::vector<char> buffer_;       // a straddling message; capacity kept between messages
  std::size_t buffer_have_ = 0;
  std::optional<DecodeError> error_;
};

// Why a message cannot be encoded. Immutable.
struct EncodeError {
  std::size_t header_index = 0;  // the offending header, or the header count for the payload
  std::string message;           // one line
};

// Appends the wire bytes of one message (headers in the order given) to `out`. Returns an error,
// leaving `out` unchanged, for a name of 0 or more than 255 bytes or not UTF-8, an unknown type,
// an integer that does not fit its type, a byte array or string over 65535 bytes, a uuid that is
// not 16 bytes, or a message over 4 GiB - 1. Thread-safe.
BEDROCK_LITE_API Result<void, EncodeError> encode_message(const std::vector<Header>& headers,
                                                          std::string_view payload,
                                                          std::string& out);

// The zlib whose CRC-32 the decoder and encoder use ("zlib 1.3"), for `bedrock-lite --version`
// and bug reports.
BEDROCK_LITE_API std::string zlib_runtime_version();

}  // namespace bedrock_lite::eventstream
