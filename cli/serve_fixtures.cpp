// bedrock-lite serve-fixtures DIR [--port N] (docs/cli.md "serve-fixtures"): argument parsing and
// output only; the server is the library's replay::FixtureServer.
#include "cli.h"

#include "fixture_server.h"

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace bedrock_lite::cli {

int run_serve_fixtures(const GlobalOptions& global, const std::vector<std::string>& args) {
  std::optional<std::string> dir;
  replay::FixtureServerOptions options;
  CommandLine line;
  line.name = "serve-fixtures";
  line.operands = "DIR";
  line.summary =
      "Serve the fixture set in DIR over HTTP on 127.0.0.1 until SIGINT or SIGTERM; the port is "
      "the first line on stdout (docs/cli.md, docs/fixtures.md).";
  line.options = {
      {"--port", "N", "the port to listen on, 0 to 65535 (default 0: any free port)",
       [&options](const std::string& value) -> std::string {
         char* end = nullptr;
         const long port = std::strtol(value.c_str(), &end, 10);
         if (value.empty() || end != value.c_str() + value.size() || port < 0 || port > 65535) {
           return "--port takes a port number from 0 to 65535, not '" + value + "'";
         }
         options.port = static_cast<int>(port);
         return {};
       }},
  };
  line.operand = [&dir](const std::string& operand) -> std::string {
    if (dir) return "serve-fixtures takes one DIR, not also '" + operand + "'";
    dir = operand;
    return {};
  };
  if (auto done = parse_command_line(line, args)) return *done;
  if (global.replay_dir || global.record_dir || global.record_mode) {
    return usage_error("serve-fixtures takes the fixture set as DIR, not --replay or --record");
  }
  if (!dir) return usage_error("serve-fixtures needs the fixture set folder: serve-fixtures DIR");

  const bool debug = global.debug;
  options.log = [debug](LogLevel level, std::string_view message) {
    if (level == LogLevel::Debug && !debug) return;
    // One fprintf per line: lines from concurrent connections do not interleave.
    std::fprintf(stderr, "%s%.*s\n", level == LogLevel::Debug ? "debug: " : "",
                 static_cast<int>(message.size()), message.data());
  };

  // SIGINT and SIGTERM are blocked before any server thread exists (threads inherit the mask)
  // and taken synchronously below, so no handler runs in the middle of the server's work.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = replay::FixtureServer::start(*dir, std::move(options));
  if (!server) {
    const Error& error = server.error();
    return report_error(error.display_name(), error.message,
                        error.kind == ErrorKind::Usage ? kExitUsage : kExitFailure);
  }
  // The first stdout line is the port: scripts and tests read it to find the server.
  std::printf("%d\n", (*server)->port());
  std::fflush(stdout);
  std::fprintf(stderr, "serve-fixtures: %zu interactions from %s on %s (SIGINT or SIGTERM stops)\n",
               (*server)->replay().fixtures().interactions.size(), dir->c_str(),
               (*server)->url().c_str());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->stop();
  if (debug) std::fprintf(stderr, "debug: serve-fixtures: stopped by signal %d\n", signal_number);
  return kExitOk;
}

}  // namespace bedrock_lite::cli
