// Shared by the CLI's subcommands: the global options, the option tables every command parses
// and prints its help from, and the one way to report an error.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/replay.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bedrock_lite::cli {

// Options every subcommand accepts, before or after its name (docs/cli.md "Global options").
struct GlobalOptions {
  std::optional<std::string> region;
  std::optional<std::string> profile;
  std::optional<std::string> endpoint_url;
  std::optional<double> connect_timeout_seconds;
  std::optional<double> read_timeout_seconds;
  std::optional<int> max_attempts;
  std::optional<std::string> mfa_code;  // --mfa-code, for an assume-role profile's mfa_serial
  bool debug = false;
  std::optional<std::string> record_dir;
  std::optional<std::string> replay_dir;
  std::optional<replay::RecordMode> record_mode;  // --record-mode, for the folder above
};

// Exit statuses.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Prints "error: <kind>: <message>" on stderr as one line and returns the exit status.
int report_error(const std::string& kind, const std::string& message, int status = kExitFailure);
inline int usage_error(const std::string& message) {
  return report_error("Usage", message, kExitUsage);
}

// The MFA code for an assume-role profile with mfa_serial: --mfa-code, else a prompt on stderr
// answered on stdin when stdin is a terminal, else a Config error saying how to give one.
credentials::MfaCodeCallback mfa_code_callback(const GlobalOptions& global);

// With --debug, a log hook writing "debug: <message>" lines on stderr; else an empty hook.
LogHook debug_log_hook(const GlobalOptions& global);

// What an option does with its value (empty for a flag): an empty string, else the usage error.
using Apply = std::function<std::string(const std::string& value)>;

// The appliers most options need: a flag that sets `target`, and a value stored as given
// (checked after parsing).
Apply set_flag(bool& target);
Apply text_into(std::string& target);
Apply text_into(std::optional<std::string>& target);

// One option in a command's table. Parsing and the help text both come from this entry, so
// `--help` cannot drift from what is accepted.
struct Option {
  const char* name;        // "--model-id"
  const char* value_name;  // "ID"; nullptr for a flag, which takes no value
  const char* help;        // one line
  Apply apply;
};

// What one command accepts: its name as typed ("converse", "eventstream decode"), its operands
// (in the usage line, e.g. "DIR"; empty for none), a one-line summary and its options.
struct CommandLine {
  std::string name;
  std::string operands;
  std::string summary;
  std::vector<Option> options;
  // Takes each operand (an argument that is not an option; "-" is an operand). Returns an empty
  // string, else the usage error. Unset: the command takes no operands.
  std::function<std::string(const std::string& operand)> operand;
};

// The global options (docs/cli.md "Global options"), writing into `global`. main() takes them out
// of argv wherever they stand; every command's help lists them.
std::vector<Option> global_option_table(GlobalOptions& global);

// Parses `args` against `line`. Returns nullopt when the command should run; otherwise it is
// done and this is its exit status: `--help` or `-h` printed the help (0), or a usage error
// naming the argument was printed (2).
std::optional<int> parse_command_line(const CommandLine& line,
                                      const std::vector<std::string>& args);

// The command's help on stdout: usage line, summary, its options, then the global options.
void print_command_help(const CommandLine& line);

// Describe mode, for the generated shell completions and man page (`bedrock-lite completion`,
// `bedrock-lite man`): while a sink is set, parse_command_line() and print_command_help() hand
// the command line to it and return 0 instead of parsing or printing, so a command run with
// {"--help"} reports the very table it parses with. Empty: normal parsing.
using CommandLineSink = std::function<void(const CommandLine& line)>;
void set_command_line_sink(CommandLineSink sink);

// One subcommand: its name, a one-line synopsis, and the function that runs it with the
// arguments left after the global options were taken out.
struct Command {
  const char* name;
  const char* synopsis;
  int (*run)(const GlobalOptions& global, const std::vector<std::string>& args);
};

// Every listed subcommand, in the order `--help` lists them (cli/main.cpp).
std::vector<Command> command_list();

// Defined by each subcommand's file (one file per subcommand).
int run_sign(const GlobalOptions& global, const std::vector<std::string>& args);
int run_eventstream(const GlobalOptions& global, const std::vector<std::string>& args);
int run_converse(const GlobalOptions& global, const std::vector<std::string>& args);
int run_converse_stream(const GlobalOptions& global, const std::vector<std::string>& args);
int run_count_tokens(const GlobalOptions& global, const std::vector<std::string>& args);
int run_chat(const GlobalOptions& global, const std::vector<std::string>& args);
int run_credentials(const GlobalOptions& global, const std::vector<std::string>& args);
int run_serve_fixtures(const GlobalOptions& global, const std::vector<std::string>& args);
// Hidden: `completion bash|zsh` and `man` print the shell completion scripts and the man page,
// generated from every command's table (cli/completion.cpp); CMake runs them at build time.
int run_completion(const GlobalOptions& global, const std::vector<std::string>& args);
int run_man(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace bedrock_lite::cli
