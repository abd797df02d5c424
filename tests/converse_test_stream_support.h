// What a recorded stream's events say the answer is, worked out from the events alone (not by
// the accumulator under test), and the check of an accumulated response against it. The corpus
// replay and the model tests both use it.
#pragma once

#include <bedrock_lite/converse.h>

#include "support/json.h"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace bedrock_lite::converse_test {

// One content block as its deltas build it.
struct ExpectedBlock {
  std::string text;            // text deltas
  std::string tool_input;      // toolUse input fragments
  bool tool_use = false;       // a contentBlockStart said toolUse
  std::string reasoning_text;  // reasoningContent.text deltas
  std::string signature;
  std::string redacted;
};

struct ExpectedStream {
  std::map<std::int64_t, ExpectedBlock> blocks;  // by contentBlockIndex
  std::string stop_reason;
  std::string metadata_usage;  // the metadata event's usage, as JSON

  // Takes one event: its type and payload (response.events.jsonl's member name and value).
  void add(const std::string& name, const rapidjson::Value& payload) {
    if (name == "contentBlockDelta") {
      const rapidjson::Value& delta = payload["delta"];
      ExpectedBlock& block = blocks[payload["contentBlockIndex"].GetInt64()];
      if (delta.HasMember("text")) block.text += delta["text"].GetString();
      if (delta.HasMember("toolUse")) block.tool_input += delta["toolUse"]["input"].GetString();
      if (delta.HasMember("reasoningContent")) {
        const rapidjson::Value& r = delta["reasoningContent"];
        if (r.HasMember("text")) block.reasoning_text += r["text"].GetString();
        if (r.HasMember("signature")) block.signature += r["signature"].GetString();
        if (r.HasMember("redactedContent")) block.redacted += r["redactedContent"].GetString();
      }
    } else if (name == "contentBlockStart" && payload["start"].HasMember("toolUse")) {
      blocks[payload["contentBlockIndex"].GetInt64()].tool_use = true;
    } else if (name == "messageStop") {
      stop_reason = payload["stopReason"].GetString();
    } else if (name == "metadata") {
      metadata_usage = test::render_json(payload["usage"]);
    }
  }

  // `response` (accumulated from the same events) says what the events said: stop reason,
  // usage, and each block's text, tool input or reasoning.
  void check(const converse::ConverseResponse& response) const {
    CHECK(response.stop_reason == stop_reason);
    const auto rebuilt = test::parse_json(converse::to_json(response).value());
    REQUIRE(rebuilt.HasMember("usage"));
    CHECK(test::json_difference(metadata_usage, test::render_json(rebuilt["usage"])) == "");
    REQUIRE(response.output.message.has_value());
    const auto& content = response.output.message->content;
    REQUIRE(content.size() == blocks.size());
    std::size_t i = 0;
    for (const auto& [block_index, want] : blocks) {
      INFO("block " << block_index);
      const converse::ContentBlock& got = content[i++];
      if (want.tool_use) {
        REQUIRE(got.tool_use.has_value());
        CHECK(test::json_difference(want.tool_input.empty() ? "{}" : want.tool_input,
                                    got.tool_use->input) == "");
      } else if (!want.reasoning_text.empty() || !want.signature.empty() ||
                 !want.redacted.empty()) {
        REQUIRE(got.reasoning_content.has_value());
        if (!want.redacted.empty()) {
          CHECK(got.reasoning_content->redacted_content == want.redacted);
        } else {
          REQUIRE(got.reasoning_content->reasoning_text.has_value());
          CHECK(got.reasoning_content->reasoning_text->text == want.reasoning_text);
          CHECK(got.reasoning_content->reasoning_text->signature.value_or("") == want.signature);
        }
      } else if (got.text) {
        CHECK(*got.text == want.text);
      } else {
        // Nova 2's server-side code execution: a toolResult block, no text of its own.
        CHECK(got.tool_result.has_value());
        CHECK(want.text.empty());
      }
    }
  }
};

}  // namespace bedrock_lite::converse_test
