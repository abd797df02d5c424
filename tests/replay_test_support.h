// Helpers the replay test files share: the body sink of support/collect_sink.h, and the
// operation a recorded fixture folder holds.
#pragma once

#include <bedrock_lite/http.h>

#include "support/collect_sink.h"
#include "support/fixtures.h"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::replay_test {

using bedrock_lite::test::CollectSink;

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
