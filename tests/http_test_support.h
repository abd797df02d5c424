// Helpers shared by the http test files: the body sink that records what a transport hands
// over (support/collect_sink.h), and a GET request.
#pragma once

#include <bedrock_lite/http.h>

#include "support/collect_sink.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::http_test {

namespace http = bedrock_lite::http;

using bedrock_lite::test::CollectSink;

inline http::Request get(const std::string& url) {
  http::Request request;
  request.method = "GET";
  request.url = url;
  return request;
}

}  // namespace bedrock_lite::http_test
