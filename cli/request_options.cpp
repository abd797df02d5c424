// The request options shared by converse, converse-stream, count-tokens and chat (docs/cli.md
// "Request options"): one table, and one way from the options to the typed request.
#include "request_options.h"

#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <sys/stat.h>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::cli {
namespace {

using converse::ContentBlock;
using converse::ConverseRequest;

bool parse_double(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(out);
}

bool parse_int(const std::string& text, std::int64_t& out) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) return false;
  out = value;
  return true;
}

Apply append_to(std::vector<std::string>& target) {
  return [&target](const std::string& value) -> std::string {
    target.push_back(value);
    return {};
  };
}

// One of `allowed` into `target`.
Apply choice_into(const char* name, std::vector<std::string> allowed,
                  std::optional<std::string>& target) {
  return [name, allowed, &target](const std::string& value) -> std::string {
    std::string list;
    for (const auto& candidate : allowed) {
      if (value == candidate) {
        target = value;
        return {};
      }
      list += (list.empty() ? "" : ", ") + candidate;
    }
    return std::string(name) + " takes one of " + list + ", not '" + value + "'";
  };
}

// A number from 0 to 1 into `target`.
Apply unit_interval(const char* name, std::optional<double>& target) {
  return [name, &target](const std::string& value) -> std::string {
    double number = 0;
    if (!parse_double(value, number) || number < 0 || number > 1) {
      return std::string(name) + " takes a number from 0 to 1, not '" + value + "'";
    }
    target = number;
    return {};
  };
}

// A whole number of at least `minimum` into `target`.
Apply whole_number(const char* name, std::int64_t minimum, std::optional<std::int64_t>& target) {
  return [name, minimum, &target](const std::string& value) -> std::string {
    std::int64_t n = 0;
    if (!parse_int(value, n) || n < minimum) {
      return std::string(name) + " takes a whole number of at least " + std::to_string(minimum) +
             ", not '" + value + "'";
    }
    target = n;
    return {};
  };
}

// requestMetadata keys and values (docs/wire-protocol.md §1.4): [a-zA-Z0-9\s:_@$#=/+,-.].
bool metadata_text_ok(const std::string& text) {
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
        std::strchr(" \t\n\r:_@$#=/+,-.", c) == nullptr)
      return false;
  }
  return true;
}

std::string add_metadata(RequestOptions& options, const std::string& value) {
  const auto equals = value.find('=');
  if (equals == std::string::npos || equals == 0) {
    return "--request-metadata takes KEY=VALUE, not '" + value + "'";
  }
  std::string key = value.substr(0, equals);
  std::string text = value.substr(equals + 1);
  if (key.size() > 256 || text.size() > 256 || !metadata_text_ok(key) || !metadata_text_ok(text)) {
    return "--request-metadata '" + value +
           "': keys (1 to 256 characters) and values (0 to 256) may hold only letters, digits, "
           "whitespace and :_@$#=/+,-. (docs/wire-protocol.md, requestMetadata)";
  }
  options.request_metadata.emplace_back(std::move(key), std::move(text));
  return {};
}

std::string add_cache(RequestOptions& options, const std::string& value) {
  if (value != "system" && value != "tools" && value != "messages") {
    return "--cache takes system, tools or messages, not '" + value + "'";
  }
  for (const auto& seen : options.cache) {
    if (seen == value) return "--cache " + value + " is given twice";
  }
  options.cache.push_back(value);
  return {};
}

void add_inference_options(std::vector<Option>& table, RequestOptions& options) {
  table.push_back({"--max-tokens", "N", "inferenceConfig.maxTokens",
                   whole_number("--max-tokens", 1, options.max_tokens)});
  table.push_back({"--temperature", "T", "inferenceConfig.temperature, 0 to 1",
                   unit_interval("--temperature", options.temperature)});
  table.push_back(
      {"--top-p", "P", "inferenceConfig.topP, 0 to 1", unit_interval("--top-p", options.top_p)});
  table.push_back({"--stop", "SEQ", "a stop sequence (repeatable)", append_to(options.stop)});
}

// The options CountTokens has no member for (docs/wire-protocol.md §1.8).
void add_invocation_options(std::vector<Option>& table, RequestOptions& options) {
  table.push_back({"--show-reasoning", nullptr,
                   "print the model's reasoning on stderr, marked (hidden by default)",
                   set_flag(options.show_reasoning)});
  table.push_back({"--guardrail", "ID:VERSION",
                   "guardrailConfig: guardrail id or ARN, and version (a number or DRAFT)",
                   text_into(options.guardrail)});
  table.push_back({"--guardrail-trace", nullptr, "guardrailConfig.trace = enabled",
                   set_flag(options.guardrail_trace)});
  table.push_back({"--service-tier", "priority|default|flex|reserved", "serviceTier.type",
                   choice_into("--service-tier", {"priority", "default", "flex", "reserved"},
                               options.service_tier)});
  table.push_back({"--latency", "standard|optimized", "performanceConfig.latency",
                   choice_into("--latency", {"standard", "optimized"}, options.latency)});
  table.push_back({"--request-metadata", "KEY=VALUE", "a requestMetadata entry (repeatable)",
                   [&options](const std::string& value) { return add_metadata(options, value); }});
}

}  // namespace

std::vector<Option> request_option_table(RequestCommand command, RequestOptions& options) {
  const bool count = command == RequestCommand::CountTokens;
  std::vector<Option> table = {
      {"--model-id", "ID", "model id, inference-profile id or ARN, or prompt ARN (required)",
       [&options](const std::string& value) -> std::string {
         options.model_id = value;
         return {};
       }},
      {"--request-file", "FILE", "the whole request body as JSON (- for stdin)",
       text_into(options.request_file)},
      {"--messages", "JSON", "the messages array as JSON", text_into(options.messages_json)},
  };
  if (command != RequestCommand::Chat) {
    table.push_back({"--prompt", "TEXT", "a user turn with this text (after the messages)",
                     text_into(options.prompt)});
  }
  table.push_back(
      {"--system", "TEXT", "a system prompt block (repeatable)", append_to(options.system)});
  if (!count) add_inference_options(table, options);
  table.push_back({"--attach", "FILE",
                   "an image, document or video (by extension; s3://bucket/key too) for the user "
                   "turn (repeatable)",
                   append_to(options.attachments)});
  table.push_back({"--tools-file", "FILE", "a JSON array of tool specifications, or a toolConfig",
                   text_into(options.tools_file)});
  table.push_back(
      {"--tool-choice", "auto|any|NAME", "toolConfig.toolChoice", text_into(options.tool_choice)});
  table.push_back({"--cache", "system|tools|messages",
                   "a cachePoint after the system prompt, the tools or the last user message "
                   "(repeatable)",
                   [&options](const std::string& value) { return add_cache(options, value); }});
  table.push_back({"--cache-ttl", "5m|1h", "the ttl of the cache points --cache adds",
                   choice_into("--cache-ttl", {"5m", "1h"}, options.cache_ttl)});
  table.push_back({"--additional-fields", "JSON",
                   "a JSON object merged into additionalModelRequestFields",
                   text_into(options.additional_fields)});
  table.push_back(
      {"--reasoning-budget", "TOKENS",
       "Anthropic extended thinking, TOKENS of at least 1024 (additionalModelRequestFields)",
       whole_number("--reasoning-budget", 1024, options.reasoning_budget)});
  if (!count) add_invocation_options(table, options);
  return table;
}

std::string check_request_options(const RequestOptions& options) {
  if (options.model_id.empty()) return "--model-id is required";
  if (options.cache_ttl && options.cache.empty()) return "--cache-ttl needs --cache";
  return {};
}

// stdio, not iostreams: iostreams would pull libstdc++'s locale machinery into the static CLI
// (about 600 KiB) and touch more pages at start-up in the dynamic one.
Result<std::string> read_input(const std::string& path, const char* what) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    return usage(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char buffer[16384];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(in) != 0;
  if (in != stdin) std::fclose(in);
  if (failed) return usage(std::string("cannot read ") + what + " '" + path + "'");
  return text;
}

}  // namespace bedrock_lite::cli
