// Shared by the CLI's subcommands: the global options and the one way to report an error.
#pragma once

#include <bedrock_lite/credentials.h>

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

// One subcommand: its name, a one-line synopsis, and the function that runs it with the
// arguments left after the global options were taken out.
struct Command {
  const char* name;
  const char* synopsis;
  int (*run)(const GlobalOptions& global, const std::vector<std::string>& args);
};

// Defined by each subcommand's file (one file per subcommand).
int run_sign(const GlobalOptions& global, const std::vector<std::string>& args);
int run_eventstream(const GlobalOptions& global, const std::vector<std::string>& args);
int run_converse(const GlobalOptions& global, const std::vector<std::string>& args);
int run_converse_stream(const GlobalOptions& global, const std::vector<std::string>& args);
int run_count_tokens(const GlobalOptions& global, const std::vector<std::string>& args);
int run_credentials(const GlobalOptions& global, const std::vector<std::string>& args);
int run_serve_fixtures(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace bedrock_lite::cli
