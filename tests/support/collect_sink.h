// A body sink that records what a transport hands over, for the http and replay tests.
#pragma once

#include <bedrock_lite/http.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::test {

// Records everything a transport hands over, in order.
struct CollectSink : http::BodySink {
  int heads = 0;
  bool body_before_head = false;
  http::ResponseHead head;
  std::vector<std::string> chunks;
  bool cancel_on_head = false;
  std::size_t cancel_after_bytes = SIZE_MAX;
  std::size_t bytes = 0;

  bool on_head(const http::ResponseHead& h) override {
    ++heads;
    head = h;
    return !cancel_on_head;
  }
  bool on_body(std::string_view chunk) override {
    if (heads == 0) body_before_head = true;
    chunks.emplace_back(chunk);
    bytes += chunk.size();
    return bytes < cancel_after_bytes;
  }
  std::string body() const {
    std::string all;
    for (const auto& c : chunks) all += c;
    return all;
  }
};

}  // namespace bedrock_lite::test
