// bedrock-lite: the command-line contract is ../docs/cli.md (kept compatible with docs/cli.md).
#include "cli.h"

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifdef BEDROCK_LITE_STATIC_CLI
#include <openssl/crypto.h>
#endif

namespace bedrock_lite::cli {
namespace {

// Every subcommand, in the order `--help` lists them.
constexpr Command kCommands[] = {
    {"sign", "sign a raw HTTP request read on stdin with SigV4", run_sign},
    {"eventstream", "decode or encode application/vnd.amazon.eventstream", run_eventstream},
    {"converse", "send a Converse request and print the reply", run_converse},
    {"converse-stream", "send a ConverseStream request and print events as they arrive",
     run_converse_stream},
    {"count-tokens", "count the input tokens of a Converse-shaped request", run_count_tokens},
    {"credentials", "show which credentials and region the standard chain resolves",
     run_credentials},
    {"serve-fixtures", "serve a fixture set over HTTP on 127.0.0.1 (replay for any SDK)",
     run_serve_fixtures},
};

void print_help() {
  std::printf(
      "usage: bedrock-lite <command> [options]\n\n"
      "global options: --region R --profile P --endpoint-url URL --connect-timeout S\n"
      "                --read-timeout S --max-attempts N --debug --record DIR --replay DIR\n"
      "                --mfa-code CODE\n\n"
      "commands:\n");
  for (const auto& command : kCommands) std::printf("  %-16s %s\n", command.name, command.synopsis);
}

bool parse_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && out >= 0;
}

// Takes the global options out of argv wherever they stand; the rest goes to the subcommand.
// Returns an empty string on success, else the usage error.
std::string parse_global(int argc, char** argv, GlobalOptions& global,
                         std::vector<std::string>& rest) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--debug") {
      global.debug = true;
    } else if (arg == "--region" || arg == "--profile" || arg == "--endpoint-url" ||
               arg == "--record" || arg == "--replay" || arg == "--connect-timeout" ||
               arg == "--read-timeout" || arg == "--max-attempts" || arg == "--mfa-code") {
      if (!value(v)) return arg + " needs a value";
      if (arg == "--region")
        global.region = v;
      else if (arg == "--profile")
        global.profile = v;
      else if (arg == "--endpoint-url")
        global.endpoint_url = v;
      else if (arg == "--record")
        global.record_dir = v;
      else if (arg == "--replay")
        global.replay_dir = v;
      else if (arg == "--mfa-code")
        global.mfa_code = v;
      else {
        double number = 0;
        if (!parse_number(v, number)) return arg + " takes a non-negative number, not '" + v + "'";
        if (arg == "--connect-timeout")
          global.connect_timeout_seconds = number;
        else if (arg == "--read-timeout")
          global.read_timeout_seconds = number;
        else {
          if (number < 1 || number != static_cast<int>(number) || number > 100)
            return "--max-attempts takes a whole number from 1 to 100, not '" + v + "'";
          global.max_attempts = static_cast<int>(number);
        }
      }
    } else {
      rest.push_back(arg);
    }
  }
  return {};
}

}  // namespace

credentials::MfaCodeCallback mfa_code_callback(const GlobalOptions& global) {
  return [code = global.mfa_code](const std::string& serial) -> bedrock_lite::Result<std::string> {
    if (code) return *code;
    if (isatty(STDIN_FILENO) == 0) {
      return bedrock_lite::make_error(bedrock_lite::ErrorKind::Config,
                                      "the profile's role needs an MFA code for " + serial +
                                          ": pass --mfa-code CODE (stdin is not a terminal)");
    }
    std::fprintf(stderr, "MFA code for %s: ", serial.c_str());
    std::fflush(stderr);
    std::string line;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
      if (line.size() < 64) line += static_cast<char>(c);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  };
}

int report_error(const std::string& kind, const std::string& message, int status) {
  std::fflush(stdout);
  std::fprintf(stderr, "error: %s: %s\n", kind.c_str(), message.c_str());
  return status;
}

}  // namespace bedrock_lite::cli

int main(int argc, char** argv) {
  using namespace bedrock_lite::cli;
#ifdef BEDROCK_LITE_STATIC_CLI
  // The host's openssl.cnf (or OPENSSL_CONF) belongs to the host's OpenSSL: a provider or engine
  // module it names would be dlopen'ed into this static program, built against another OpenSSL
  // and glibc (docs/static-build.md, "What still links glibc's NSS and dlopen"). Marking the
  // configuration as done before libcurl initialises OpenSSL makes its later request to load
  // one a no-op; the built-in default provider is all we use.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
#endif
  GlobalOptions global;
  std::vector<std::string> rest;
  if (auto problem = parse_global(argc, argv, global, rest); !problem.empty())
    return usage_error(problem);
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    print_help();
    return rest.empty() ? kExitUsage : kExitOk;
  }
  for (const auto& command : kCommands) {
    if (rest[0] == command.name) {
      return command.run(global, std::vector<std::string>(rest.begin() + 1, rest.end()));
    }
  }
  return usage_error("unknown command '" + rest[0] + "' (see bedrock-lite --help)");
}
