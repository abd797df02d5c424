// `bedrock-lite --help`, `<command> --help`, unknown options and `--version`, run on the built
// binary. Options, help text and parsing come from one table per command (cli/cli.h): every
// option docs/cli.md promises is listed, and every option a help lists is accepted.
#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/http.h>
#include <bedrock_lite/sigv4.h>

#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace test = bedrock_lite::test;

using namespace cli_test;

namespace {

std::vector<std::string> with(std::vector<std::string> words, std::vector<std::string> more) {
  words.insert(words.end(), more.begin(), more.end());
  return words;
}

// The options docs/cli.md gives each command (the contract; the binary may offer more).
const std::vector<std::string> kGlobal = {"--region",          "--profile",      "--endpoint-url",
                                          "--connect-timeout", "--read-timeout", "--max-attempts",
                                          "--debug",           "--record",       "--replay",
                                          "--record-mode",     "--mfa-code"};
// The request options converse, converse-stream, count-tokens and chat share.
const std::vector<std::string> kRequest = {
    "--model-id",  "--request-file",      "--messages",        "--system",
    "--attach",    "--tools-file",        "--tool-choice",     "--cache",
    "--cache-ttl", "--additional-fields", "--reasoning-budget"};
// Those of a call that generates (not count-tokens).
const std::vector<std::string> kGenerate = {
    "--max-tokens", "--temperature",     "--top-p",        "--stop",    "--show-reasoning",
    "--guardrail",  "--guardrail-trace", "--service-tier", "--latency", "--request-metadata"};
std::vector<std::string> joined(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> all;
  for (const auto& list : lists) all.insert(all.end(), list.begin(), list.end());
  return all;
}
const std::vector<std::string> kConverse = joined({kRequest, kGenerate, {"--prompt", "--output"}});
const std::map<std::string, std::vector<std::string>> kCommands = {
    {"converse", kConverse},
    {"converse-stream", kConverse},
    {"count-tokens", joined({kRequest, {"--prompt", "--output"}})},
    {"chat", joined({kRequest, kGenerate})},
    {"sign",
     {"--service", "--time", "--query", "--expires", "--unsigned-payload", "--sign-body",
      "--no-normalize-path", "--no-double-encode", "--omit-session-token", "--print"}},
    {"credentials", {}},
    {"serve-fixtures", {"--port"}},
    {"eventstream", {}},
    {"eventstream decode", {}},
    {"eventstream encode", {}},
};

// A value each option accepts on its own (its first alternative, or a number for numbers).
std::string sample_value(const std::string& value_name) {
  if (value_name.find('|') != std::string::npos) return value_name.substr(0, value_name.find('|'));
  if (value_name == "KEY=VALUE") return "k=v";
  if (value_name == "TOKENS") return "2048";
  if (value_name == "N" || value_name == "SECONDS" || value_name == "T" || value_name == "P") {
    return "1";
  }
  return "x";
}

}  // namespace

TEST_CASE("cli help: bedrock-lite --help lists every command and exits 0", "[cli][help]") {
  for (const char* flag : {"--help", "-h", "help"}) {
    const Run run = run_cli({flag});
    INFO(flag << ": " << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    for (const auto& [command, options] : kCommands) {
      if (command.find(' ') != std::string::npos) continue;  // a subcommand of eventstream
      CHECK(run.out.find("\n  " + command + " ") != std::string::npos);
    }
    for (const auto& option : kGlobal) CHECK(run.out.find(" " + option) != std::string::npos);
  }
  const Run bare = run_cli({});
  CHECK(bare.status == 2);
  CHECK(bare.out == run_cli({"--help"}).out);
}

TEST_CASE("cli help: every command's --help exits 0 and lists its options and the global ones",
          "[cli][help]") {
  int checked = 0;
  for (const auto& [command, options] : kCommands) {
    for (const char* flag : {"--help", "-h"}) {
      const Run run = run_cli(with(split_words(command), {flag}));
      INFO(command << " " << flag << ": " << run.err);
      CHECK(run.status == 0);
      CHECK(run.err.empty());
      CHECK(run.out.rfind("usage: bedrock-lite " + command + " ", 0) == 0);
      std::vector<std::string> names;
      for (const auto& listed : help_options(run.out)) names.push_back(listed.name);
      for (const auto& option : options) {
        INFO("option " << option);
        CHECK(std::count(names.begin(), names.end(), option) == 1);
      }
      for (const auto& option : kGlobal) {
        INFO("global option " << option);
        CHECK(std::count(names.begin(), names.end(), option) == 1);
      }
      ++checked;
    }
  }
  CHECK(checked == 20);
  // `help <command>` is `<command> --help`.
  CHECK(run_cli({"help", "converse"}).out == run_cli({"converse", "--help"}).out);
  // --help after other options still wins, and the options before it are checked first.
  CHECK(run_cli({"converse", "--prompt", "hi", "--help"}).status == 0);
  CHECK(run_cli({"converse", "--max-tokens", "0", "--help"}).status == 2);
}

TEST_CASE("cli help: every option a command's help lists is accepted by that command",
          "[cli][help]") {
  int accepted = 0;
  for (const auto& [command, expected] : kCommands) {
    const auto words = split_words(command);
    const Run help = run_cli(with(words, {"--help"}));
    const auto listed = help_options(help.out);
    CHECK(listed.size() == expected.size() + kGlobal.size());
    // Every listed option with a sample value, then --help, in one run: the parser takes options
    // left to right and reaches --help (exit 0, the same help) only if it accepted each option and
    // its value first; a refused one is a usage error that names it.
    std::vector<std::string> args = words;
    for (const auto& option : listed) {
      args.push_back(option.name);
      if (!option.value_name.empty()) args.push_back(sample_value(option.value_name));
      ++accepted;
    }
    args.push_back("--help");
    const Run run = run_cli(args);
    INFO(command << ": " << run.err);
    CHECK(run.status == 0);
    CHECK(run.out == help.out);
  }
  CHECK(accepted >= 100);
}

TEST_CASE("cli help: every option a help lists is documented in docs/cli.md", "[cli][help]") {
  const std::string contract = test::read_file(
      std::filesystem::path(BEDROCK_LITE_FIXTURES_DIR).parent_path() / "docs" / "cli.md");
  REQUIRE(contract.find("## converse") != std::string::npos);
  int documented = 0;
  for (const auto& [command, expected] : kCommands) {
    for (const auto& option : help_options(run_cli(with(split_words(command), {"--help"})).out)) {
      INFO(command << " " << option.name);
      // As written in the contract: `--name`, `--name VALUE` or `[--name ...`.
      const bool found = contract.find("`" + option.name) != std::string::npos ||
                         contract.find("[" + option.name) != std::string::npos ||
                         contract.find(" " + option.name + " ") != std::string::npos;
      CHECK(found);
      ++documented;
    }
  }
  CHECK(documented >= 100);
}

TEST_CASE("cli help: an unknown option is a usage error naming it", "[cli][help]") {
  for (const auto& [command, options] : kCommands) {
    if (command == "eventstream") continue;  // it takes a subcommand first
    const Run run = run_cli(with(split_words(command), {"--no-such-option"}));
    INFO(command);
    CHECK(run.status == 2);
    CHECK(run.out.empty());
    CHECK(run.err == "error: Usage: unknown option '--no-such-option' (see bedrock-lite " +
                         command + " --help)\n");
  }
  const Run eventstream = run_cli({"eventstream", "--no-such-option"});
  CHECK(eventstream.status == 2);
  CHECK(eventstream.err.rfind("error: Usage: eventstream needs a subcommand", 0) == 0);
  const Run command = run_cli({"no-such-command"});
  CHECK(command.status == 2);
  CHECK(command.err ==
        "error: Usage: unknown command 'no-such-command' (see bedrock-lite --help)\n");
  const Run operand = run_cli({"credentials", "extra"});
  CHECK(operand.status == 2);
  CHECK(operand.err.find("'extra'") != std::string::npos);
  const Run missing = run_cli({"converse", "--model-id"});
  CHECK(missing.status == 2);
  CHECK(missing.err == "error: Usage: --model-id needs a value\n");
}

TEST_CASE("cli help: --version names our version and the libraries it runs on", "[cli][help]") {
  const Run run = run_cli({"--version"});
  INFO(run.err);
  CHECK(run.status == 0);
  CHECK(run.err.empty());
  const std::string version = BEDROCK_LITE_PROJECT_VERSION;
  // Our version, then each library as it names itself at run time (the test process loads the
  // same libraries, so it can ask them too).
  CHECK(run.out == "bedrock-lite " + version + " (libbedrock_lite " + version + ")\n" +
                       bedrock_lite::http::curl_runtime_version() + "\n" +
                       bedrock_lite::sigv4::crypto_runtime_version() + "\n" +
                       bedrock_lite::eventstream::zlib_runtime_version() + "\n");
  CHECK(std::string(bedrock_lite::version()) == version);
  CHECK(run.out.find("\nlibcurl/") != std::string::npos);
  CHECK(run.out.find("(TLS ") != std::string::npos);
  CHECK(run.out.find("resolver ") != std::string::npos);
  CHECK(run.out.find("\nOpenSSL ") != std::string::npos);
  CHECK(run.out.find("\nzlib ") != std::string::npos);
  CHECK(run_cli({"--version", "extra"}).status == 2);
  // The same version in the pkg-config file CMake generates.
  const std::string pc = test::read_file(BEDROCK_LITE_PC_PATH);
  CHECK(pc.find("\nVersion: " + version + "\n") != std::string::npos);
}
