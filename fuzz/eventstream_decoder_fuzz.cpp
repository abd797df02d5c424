// Fuzz target for eventstream::Decoder (seeds: fixtures/vectors/eventstream, fixtures/recorded,
// fixtures/regressions/eventstream_decoder).
//
// The first byte picks how the input is read:
// - 0x00 (every real stream starts so: total_length < 16 MiB): the whole input is the stream, fed
//   whole, one byte at a time and in a fixed schedule of mixed sizes, so every seed decodes as it
//   is.
// - otherwise its low 3 bits give k (1..8) control bytes after it; the stream is the rest, fed in
//   chunks whose sizes cycle through those bytes (0 = an empty chunk), so the fuzzer explores
//   arbitrary chunkings.
// Each chunked decoding must equal the whole-buffer decoding (same messages at the same offsets,
// same end status, same error), and every delivered message must re-encode to its exact bytes.
#include <bedrock_lite/eventstream.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es = bedrock_lite::eventstream;

namespace {

struct Outcome {
  std::vector<std::string> messages;
  std::vector<std::uint64_t> offsets;
  es::Status status = es::Status::Ok;
  std::optional<es::DecodeError> error;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "eventstream_decoder_fuzz: %s\n", what);
  std::abort();
}

void check_message(const es::MessageView& m) {
  if (m.bytes().size() != m.total_length()) die("bytes().size() != total_length()");
  if (m.bytes().size() < es::kMinMessageBytes) die("message under 16 bytes");
  std::vector<es::Header> headers;
  std::size_t header_bytes = 0;
  for (const es::Header& h : m.headers()) {
    headers.push_back(h);
    header_bytes += 2 + h.name.size();
    if (h.value.type == es::HeaderType::ByteArray || h.value.type == es::HeaderType::String) {
      header_bytes += 2 + h.value.bytes.size();
    } else {
      static constexpr std::size_t kWidth[10] = {0, 0, 1, 2, 4, 8, 0, 0, 8, 16};
      header_bytes += kWidth[static_cast<unsigned>(h.value.type)];
    }
  }
  if (header_bytes != m.headers_length()) die("header walk does not cover headers_length");
  if (m.payload().size() != m.total_length() - m.headers_length() - es::kMinMessageBytes)
    die("payload size");
  // Accessors must not crash on any header set.
  (void)m.message_type();
  (void)m.event_type();
  (void)m.exception_type();
  (void)m.error_code();
  (void)m.error_message();
  (void)m.content_type();
  std::string encoded;
  if (!es::encode_message(headers, m.payload(), encoded))
    die("a decoded message does not re-encode");
  if (encoded != m.bytes()) die("re-encoding differs from the decoded bytes");
}

template <class NextSize>
Outcome run(std::string_view stream, NextSize next_size) {
  Outcome out;
  es::Decoder decoder([&](const es::MessageView& m) {
    check_message(m);
    out.messages.emplace_back(m.bytes());
    out.offsets.push_back(m.offset());
    return es::Flow::Continue;
  });
  std::size_t at = 0;
  while (at < stream.size()) {
    std::size_t n = next_size();
    if (n == 0) {
      decoder.feed(std::string_view());  // empty chunks are legal and change nothing
      n = 1;                             // and every round makes progress
    }
    n = std::min(n, stream.size() - at);
    const es::Status status = decoder.feed(stream.substr(at, n));
    at += n;
    if (status == es::Status::Failed) break;
  }
  out.status = decoder.finish();
  out.error = decoder.error();
  if ((out.status == es::Status::Failed) != out.error.has_value()) die("status and error disagree");
  if (decoder.messages() != out.messages.size()) die("messages() disagrees");
  return out;
}

void expect_same(const Outcome& a, const Outcome& b) {
  if (a.messages != b.messages) die("chunked decoding delivered different messages");
  if (a.offsets != b.offsets) die("chunked decoding reported different offsets");
  if (a.status != b.status) die("chunked decoding ended differently");
  if (a.error.has_value() != b.error.has_value()) die("chunked decoding: error differs");
  if (a.error &&
      (a.error->check != b.error->check || a.error->offset != b.error->offset ||
       a.error->message_index != b.error->message_index || a.error->message != b.error->message))
    die("chunked decoding reported a different error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (data[0] == 0) {
    const Outcome whole = run(input, [&] { return input.size(); });
    expect_same(whole, run(input, [] { return std::size_t{1}; }));
    static constexpr std::size_t kSchedule[] = {3, 12, 1, 200, 7, 0, 4096, 13, 2, 64};
    std::size_t i = 0;
    expect_same(whole, run(input, [&] { return kSchedule[i++ % std::size(kSchedule)]; }));
    return 0;
  }
  const std::size_t k = std::min<std::size_t>(1 + (data[0] & 7), size - 1);
  const std::string_view control = input.substr(1, k);
  const std::string_view stream = input.substr(1 + k);
  const Outcome whole = run(stream, [&] { return stream.size(); });
  std::size_t i = 0;
  expect_same(whole, run(stream, [&] {
                // Control byte c: c % 4 == 3 picks larger chunks (c * 8), else c % 64.
                const auto c = static_cast<unsigned char>(control[i++ % control.size()]);
                return (c & 3) == 3 ? std::size_t{c} * 8 : std::size_t{c} % 64;
              }));
  return 0;
}
