// Allocation accounting for the eventstream tests: this file replaces the global operator new
// (plain and nothrow forms; the aligned ones stay the runtime's) for the whole eventstream_test
// executable, counting allocations and recording the largest one,
// so tests can prove "no allocation in the steady state" and "a 4 GiB length prefix is rejected
// before any allocation".
#include <bedrock_lite/eventstream.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>

#include "eventstream_test_support.h"

namespace {
std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_largest{0};

void* counted_allocate(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  std::size_t largest = g_largest.load(std::memory_order_relaxed);
  while (size > largest && !g_largest.compare_exchange_weak(largest, size)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

// Counts allocations made between construction and the read.
struct AllocationWindow {
  AllocationWindow() {
    g_largest.store(0);
    start = g_allocations.load();
  }
  std::size_t count() const { return g_allocations.load() - start; }
  std::size_t largest() const { return g_largest.load(); }
  std::size_t start;
};
}  // namespace

void* operator new(std::size_t size) {
  return counted_allocate(size);
}
void* operator new[](std::size_t size) {
  return counted_allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace es = bedrock_lite::eventstream;
using namespace bedrock_lite::eventstream_test;

TEST_CASE("eventstream: a 4 GiB length prefix is rejected before any allocation") {
  // total_length 0xFFFFFFFF, headers_length 0, valid prelude_crc: only the limit can stop it.
  const std::string prelude =
      fix_crcs(be32(0xFFFFFFFFu) + be32(0) + std::string(8, '\0')).substr(0, 12);
  for (std::size_t chunk : {std::size_t{12}, std::size_t{1}, std::size_t{5}}) {
    INFO("fed in chunks of " << chunk);
    std::size_t delivered = 0;
    es::Decoder decoder([&](const es::MessageView&) {
      ++delivered;
      return es::Flow::Continue;
    });
    es::Status status = es::Status::Ok;
    std::size_t allocations = 0;
    std::size_t largest = 0;
    {
      const AllocationWindow window;
      for (std::size_t at = 0; at < prelude.size(); at += chunk)
        status = decoder.feed(std::string_view(prelude).substr(at, chunk));
      // The error's one-line message is the only allocation allowed.
      allocations = window.count();
      largest = window.largest();
    }
    CHECK(status == es::Status::Failed);
    REQUIRE(decoder.error().has_value());
    CHECK(decoder.error()->check == es::Check::MessageLimit);
    CHECK(decoder.error()->offset == 0);
    CHECK(decoder.error()->message.find("total_length 4294967295 exceeds the limit of 25165824") ==
          0);
    CHECK(largest < 1024);
    CHECK(allocations <= 4);
    CHECK(delivered == 0);
  }
}

TEST_CASE("eventstream: no allocation in the steady state") {
  // A chat-like stream fed in 8 KiB chunks: after the first straddling message sized the buffer,
  // decoding allocates nothing.
  std::string stream;
  for (int i = 0; i < 2000; ++i) {
    // Same size every time: a larger straddling message would (rightly) grow the buffer.
    std::string digits = std::to_string(10000 + i);
    const std::string payload = R"({"contentBlockIndex":0,"delta":{"text":"token )" + digits +
                                R"("},"p":"abcdefghijklmnop"})";
    REQUIRE(es::encode_message({{":event-type", es::HeaderValue::string("contentBlockDelta")},
                                {":content-type", es::HeaderValue::string("application/json")},
                                {":message-type", es::HeaderValue::string("event")}},
                               payload, stream));
  }
  std::size_t delivered = 0;
  std::size_t payload_bytes = 0;
  es::Decoder decoder([&](const es::MessageView& m) {
    ++delivered;
    payload_bytes += m.payload().size();
    return m.event_type() ? es::Flow::Continue : es::Flow::Stop;
  });
  constexpr std::size_t kChunk = 8192;
  constexpr std::size_t kWarmup = 4 * kChunk;
  REQUIRE(decoder.feed(std::string_view(stream).substr(0, kChunk)) == es::Status::Ok);
  // Warm-up: the first chunk boundaries (a body straddle sizes the buffer; a prelude straddle
  // alone does not).
  for (std::size_t at = kChunk; at < kWarmup; at += kChunk)
    decoder.feed(std::string_view(stream).substr(at, kChunk));
  std::size_t allocations = 0;
  {
    const AllocationWindow window;
    for (std::size_t at = kWarmup; at < stream.size(); at += kChunk)
      decoder.feed(std::string_view(stream).substr(at, kChunk));
    allocations = window.count();
  }
  CHECK(decoder.finish() == es::Status::Ok);
  CHECK(delivered == 2000);
  CHECK(payload_bytes > 0);
  CHECK(allocations == 0);
}
