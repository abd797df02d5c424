// Option tables: the one place a command's arguments are parsed and its help is printed from.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"

namespace bedrock_lite::cli {
namespace {

bool parse_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && out >= 0;
}

// A non-negative number of seconds into `target`.
std::function<std::string(const std::string&)> seconds_into(const char* name,
                                                            std::optional<double>& target) {
  return [name, &target](const std::string& value) -> std::string {
    double number = 0;
    if (!parse_number(value, number)) {
      return std::string(name) + " takes a non-negative number, not '" + value + "'";
    }
    target = number;
    return {};
  };
}

std::string label(const Option& option) {
  return option.value_name ? std::string(option.name) + " " + option.value_name : option.name;
}

void print_options(const std::vector<Option>& options, std::size_t width) {
  for (const auto& option : options) {
    std::printf("  %-*s  %s\n", static_cast<int>(width), label(option).c_str(), option.help);
  }
}

bool is_help(const std::string& arg) {
  return arg == "--help" || arg == "-h";
}

// Set only by the completion and man generators, for one run of the program.
CommandLineSink& command_line_sink() {
  static CommandLineSink sink;
  return sink;
}

}  // namespace

LogHook debug_log_hook(const GlobalOptions& global) {
  if (!global.debug) return {};
  return [](LogLevel, std::string_view message) {
    std::fprintf(stderr, "debug: %.*s\n", static_cast<int>(message.size()), message.data());
  };
}

Apply set_flag(bool& target) {
  return [&target](const std::string&) -> std::string {
    target = true;
    return {};
  };
}

Apply text_into(std::string& target) {
  return [&target](const std::string& value) -> std::string {
    target = value;
    return {};
  };
}

Apply text_into(std::optional<std::string>& target) {
  return [&target](const std::string& value) -> std::string {
    target = value;
    return {};
  };
}

std::vector<Option> global_option_table(GlobalOptions& global) {
  return {
      {"--region", "R", "AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)",
       text_into(global.region)},
      {"--profile", "P", "shared-config profile (else AWS_PROFILE, else default)",
       text_into(global.profile)},
      {"--endpoint-url", "URL", "endpoint instead of the one the region's rules give",
       text_into(global.endpoint_url)},
      {"--connect-timeout", "SECONDS", "connect timeout per attempt",
       seconds_into("--connect-timeout", global.connect_timeout_seconds)},
      {"--read-timeout", "SECONDS", "longest wait for the next byte, per attempt",
       seconds_into("--read-timeout", global.read_timeout_seconds)},
      {"--max-attempts", "N", "attempts in all, first included (1 to 100)",
       [&global](const std::string& value) -> std::string {
         double number = 0;
         if (!parse_number(value, number)) {
           return "--max-attempts takes a non-negative number, not '" + value + "'";
         }
         if (number < 1 || number != static_cast<int>(number) || number > 100) {
           return "--max-attempts takes a whole number from 1 to 100, not '" + value + "'";
         }
         global.max_attempts = static_cast<int>(number);
         return {};
       }},
      {"--debug", nullptr, "diagnostics on stderr (secrets redacted)", set_flag(global.debug)},
      {"--record", "DIR", "save every exchange to DIR as a fixture set",
       text_into(global.record_dir)},
      {"--replay", "DIR", "answer from the fixture set in DIR (no network, no credentials)",
       text_into(global.replay_dir)},
      {"--record-mode", "none|once|new|all",
       "what the --replay or --record folder is for (docs/fixtures.md)",
       [&global](const std::string& value) -> std::string {
         auto mode = replay::parse_record_mode(value);
         if (!mode) return "--record-mode: " + mode.error().message;
         global.record_mode = *mode;
         return {};
       }},
      {"--mfa-code", "CODE", "MFA code for an assume-role profile's mfa_serial",
       text_into(global.mfa_code)},
  };
}

std::optional<int> parse_command_line(const CommandLine& line,
                                      const std::vector<std::string>& args) {
  if (command_line_sink()) {
    command_line_sink()(line);
    return kExitOk;
  }
  const std::string see = " (see bedrock-lite " + line.name + " --help)";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (is_help(arg)) {
      print_command_help(line);
      return kExitOk;
    }
    const Option* option = nullptr;
    for (const auto& candidate : line.options) {
      if (arg == candidate.name) option = &candidate;
    }
    std::string problem;
    if (option != nullptr) {
      if (option->value_name != nullptr && i + 1 >= args.size()) {
        return usage_error(arg + " needs a value");
      }
      problem = option->apply(option->value_name != nullptr ? args[++i] : std::string());
    } else if (arg.size() > 1 && arg[0] == '-') {
      problem = "unknown option '" + arg + "'" + see;
    } else if (line.operand) {
      problem = line.operand(arg);
    } else {
      problem = line.name + " takes no arguments, not '" + arg + "'" + see;
    }
    if (!problem.empty()) return usage_error(problem);
  }
  return std::nullopt;
}

void set_command_line_sink(CommandLineSink sink) {
  command_line_sink() = std::move(sink);
}

void print_command_help(const CommandLine& line) {
  if (command_line_sink()) {
    command_line_sink()(line);
    return;
  }
  GlobalOptions unused;
  const std::vector<Option> global = global_option_table(unused);
  std::size_t width = 10;  // "-h, --help"
  for (const auto* table : {&line.options, &global}) {
    for (const auto& option : *table) width = std::max(width, label(option).size());
  }
  std::printf("usage: bedrock-lite %s [options]%s%s\n%s\n\noptions:\n", line.name.c_str(),
              line.operands.empty() ? "" : " ", line.operands.c_str(), line.summary.c_str());
  print_options(line.options, width);
  std::printf("  %-*s  %s\n\nglobal options (every command, before or after its name):\n",
              static_cast<int>(width), "-h, --help", "print this help and exit");
  print_options(global, width);
}

}  // namespace bedrock_lite::cli
