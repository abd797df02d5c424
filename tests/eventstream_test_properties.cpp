// The eventstream codec's properties: chunking invariance (every split of small streams, seeded
// random splits of every recorded body), encode/decode round trips, truncation vs clean end,
// error messages, length and header checks, limits, stop and fault latching, views vs copies.
#include <bedrock_lite/eventstream.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "eventstream_test_support.h"
#include "support/fixtures.h"

namespace es = bedrock_lite::eventstream;
namespace fs = std::filesystem;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::read_file;
using namespace bedrock_lite::eventstream_test;

TEST_CASE("eventstream: chunking invariance, every 2- and 3-way split of small streams") {
  std::vector<std::pair<std::string, std::string>> streams;  // name, bytes
  const fs::path go = fixture_path("vectors/eventstream/aws-sdk-go/encoded");
  for (const char* kind : {"positive", "negative"}) {
    for (const auto& entry : fs::directory_iterator(go / kind))
      streams.emplace_back(rel(entry.path()), read_file(entry.path()));
  }
  for (const auto& entry : fs::directory_iterator(fixture_path("vectors/eventstream/smithy-rs"))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("valid", 0) == 0 || name.rfind("invalid", 0) == 0)
      streams.emplace_back(rel(entry.path()), read_file(entry.path()));
  }
  // Multi-message streams: the first messages of two recorded bodies, and all positive
  // aws-sdk-go vectors back to back.
  std::string all_positive;
  for (const auto& entry : fs::directory_iterator(go / "positive"))
    all_positive += read_file(entry.path());
  streams.emplace_back("aws-sdk-go positives concatenated", all_positive);
  const auto folders = recorded_stream_folders();
  REQUIRE(folders.size() >= 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const std::string body = read_file(folders[k] / "response.body");
    const Decoded whole = decode_all(body, {body.size()});
    REQUIRE(whole.messages.size() >= 3);
    const auto& third = whole.messages[2];
    streams.emplace_back(rel(folders[k]) + " first 3 messages",
                         body.substr(0, third.offset + third.bytes.size()));
  }
  REQUIRE(streams.size() >= 22);

  constexpr std::size_t kThreeWayMax = 400;  // bytes; 3-way splits grow as n^2 / 2
  std::size_t splits = 0;
  for (const auto& [name, bytes] : streams) {
    INFO(name << " (" << bytes.size() << " bytes)");
    const Decoded reference = decode_all(bytes, {bytes.size()});
    const std::size_t n = bytes.size();
    for (std::size_t a = 0; a <= n; ++a) {
      const Decoded d = decode_all(bytes, {a, n - a});
      INFO("split at " << a);
      REQUIRE(same_outcome(reference, d));
      ++splits;
    }
    if (n <= kThreeWayMax) {
      for (std::size_t a = 0; a <= n; ++a) {
        for (std::size_t b = a; b <= n; ++b) {
          const Decoded d = decode_all(bytes, {a, b - a, n - b});
          if (!same_outcome(reference, d)) {
            INFO("split at " << a << " and " << b);
            REQUIRE(same_outcome(reference, d));
          }
          ++splits;
        }
      }
    }
    // One byte at a time.
    const Decoded bytewise = decode_all(bytes, std::vector<std::size_t>(n, 1));
    REQUIRE(same_outcome(reference, bytewise));
  }
  CHECK(splits > 100000);
}

TEST_CASE("eventstream: chunking invariance, seeded random splits of every recorded body") {
  const std::uint32_t seed = test_seed();
  INFO("seed " << seed << " (set BEDROCK_LITE_TEST_SEED to replay)");
  std::mt19937 rng(seed);
  std::size_t bodies = 0;
  for (const auto& dir : recorded_stream_folders()) {
    INFO(rel(dir));
    const std::string body = read_file(dir / "response.body");
    const Decoded reference = decode_all(body, {body.size()});
    REQUIRE(reference.finish == es::Status::Ok);
    REQUIRE_FALSE(reference.messages.empty());
    for (int round = 0; round < 12; ++round) {
      // Chunk sizes from tiny to larger than most messages, so both paths and the prelude
      // straddle all show up.
      const std::size_t max_chunk = std::size_t{1} << (round % 12);
      const auto sizes = random_chunks(body.size(), max_chunk, rng);
      const Decoded d = decode_all(body, sizes);
      INFO("round " << round << " max chunk " << max_chunk);
      REQUIRE(same_outcome(reference, d));
    }
    const Decoded bytewise = decode_all(body, std::vector<std::size_t>(body.size(), 1));
    REQUIRE(same_outcome(reference, bytewise));
    ++bodies;
  }
  CHECK(bodies >= 32);
}

TEST_CASE("eventstream: encode/decode round trip on random messages with every header type") {
  const std::uint32_t seed = test_seed();
  INFO("seed " << seed << " (set BEDROCK_LITE_TEST_SEED to replay)");
  std::mt19937 rng(seed);
  std::string stream;
  std::vector<OwnedMessage> sent;
  for (int i = 0; i < 300; ++i) {
    OwnedMessage m = random_message(rng);
    const std::size_t before = stream.size();
    REQUIRE(es::encode_message(m.view_headers(), m.payload, stream));
    m.bytes = stream.substr(before);
    m.offset = before;
    sent.push_back(std::move(m));
  }
  std::vector<std::string> diffs;
  std::size_t index = 0;
  for (int round = 0; round < 4; ++round) {
    index = 0;
    const auto sizes =
        random_chunks(stream.size(), round == 0 ? stream.size() : 8192u >> (3 * round), rng);
    const Decoded d = decode_all(stream, sizes, [&](const es::MessageView& m) {
      REQUIRE(index < sent.size());
      const OwnedMessage& expected = sent[index++];
      CHECK(m.bytes() == expected.bytes);
      CHECK(m.offset() == expected.offset);
      CHECK(m.payload() == expected.payload);
      std::size_t h = 0;
      for (const es::Header& header : m.headers()) {
        REQUIRE(h < expected.headers.size());
        const OwnedHeader& e = expected.headers[h++];
        CHECK(header.name == e.name);
        CHECK(header.value.type == e.type);
        CHECK(header.value.integer == e.integer);
        CHECK(header.value.bytes == e.bytes);
      }
      CHECK(h == expected.headers.size());
    });
    CHECK(d.finish == es::Status::Ok);
    CHECK(index == sent.size());
  }
}

TEST_CASE("eventstream: encoder rejects what the format cannot carry") {
  std::string out = "keep";
  const std::string big(70000, 'x');
  const std::string name256(256, 'n');
  struct Case {
    const char* what;
    std::vector<es::Header> headers;
  };
  const std::vector<Case> cases = {
      {"empty name", {{"", es::HeaderValue::boolean(true)}}},
      {"name over 255", {{name256, es::HeaderValue::boolean(true)}}},
      {"name not UTF-8", {{"\xff", es::HeaderValue::boolean(true)}}},
      {"string over 65535", {{"a", es::HeaderValue::string(big)}}},
      {"byte array over 65535", {{"a", es::HeaderValue::byte_array(big)}}},
      {"uuid of 15 bytes", {{"a", es::HeaderValue::uuid(std::string(15, 'u'))}}},
      {"byte out of range", {{"a", es::HeaderValue{es::HeaderType::Byte, 128, {}}}}},
      {"short out of range", {{"a", es::HeaderValue{es::HeaderType::Int16, -32769, {}}}}},
      {"int out of range", {{"a", es::HeaderValue{es::HeaderType::Int32, 1ll << 31, {}}}}},
      {"unknown type", {{"a", es::HeaderValue{static_cast<es::HeaderType>(10), 0, {}}}}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const auto error = es::encode_message(c.headers, "", out);
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().header_index == 0);
    CHECK(error.error().message.rfind("header 0: ", 0) == 0);
    CHECK(out == "keep");
  }
  CHECK(es::encode_message({{name256.substr(1), es::HeaderValue::string(big.substr(5000))}}, "",
                           out));
}

TEST_CASE("eventstream: truncation is an error, distinct from a clean end") {
  std::string stream;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(es::encode_message({{":event-type", es::HeaderValue::string("chunk")}},
                               std::string(static_cast<std::size_t>(10 * i), 'p'), stream));
  }
  std::vector<std::size_t> boundaries = {0};
  decode_all(stream, {stream.size()}, [&](const es::MessageView& m) {
    boundaries.push_back(m.offset() + m.total_length());
  });
  REQUIRE(boundaries.size() == 4);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("stream cut after " << cut << " bytes");
    const Decoded d = decode_all(stream.substr(0, cut), {cut / 2, cut - cut / 2});
    std::size_t complete = 0;
    while (complete + 1 < boundaries.size() && boundaries[complete + 1] <= cut) ++complete;
    CHECK(d.messages.size() == complete);
    if (cut == boundaries[complete]) {
      CHECK(d.finish == es::Status::Ok);
      CHECK_FALSE(d.error.has_value());
    } else {
      CHECK(d.finish == es::Status::Failed);
      REQUIRE(d.error.has_value());
      CHECK(d.error->check == es::Check::Truncated);
      CHECK(d.error->message_index == complete);
      CHECK(d.error->offset == cut);
      CHECK(d.error->message.find("stream ended inside") != std::string::npos);
    }
  }
}

TEST_CASE("eventstream: error messages name the check, the offset and the message") {
  std::string stream;
  REQUIRE(es::encode_message({{"a", es::HeaderValue::int32(7)}}, "first", stream));
  const std::size_t second = stream.size();
  REQUIRE(es::encode_message({{"b", es::HeaderValue::int32(8)}}, "second", stream));
  std::string corrupt = stream;
  corrupt[corrupt.size() - 6] ^= 0x01;  // a payload byte of message 1
  const Decoded d = decode_all(corrupt, {corrupt.size()});
  CHECK(d.messages.size() == 1);
  REQUIRE(d.error.has_value());
  CHECK(d.error->check == es::Check::MessageCrc);
  CHECK(d.error->message_index == 1);
  CHECK(d.error->offset == corrupt.size() - 4);
  CHECK(d.error->message.rfind("message_crc mismatch (computed 0x", 0) == 0);
  CHECK(d.error->message.find("at offset " + std::to_string(corrupt.size() - 4) +
                              " in message 1") != std::string::npos);

  std::string bad_prelude = stream;
  bad_prelude[second + 9] ^= 0x40;
  const Decoded p = decode_all(bad_prelude, {bad_prelude.size()});
  REQUIRE(p.error.has_value());
  CHECK(p.error->check == es::Check::PreludeCrc);
  CHECK(p.error->offset == second + 8);
  CHECK(p.error->message.rfind("prelude_crc mismatch", 0) == 0);
  CHECK(p.error->message.find("in message 1") != std::string::npos);
}

TEST_CASE("eventstream: length and header checks, each with a valid CRC") {
  struct Case {
    const char* name;
    std::string bytes;  // CRCs fixed up after the edit
    es::Check check;
    std::uint64_t offset;
  };
  std::string base;
  REQUIRE(es::encode_message({{"ab", es::HeaderValue::string("xyz")}}, "pay", base));
  // base: prelude [0,12) | name_len 02 at 12, "ab", type 07 at 15, length 0003 at 16, "xyz" |
  // "pay" | message_crc; the header block is [12,21).
  auto edited = [&](std::size_t at, std::string replacement) {
    std::string b = base;
    b.replace(at, replacement.size(), replacement);
    return fix_crcs(b);
  };
  const std::vector<Case> cases = {
      {"total_length 15", fix_crcs(be32(15) + be32(0) + std::string(8, '\0')),
       es::Check::TotalLength, 0},
      {"headers_length past the message",
       edited(4, be32(static_cast<std::uint32_t>(base.size() - 15))), es::Check::HeadersLength, 4},
      {"header name length 0", edited(12, std::string(1, '\0')), es::Check::HeaderNameLength, 12},
      {"header name past the block", edited(12, "\x0d"), es::Check::HeaderNameLength, 12},
      {"header name not UTF-8", edited(13, "\xc3\x28"), es::Check::HeaderNameUtf8, 13},
      {"header type 10", edited(15, "\x0a"), es::Check::HeaderType, 15},
      {"header type missing", edited(12, "\x08"), es::Check::HeaderType, 21},
      {"string length past the block", edited(16, be16(4)), es::Check::HeaderValue, 16},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const Decoded d = decode_all(c.bytes, {c.bytes.size()});
    REQUIRE(d.error.has_value());
    INFO(d.error->message);
    CHECK(d.error->check == c.check);
    CHECK(d.error->offset == c.offset);
    CHECK(d.messages.empty());
  }
}

TEST_CASE("eventstream: limits are configurable and checked before allocation") {
  std::string msg;
  REQUIRE(es::encode_message({{":event-type", es::HeaderValue::string("contentBlockDelta")}},
                             std::string(100, 'x'), msg));
  const auto headers_length = static_cast<std::uint32_t>(1 + 11 + 1 + 2 + 17);
  const auto total = static_cast<std::uint32_t>(msg.size());
  struct Case {
    es::Limits limits;
    std::optional<es::Check> check;
  };
  const std::vector<Case> cases = {
      {{}, std::nullopt},
      {{total, headers_length}, std::nullopt},
      {{total - 1, headers_length}, es::Check::MessageLimit},
      {{total, headers_length - 1}, es::Check::HeadersLimit},
  };
  for (const auto& c : cases) {
    for (std::size_t chunk : {msg.size(), std::size_t{1}, std::size_t{5}}) {
      INFO("limits " << c.limits.max_message_bytes << "/" << c.limits.max_headers_bytes << " chunk "
                     << chunk);
      const Decoded d = decode_all(msg, random_chunks_fixed(msg.size(), chunk), {}, c.limits);
      if (!c.check) {
        CHECK(d.messages.size() == 1);
        CHECK(d.finish == es::Status::Ok);
      } else {
        REQUIRE(d.error.has_value());
        CHECK(d.error->check == *c.check);
        CHECK(d.messages.empty());
      }
    }
  }
}

TEST_CASE("eventstream: a callback returning Stop ends delivery") {
  std::string stream;
  for (int i = 0; i < 4; ++i)
    REQUIRE(es::encode_message({{"n", es::HeaderValue::int32(i)}}, "x", stream));
  for (std::size_t chunk : {stream.size(), std::size_t{1}, std::size_t{7}}) {
    INFO("chunk " << chunk);
    std::vector<std::int64_t> seen;
    es::Decoder decoder([&](const es::MessageView& m) {
      seen.push_back(*m.header("n")->as_integer());
      return seen.size() == 2 ? es::Flow::Stop : es::Flow::Continue;
    });
    es::Status last = es::Status::Ok;
    for (std::size_t at = 0; at < stream.size(); at += chunk)
      last = decoder.feed(std::string_view(stream).substr(at, chunk));
    CHECK(last == es::Status::Stopped);
    CHECK(decoder.finish() == es::Status::Stopped);
    CHECK(seen == std::vector<std::int64_t>{0, 1});
    CHECK_FALSE(decoder.error().has_value());
    CHECK(decoder.messages() == 2);
  }
}

TEST_CASE("eventstream: after a fault the decoder stays failed and delivers nothing more") {
  std::string good;
  REQUIRE(es::encode_message({{"n", es::HeaderValue::int32(1)}}, "ok", good));
  std::string bad = good;
  bad[bad.size() - 1] ^= 0x01;
  std::size_t delivered = 0;
  es::Decoder decoder([&](const es::MessageView&) {
    ++delivered;
    return es::Flow::Continue;
  });
  CHECK(decoder.feed(good) == es::Status::Ok);
  CHECK(decoder.feed(bad + good) == es::Status::Failed);
  const es::DecodeError first = *decoder.error();
  CHECK(first.check == es::Check::MessageCrc);
  CHECK(first.message_index == 1);
  CHECK(decoder.feed(good) == es::Status::Failed);
  CHECK(decoder.feed("garbage") == es::Status::Failed);
  CHECK(decoder.finish() == es::Status::Failed);
  CHECK(delivered == 1);
  CHECK(decoder.error()->message == first.message);
  CHECK(decoder.error()->offset == first.offset);
}

TEST_CASE("eventstream: messages inside a chunk are views into it, straddlers are copied") {
  std::string stream;
  for (int i = 0; i < 3; ++i)
    REQUIRE(es::encode_message({{"n", es::HeaderValue::int32(i)}}, "payload", stream));
  const std::size_t one = stream.size() / 3;
  // Chunk 1: message 0 and half of message 1; chunk 2: the rest of 1 and all of 2.
  const std::string chunk1 = stream.substr(0, one + one / 2);
  const std::string chunk2 = stream.substr(chunk1.size());
  std::vector<int> where;  // 1, 2: inside that chunk; 0: elsewhere (the decoder's buffer)
  const std::string* current = nullptr;
  es::Decoder decoder([&](const es::MessageView& m) {
    const char* p = m.bytes().data();
    const bool inside =
        p >= current->data() && p + m.bytes().size() <= current->data() + current->size();
    where.push_back(inside ? (current == &chunk1 ? 1 : 2) : 0);
    return es::Flow::Continue;
  });
  current = &chunk1;
  decoder.feed(chunk1);
  current = &chunk2;
  decoder.feed(chunk2);
  CHECK(decoder.finish() == es::Status::Ok);
  CHECK(where == std::vector<int>{1, 0, 2});
}
