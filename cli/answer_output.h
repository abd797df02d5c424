// How an answer is printed with `--output text` and in `chat` (docs/cli.md): text on stdout as it
// arrives, each tool call as one JSON line {"toolUse":{...}} on stdout, reasoning on stderr
// between markers when asked for (hidden otherwise), and the usage line.
#pragma once

#include <bedrock_lite/converse.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bedrock_lite::cli {

// Prints one ConverseStream answer event by event. Single-thread.
class AnswerPrinter {
 public:
  explicit AnswerPrinter(bool show_reasoning) : show_reasoning_(show_reasoning) {}
  void on_event(const converse::StreamEvent& event);
  // Ends the answer's last line (a newline after text, as converse-stream always printed).
  void finish();
  // The answer's text so far (text blocks only), for chat's history.
  const std::string& text() const { return text_; }

 private:
  struct ToolCall {
    std::string tool_use_id;
    std::string name;
    std::optional<std::string> type;
    std::string input;
  };
  void write_text(const std::string& text);
  void end_line();
  void on_delta(const converse::ContentBlockDeltaEvent& event);
  void on_stop(std::int64_t index);

  bool show_reasoning_;
  bool at_line_start_ = true;
  bool wrote_text_ = false;
  std::string text_;
  std::map<std::int64_t, ToolCall> tool_calls_;
  std::map<std::int64_t, bool> reasoning_open_;
};

// The whole answer of a Converse response, printed as AnswerPrinter prints a stream.
void print_answer(const converse::ConverseResponse& response, bool show_reasoning);

// {"toolUse":{"toolUseId":...,"name":...,"input":...}}: `input` is raw JSON text written as is.
std::string tool_use_line(const converse::ToolUseBlock& tool_use);

// "usage: inputTokens=N outputTokens=N totalTokens=N [cacheReadInputTokens=N]
// [cacheWriteInputTokens=N]"
std::string usage_line(const converse::TokenUsage& usage);

}  // namespace bedrock_lite::cli
