// Helpers the replay test files share: a body sink that keeps what a transport delivered, and
// the operation a recorded fixture folder holds.
#pragma once

#include <bedrock_lite/http.h>

#include "support/fixtures.h"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::replay_test {

// Keeps the head (and how many heads came) and every body chunk.
struct CollectSink : http::BodySink {
  int heads = 0;
  http::ResponseHead head;
  std::vector<std::string> chunks;
  bool on_head(const http::ResponseHead& h) override {
    ++heads;
    head = h;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    chunks.emplace_back(chunk);
    return true;
  }
  std::string body() const {
    std::string all;
    for (const auto& c : chunks) all += c;
    return all;
  }
};

// "Converse", "ConverseStream" or "CountTokens": the folder's meta.json `operation`.
inline std::string operation_of(const std::string& folder) {
  rapidjson::Document meta;
  const std::string text =
      bedrock_lite::test::read_file(std::filesystem::path(folder) / "meta.json");
  meta.Parse(text.c_str());
  REQUIRE_FALSE(meta.HasParseError());
  REQUIRE(meta.HasMember("operation"));
  return meta["operation"].GetString();
}

}  // namespace bedrock_lite::replay_test
