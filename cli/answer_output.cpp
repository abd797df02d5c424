// Printing answers for --output text and chat (docs/cli.md, "Answers in text").
#include "answer_output.h"

#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace bedrock_lite::cli {
namespace {

constexpr const char* kReasoningStart = "[reasoning]\n";
constexpr const char* kReasoningEnd = "\n[end of reasoning]\n";
constexpr const char* kReasoningRedacted =
    "[reasoning redacted by the model provider: not shown, kept in the response]\n";

void write(std::FILE* to, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), to);
  std::fflush(to);
}

}  // namespace

std::string tool_use_line(const converse::ToolUseBlock& tool_use) {
  std::string line = "{\"toolUse\":{\"toolUseId\":" + internal::json_string(tool_use.tool_use_id) +
                     ",\"name\":" + internal::json_string(tool_use.name) +
                     ",\"input\":" + (tool_use.input.empty() ? "{}" : tool_use.input);
  if (tool_use.type) line += ",\"type\":" + internal::json_string(*tool_use.type);
  return line + "}}\n";
}

std::string usage_line(const converse::TokenUsage& usage) {
  std::string line = "usage:";
  auto add = [&line](const char* name, const std::optional<std::int64_t>& value) {
    if (value) line += std::string(" ") + name + "=" + std::to_string(*value);
  };
  add("inputTokens", usage.input_tokens);
  add("outputTokens", usage.output_tokens);
  add("totalTokens", usage.total_tokens);
  add("cacheReadInputTokens", usage.cache_read_input_tokens);
  add("cacheWriteInputTokens", usage.cache_write_input_tokens);
  return line;
}

void AnswerPrinter::write_text(const std::string& text) {
  if (text.empty()) return;
  write(stdout, text);
  text_ += text;
  wrote_text_ = true;
  at_line_start_ = text.back() == '\n';
}

void AnswerPrinter::end_line() {
  if (!at_line_start_) write(stdout, "\n");
  at_line_start_ = true;
}

void AnswerPrinter::on_delta(const converse::ContentBlockDeltaEvent& event) {
  const auto& delta = event.delta;
  if (delta.text) write_text(*delta.text);
  if (delta.tool_use) {
    auto call = tool_calls_.find(event.content_block_index);
    if (call != tool_calls_.end()) call->second.input += delta.tool_use->input;
  }
  if (delta.reasoning_content && show_reasoning_) {
    const auto& reasoning = *delta.reasoning_content;
    if (reasoning.text && !reasoning.text->empty()) {
      if (!reasoning_open_[event.content_block_index]) write(stderr, kReasoningStart);
      reasoning_open_[event.content_block_index] = true;
      write(stderr, *reasoning.text);
    }
    if (reasoning.redacted_content) write(stderr, kReasoningRedacted);
  }
}

void AnswerPrinter::on_stop(std::int64_t index) {
  auto open = reasoning_open_.find(index);
  if (open != reasoning_open_.end() && open->second) {
    write(stderr, kReasoningEnd);
    open->second = false;
  }
  auto call = tool_calls_.find(index);
  if (call == tool_calls_.end()) return;
  converse::ToolUseBlock block;
  block.tool_use_id = call->second.tool_use_id;
  block.name = call->second.name;
  block.type = call->second.type;
  block.input = call->second.input.empty() ? "{}" : call->second.input;
  tool_calls_.erase(call);
  // Input that is not one JSON value fails the call (the accumulator checks it); nothing half
  // made is printed.
  if (internal::check_json_value(block.input)) return;
  end_line();
  wrote_text_ = false;
  write(stdout, tool_use_line(block));
}

void AnswerPrinter::on_event(const converse::StreamEvent& event) {
  if (const auto* start = std::get_if<converse::ContentBlockStartEvent>(&event.body)) {
    if (start->start.tool_use) {
      const auto& tool = *start->start.tool_use;
      tool_calls_[start->content_block_index] = {tool.tool_use_id, tool.name, tool.type, {}};
    }
  } else if (const auto* delta = std::get_if<converse::ContentBlockDeltaEvent>(&event.body)) {
    on_delta(*delta);
  } else if (const auto* stop = std::get_if<converse::ContentBlockStopEvent>(&event.body)) {
    on_stop(stop->content_block_index);
  }
}

void AnswerPrinter::finish() {
  for (auto& [index, open] : reasoning_open_) {
    if (open) write(stderr, kReasoningEnd);
    open = false;
  }
  if (wrote_text_) write(stdout, "\n");
  wrote_text_ = false;
  at_line_start_ = true;
}

void print_answer(const converse::ConverseResponse& response, bool show_reasoning) {
  std::string text;
  bool tool_printed = false;
  if (response.output.message) {
    for (const auto& block : response.output.message->content) {
      if (block.text) text += *block.text;
      if (block.reasoning_content && show_reasoning) {
        const auto& reasoning = *block.reasoning_content;
        if (reasoning.reasoning_text) {
          write(stderr, kReasoningStart + reasoning.reasoning_text->text + kReasoningEnd);
        }
        if (reasoning.redacted_content) write(stderr, kReasoningRedacted);
      }
      if (block.tool_use) {
        if (!text.empty()) write(stdout, text.back() == '\n' ? text : text + "\n");
        text.clear();
        write(stdout, tool_use_line(*block.tool_use));
        tool_printed = true;
      }
    }
  }
  // As before tool calls were printed: the text and a newline, even when empty.
  if (!tool_printed || !text.empty()) write(stdout, text + "\n");
}

}  // namespace bedrock_lite::cli
