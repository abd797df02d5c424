// `converse`, `converse-stream` and `count-tokens` (docs/cli.md): argument parsing and output only;
// the work is the library's Client.
#include <bedrock_lite/converse.h>

#include "answer_output.h"
#include "cli.h"
#include "request_options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace bedrock_lite::cli {
namespace {

enum class Operation { Converse, ConverseStream, CountTokens };

int fail(const Error& error) {
  return report_error(error.display_name(), error.message,
                      error.kind == ErrorKind::Usage ? kExitUsage : kExitFailure);
}

// The command's option table: the request options, then --output; writing into `options` and
// `output`.
CommandLine command_line(Operation command, RequestOptions& options, std::string& output) {
  const bool stream = command == Operation::ConverseStream;
  const bool count = command == Operation::CountTokens;
  CommandLine line;
  line.name = count ? "count-tokens" : stream ? "converse-stream" : "converse";
  line.summary = count ? "Count the input tokens of a Converse-shaped request (docs/cli.md)."
                 : stream
                     ? "Send a ConverseStream request; print events as they arrive (docs/cli.md)."
                     : "Send a Converse request and print the reply (docs/cli.md).";
  line.options = request_option_table(count    ? RequestCommand::CountTokens
                                      : stream ? RequestCommand::ConverseStream
                                               : RequestCommand::Converse,
                                      options);
  line.options.push_back(
      {"--output", stream ? "text|jsonl" : "text|json",
       stream ? "text deltas as they arrive (default), or one JSON line per event"
              : "the assistant's text (default), or the response body as JSON",
       [&output, stream](const std::string& value) -> std::string {
         const bool allowed = value == "text" || (stream ? value == "jsonl" : value == "json");
         if (!allowed) {
           return std::string("--output takes ") + (stream ? "text or jsonl" : "text or json") +
                  ", not '" + value + "'";
         }
         output = value;
         return {};
       }});
  return line;
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

void write_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// A response as one JSON line on stdout; a response that cannot be written is an error.
template <class Response>
int write_json(const Response& response) {
  auto json = converse::to_json(response);
  if (!json) return fail(json.error());
  write_out(*json + "\n");
  return kExitOk;
}

int count_tokens(const converse::Client& client, const converse::ConverseRequest& request,
                 const std::string& output) {
  auto response = client.count_tokens(converse::count_tokens_request(request));
  if (!response) return fail(response.error());
  if (output == "json") return write_json(*response);
  std::printf("%lld\n", static_cast<long long>(response->input_tokens));
  return kExitOk;
}

int converse_once(const converse::Client& client, const converse::ConverseRequest& request,
                  const std::string& output, bool show_reasoning) {
  auto response = client.converse(request);
  if (!response) return fail(response.error());
  if (output == "json") return write_json(*response);
  print_answer(*response, show_reasoning);
  return kExitOk;
}

// converse-stream: each event is written and flushed as it arrives.
int converse_stream(const converse::Client& client, const converse::ConverseRequest& request,
                    const std::string& output, bool show_reasoning) {
  const bool jsonl = output == "jsonl";
  AnswerPrinter printer(show_reasoning);
  auto response = client.converse_stream(request, [&](const converse::StreamEvent& event) {
    if (jsonl) {
      std::string line = "{\"" + event.event_type + "\":" + event.payload + "}\n";
      write_out(line);
      std::fflush(stdout);
    } else {
      printer.on_event(event);
    }
    return converse::StreamControl::Continue;
  });
  if (!jsonl) printer.finish();
  if (!response) return fail(response.error());
  if (!jsonl && response->usage) std::fprintf(stderr, "%s\n", usage_line(*response->usage).c_str());
  return kExitOk;
}

// One Bedrock operation from the command line: parse the options, build the request (nothing is
// sent when that fails), call the service through a client, print the answer.
int run_operation(Operation command, const GlobalOptions& global,
                  const std::vector<std::string>& args) {
  RequestOptions options;
  std::string output = "text";
  if (auto done = parse_command_line(command_line(command, options, output), args)) return *done;
  if (auto problem = check_request_options(options); !problem.empty()) return usage_error(problem);
  auto request = build_request(options);
  if (!request) return fail(request.error());
  auto client = make_client(global);
  if (!client) return fail(client.error());
  switch (command) {
    case Operation::CountTokens:
      return count_tokens(*client, *request, output);
    case Operation::Converse:
      return converse_once(*client, *request, output, options.show_reasoning);
    case Operation::ConverseStream:
      break;
  }
  return converse_stream(*client, *request, output, options.show_reasoning);
}

}  // namespace

Result<converse::Client> make_cli_client(const GlobalOptions& global) {
  return make_client(global);
}

int report_failure(const Error& error) {
  return fail(error);
}

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
