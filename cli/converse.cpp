// `converse`, `converse-stream` and `count-tokens` (docs/cli.md): argument parsing and output only;
// the work is the library's Client.
#include "cli.h"

#include <bedrock_lite/converse.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace bedrock_lite::cli {
namespace {

using converse::ConverseRequest;

enum class Operation { Converse, ConverseStream, CountTokens };

struct Options {
  std::string model_id;
  std::optional<std::string> request_file;
  std::optional<std::string> messages_json;
  std::optional<std::string> prompt;
  std::vector<std::string> system;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  std::string output = "text";
};

int fail(const Error& error) {
  return report_error(error.display_name(), error.message,
                      error.kind == ErrorKind::Usage ? kExitUsage : kExitFailure);
}

bool parse_double(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(out);
}

bool parse_int(const std::string& text, std::int64_t& out) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size()) return false;
  out = value;
  return true;
}

// A number from 0 to 1 into `target`.
std::function<std::string(const std::string&)> unit_interval(const char* name,
                                                             std::optional<double>& target) {
  return [name, &target](const std::string& value) -> std::string {
    double number = 0;
    if (!parse_double(value, number) || number < 0 || number > 1) {
      return std::string(name) + " takes a number from 0 to 1, not '" + value + "'";
    }
    target = number;
    return {};
  };
}

// The command's option table, writing into `options`.
CommandLine command_line(Operation command, Options& options) {
  const bool stream = command == Operation::ConverseStream;
  const bool count = command == Operation::CountTokens;
  auto text_into = [](std::optional<std::string>& target) {
    return [&target](const std::string& value) -> std::string {
      target = value;
      return {};
    };
  };
  auto append_to = [](std::vector<std::string>& target) {
    return [&target](const std::string& value) -> std::string {
      target.push_back(value);
      return {};
    };
  };
  CommandLine line;
  line.name = count ? "count-tokens" : stream ? "converse-stream" : "converse";
  line.summary = count ? "Count the input tokens of a Converse-shaped request (docs/cli.md)."
                 : stream
                     ? "Send a ConverseStream request; print events as they arrive (docs/cli.md)."
                     : "Send a Converse request and print the reply (docs/cli.md).";
  line.options = {
      {"--model-id", "ID", "model id, inference-profile id or ARN, or prompt ARN (required)",
       [&options](const std::string& value) -> std::string {
         options.model_id = value;
         return {};
       }},
      {"--request-file", "FILE", "the whole request body as JSON (- for stdin)",
       text_into(options.request_file)},
      {"--messages", "JSON", "the messages array as JSON", text_into(options.messages_json)},
      {"--prompt", "TEXT", "one user message with this text", text_into(options.prompt)},
      {"--system", "TEXT", "a system prompt block (repeatable)", append_to(options.system)},
  };
  if (!count) {
    line.options.push_back({"--max-tokens", "N", "inferenceConfig.maxTokens",
                            [&options](const std::string& value) -> std::string {
                              std::int64_t n = 0;
                              if (!parse_int(value, n) || n < 1) {
                                return "--max-tokens takes a whole number of at least 1, not '" +
                                       value + "'";
                              }
                              options.max_tokens = n;
                              return {};
                            }});
    line.options.push_back({"--temperature", "T", "inferenceConfig.temperature, 0 to 1",
                            unit_interval("--temperature", options.temperature)});
    line.options.push_back(
        {"--top-p", "P", "inferenceConfig.topP, 0 to 1", unit_interval("--top-p", options.top_p)});
    line.options.push_back(
        {"--stop", "SEQ", "a stop sequence (repeatable)", append_to(options.stop)});
  }
  line.options.push_back(
      {"--output", stream ? "text|jsonl" : "text|json",
       stream ? "text deltas as they arrive (default), or one JSON line per event"
              : "the assistant's text (default), or the response body as JSON",
       [&options, stream](const std::string& value) -> std::string {
         const bool allowed = value == "text" || (stream ? value == "jsonl" : value == "json");
         if (!allowed) {
           return std::string("--output takes ") + (stream ? "text or jsonl" : "text or json") +
                  ", not '" + value + "'";
         }
         options.output = value;
         return {};
       }});
  return line;
}

// What the table cannot say about one option alone. Empty on success, else the usage error.
std::string check_options(const Options& options) {
  if (options.model_id.empty()) return "--model-id is required";
  const int sources =
      (options.request_file ? 1 : 0) + (options.messages_json ? 1 : 0) + (options.prompt ? 1 : 0);
  if (sources > 1) return "give only one of --request-file, --messages and --prompt";
  return {};
}

// stdio, not iostreams: iostreams would pull libstdc++'s locale machinery into the static CLI
// (about 600 KiB) and touch more pages at start-up in the dynamic one.
Result<std::string> read_input(const std::string& path) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) return make_error(ErrorKind::Usage, "cannot read request file '" + path + "'");
  std::string text;
  char buffer[16384];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(in) != 0;
  if (in != stdin) std::fclose(in);
  if (failed) return make_error(ErrorKind::Usage, "cannot read request file '" + path + "'");
  return text;
}

// The request from the inputs: a whole body (--request-file), a messages array or a prompt,
// then the member flags on top.
Result<ConverseRequest> build_request(const Options& options) {
  ConverseRequest request;
  if (options.request_file) {
    auto text = read_input(*options.request_file);
    if (!text) return std::move(text).error();
    auto parsed = converse::parse_converse_request(*text);
    if (!parsed) {
      Error error = std::move(parsed).error();
      error.message = *options.request_file + ": " + error.message;
      return error;
    }
    request = std::move(parsed).value();
  } else if (options.messages_json) {
    auto parsed = converse::parse_converse_request("{\"messages\":" + *options.messages_json + "}");
    if (!parsed) {
      Error error = std::move(parsed).error();
      error.message = "--messages: " + error.message;
      return error;
    }
    request = std::move(parsed).value();
  } else if (options.prompt) {
    converse::ContentBlock block;
    block.text = *options.prompt;
    converse::Message message;
    message.role = "user";
    message.content.push_back(std::move(block));
    request.messages = std::vector<converse::Message>{std::move(message)};
  }
  request.model_id = options.model_id;
  if (!options.system.empty()) {
    std::vector<converse::SystemContentBlock> system;
    for (const auto& text : options.system) {
      converse::SystemContentBlock block;
      block.text = text;
      system.push_back(std::move(block));
    }
    request.system = std::move(system);
  }
  if (options.max_tokens || options.temperature || options.top_p || !options.stop.empty()) {
    converse::InferenceConfig config =
        request.inference_config.value_or(converse::InferenceConfig{});
    if (options.max_tokens) config.max_tokens = options.max_tokens;
    if (options.temperature) config.temperature = options.temperature;
    if (options.top_p) config.top_p = options.top_p;
    if (!options.stop.empty()) config.stop_sequences = options.stop;
    request.inference_config = std::move(config);
  }
  return request;
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  // Rounded half away from zero like std::llround, without pulling libm into the CLI.
  const double ms = seconds * 1000.0;
  return std::chrono::milliseconds(ms < 0 ? -static_cast<long long>(-ms + 0.5)
                                          : static_cast<long long>(ms + 0.5));
}

// "http://127.x.y.z", "http://localhost", "http://[::1]", with or without a port or path.
bool is_loopback_url(const std::string& url) {
  const std::string host =
      url.substr(7, url.find_first_of(":/", url[7] == '[' ? url.find(']') : 7) - 7);
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "[::1]";
}

// The client for the global options: the standard chain and files; --replay and --record are
// the library's replay_dir and record_dir, and --record-mode (with either folder) its
// record_mode over that folder. The record/replay transport's destructor, when the client goes,
// is the end of an "all" run.
Result<converse::Client> make_client(const GlobalOptions& global) {
  converse::ConfigOverrides overrides;
  overrides.region = global.region;
  overrides.profile = global.profile;
  overrides.endpoint_url = global.endpoint_url;
  overrides.max_attempts = global.max_attempts;
  overrides.mfa_code = mfa_code_callback(global);
  overrides.replay_dir = global.replay_dir;
  if (!global.replay_dir) overrides.record_dir = global.record_dir;
  if (global.record_mode) {
    if (global.replay_dir && global.record_dir) {
      return make_error(ErrorKind::Usage,
                        "--record-mode applies to one folder: give --replay DIR or --record DIR");
    }
    if (!global.replay_dir && !global.record_dir) {
      return make_error(ErrorKind::Usage, "--record-mode needs the folder: --replay DIR");
    }
    overrides.replay_dir = global.replay_dir ? global.replay_dir : global.record_dir;
    overrides.record_dir.reset();
    overrides.record_mode = global.record_mode;
  }
  if (global.connect_timeout_seconds)
    overrides.connect_timeout = seconds_to_ms(*global.connect_timeout_seconds);
  if (global.read_timeout_seconds)
    overrides.read_timeout = seconds_to_ms(*global.read_timeout_seconds);
  overrides.log = debug_log_hook(global);
  auto config = converse::resolve_config(credentials::Environment::from_process(), overrides);
  if (!config) return std::move(config).error();
  // Plain HTTP only ever comes from an explicit endpoint URL; say so (loopback, which never
  // leaves the machine, only under --debug, so test and serve-fixtures runs stay quiet).
  const bool replays_only = config->recordings && config->recordings->replays_only();
  if (!replays_only && config->endpoint.rfind("http://", 0) == 0 &&
      (global.debug || !is_loopback_url(config->endpoint)))
    std::fprintf(stderr, "warning: plain HTTP endpoint %s: requests are not encrypted\n",
                 config->endpoint.c_str());
  if (global.debug) {
    for (const auto& origin : config->origins) {
      std::fprintf(stderr, "debug: %s = %s (from %s)\n", origin.setting.c_str(),
                   origin.value.c_str(), origin.source.c_str());
    }
  }
  return converse::Client::create(std::move(config).value());
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

void write_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// One Bedrock operation from the command line: parse the options, build the request, call the
// service through a client, print the answer.
int run_operation(Operation command, const GlobalOptions& global,
                  const std::vector<std::string>& args) {
  Options options;
  if (auto done = parse_command_line(command_line(command, options), args)) return *done;
  if (auto problem = check_options(options); !problem.empty()) return usage_error(problem);
  auto request = build_request(options);
  if (!request) return fail(request.error());
  auto client = make_client(global);
  if (!client) return fail(client.error());

  if (command == Operation::CountTokens) {
    auto response = client->count_tokens(converse::count_tokens_request(*request));
    if (!response) return fail(response.error());
    if (options.output == "json") {
      auto json = converse::to_json(*response);
      if (!json) return fail(json.error());
      write_out(*json + "\n");
    } else {
      std::printf("%lld\n", static_cast<long long>(response->input_tokens));
    }
    return kExitOk;
  }

  if (command == Operation::Converse) {
    auto response = client->converse(*request);
    if (!response) return fail(response.error());
    if (options.output == "json") {
      auto json = converse::to_json(*response);
      if (!json) return fail(json.error());
      write_out(*json + "\n");
    } else {
      std::string text;
      if (response->output.message) {
        for (const auto& block : response->output.message->content) {
          if (block.text) text += *block.text;
        }
      }
      write_out(text + "\n");
    }
    return kExitOk;
  }

  // converse-stream: each event is written and flushed as it arrives.
  const bool jsonl = options.output == "jsonl";
  bool wrote_text = false;
  auto response = client->converse_stream(*request, [&](const converse::StreamEvent& event) {
    if (jsonl) {
      std::string line = "{\"" + event.event_type + "\":" + event.payload + "}\n";
      write_out(line);
      std::fflush(stdout);
    } else if (const auto* delta = std::get_if<converse::ContentBlockDeltaEvent>(&event.body)) {
      if (delta->delta.text && !delta->delta.text->empty()) {
        write_out(*delta->delta.text);
        std::fflush(stdout);
        wrote_text = true;
      }
    }
    return converse::StreamControl::Continue;
  });
  if (!jsonl && wrote_text) {
    write_out("\n");
    std::fflush(stdout);
  }
  if (!response) return fail(response.error());
  if (!jsonl && response->usage) std::fprintf(stderr, "%s\n", usage_line(*response->usage).c_str());
  return kExitOk;
}

}  // namespace

int run_converse(const GlobalOptions& global, const std::vector<std::string>& args) {
  return run_operation(Operation::Converse, global, args);
}

int run_converse_stream(const GlobalOptions& global, const std::vector<std::string>& args) {
  return run_operation(Operation::ConverseStream, global, args);
}

int run_count_tokens(const GlobalOptions& global, const std::vector<std::string>& args) {
  return run_operation(Operation::CountTokens, global, args);
}

}  // namespace bedrock_lite::cli
