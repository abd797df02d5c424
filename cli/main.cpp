// bedrock-lite: the command-line contract is ../docs/cli.md (kept compatible with docs/cli.md).
#include <bedrock_lite/core.h>
#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/http.h>
#include <bedrock_lite/sigv4.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"
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
    {"chat", "a conversation on a terminal (one turn per line when not a terminal)", run_chat},
    {"credentials", "show which credentials and region the standard chain resolves",
     run_credentials},
    {"serve-fixtures", "serve a fixture set over HTTP on 127.0.0.1 (replay for any SDK)",
     run_serve_fixtures},
};

void print_help() {
  std::printf(
      "usage: bedrock-lite <command> [options]\n"
      "       bedrock-lite <command> --help   (the command's options and the global ones)\n"
      "       bedrock-lite --version\n\n"
      "commands:\n");
  for (const auto& command : kCommands) std::printf("  %-16s %s\n", command.name, command.synopsis);
  std::printf("\nglobal options:");
  GlobalOptions unused;
  for (const auto& option : global_option_table(unused)) {
    std::printf(" %s%s%s", option.name, option.value_name ? " " : "",
                option.value_name ? option.value_name : "");
  }
  std::printf("\n");
}

// As `curl --version` does: ours, then each library we run on as it names itself at run time.
void print_version() {
  std::printf("bedrock-lite %s (libbedrock_lite %s)\n%s\n%s\n%s\n", version(), version(),
              http::curl_runtime_version().c_str(), sigv4::crypto_runtime_version().c_str(),
              eventstream::zlib_runtime_version().c_str());
}

// Takes the global options out of argv wherever they stand; the rest goes to the subcommand.
// Returns an empty string on success, else the usage error.
std::string parse_global(int argc, char** argv, GlobalOptions& global,
                         std::vector<std::string>& rest) {
  const std::vector<Option> table = global_option_table(global);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const Option* option = nullptr;
    for (const auto& candidate : table) {
      if (arg == candidate.name) option = &candidate;
    }
    if (option == nullptr) {
      rest.push_back(arg);
      continue;
    }
    if (option->value_name != nullptr && i + 1 >= argc) return arg + " needs a value";
    auto problem = option->apply(option->value_name != nullptr ? argv[++i] : "");
    if (!problem.empty()) return problem;
  }
  return {};
}

const Command* find_command(const std::string& name) {
  for (const auto& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

}  // namespace

std::vector<Command> command_list() {
  return std::vector<Command>(std::begin(kCommands), std::end(kCommands));
}

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
  if (!rest.empty() && (rest[0] == "--version" || rest[0] == "-V")) {
    if (rest.size() > 1) return usage_error("--version takes no arguments, not '" + rest[1] + "'");
    print_version();
    return kExitOk;
  }
  // `help <command>` is `<command> --help`.
  if (rest.size() == 2 && rest[0] == "help" && find_command(rest[1]) != nullptr) {
    return find_command(rest[1])->run(global, {"--help"});
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    print_help();
    return rest.empty() ? kExitUsage : kExitOk;
  }
  // Hidden: the generators CMake runs at build time (cli/completion.cpp).
  if (rest[0] == "completion" || rest[0] == "man") {
    const std::vector<std::string> args(rest.begin() + 1, rest.end());
    return rest[0] == "man" ? run_man(global, args) : run_completion(global, args);
  }
  if (const Command* command = find_command(rest[0])) {
    return command->run(global, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  return usage_error("unknown command '" + rest[0] + "' (see bedrock-lite --help)");
}
