// The request options `converse`, `converse-stream`, `count-tokens` and `chat` share
// (docs/cli.md "Request options"): their option table, and the one way they turn into the typed
// request, the same one --request-file gives. Options win over a request file member by member.
#pragma once

#include <bedrock_lite/converse.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli.h"

namespace bedrock_lite::cli {

// A Usage error: the request options' one way to refuse a value.
inline Error usage(std::string message) {
  return make_error(ErrorKind::Usage, std::move(message));
}

// Which command the table is for: each takes the options its operation sends.
enum class RequestCommand { Converse, ConverseStream, CountTokens, Chat };

// What the options said, unparsed beyond their own syntax.
struct RequestOptions {
  std::string model_id;
  std::optional<std::string> request_file;
  std::optional<std::string> messages_json;
  std::optional<std::string> prompt;
  std::vector<std::string> system;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  std::vector<std::string> attachments;  // --attach, in order
  std::optional<std::string> tools_file;
  std::optional<std::string> tool_choice;  // auto, any or a tool name
  std::vector<std::string> cache;          // system, tools, messages (each at most once)
  std::optional<std::string> cache_ttl;    // 5m, 1h
  std::optional<std::string> additional_fields;
  std::optional<std::int64_t> reasoning_budget;
  bool show_reasoning = false;
  std::optional<std::string> guardrail;  // ID:VERSION
  bool guardrail_trace = false;
  std::optional<std::string> service_tier;
  std::optional<std::string> latency;
  std::vector<std::pair<std::string, std::string>> request_metadata;
};

// The request options of `command`, writing into `options` (which must outlive the table).
std::vector<Option> request_option_table(RequestCommand command, RequestOptions& options);

// What the table cannot say about one option alone: empty, else the usage error.
std::string check_request_options(const RequestOptions& options);

// Reads a file ("-": stdin) whole. A Usage error naming `what` and the file when it cannot.
Result<std::string> read_input(const std::string& path, const char* what);

// The request without the new user turn and without the cache points --cache adds: the request
// file, then each member option on top (--messages replaces the messages). `chat` keeps this as
// its starting point and /save writes it with the conversation as its messages.
Result<converse::ConverseRequest> build_base_request(const RequestOptions& options);

// The blocks `--attach FILE` gives, in order (image, document or video by extension;
// s3://bucket/key as an s3Location). A Usage error naming the file and the limit it breaks.
Result<std::vector<converse::ContentBlock>> read_attachments(const std::vector<std::string>& files);

// Adds a user turn: `blocks` (attachments) then `prompt` as text. Appended to the last message
// when that is a user message (Bedrock wants roles to alternate), else a new message. Does
// nothing when both are empty. A document without a text block beside it is a Usage error.
Result<void> add_user_turn(converse::ConverseRequest& request,
                           std::vector<converse::ContentBlock> blocks,
                           const std::optional<std::string>& prompt);

// Adds the cache points --cache asks for where pydantic-ai's cache settings put them, then
// refuses a request with more than four cache points, naming where each one is.
Result<void> place_cache_points(converse::ConverseRequest& request, const RequestOptions& options);

// The client for the global options, as converse makes it (cli/converse.cpp).
Result<converse::Client> make_cli_client(const GlobalOptions& global);
// Prints the error as `error: <Kind>: <message>`; the exit status (2 for Usage, else 1).
int report_failure(const Error& error);

// The whole request: build_base_request, the user turn (--attach, --prompt), the cache points.
Result<converse::ConverseRequest> build_request(const RequestOptions& options);

}  // namespace bedrock_lite::cli
