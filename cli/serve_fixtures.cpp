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
  if (global.replay_dir || global.record_dir) {
    return usage_error("serve-fixtures takes the fixture set as DIR, not --replay or --record");
  }
  std::optional<std::string> dir;
  replay::FixtureServerOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--port") {
      if (i + 1 >= args.size()) return usage_error("--port needs a value");
      const std::string& value = args[++i];
      char* end = nullptr;
      const long port = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || end != value.c_str() + value.size() || port < 0 || port > 65535) {
        return usage_error("--port takes a port number from 0 to 65535, not '" + value + "'");
      }
      options.port = static_cast<int>(port);
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: bedrock-lite serve-fixtures DIR [--port N]\n");
      return kExitOk;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'");
    } else if (dir) {
      return usage_error("serve-fixtures takes one DIR, not also '" + arg + "'");
    } else {
      dir = arg;
    }
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
