// The bash and zsh completions and the man page (`bedrock-lite completion bash|zsh`, `bedrock-lite
// man`, generated at build time into cli/generated/ and installed): every option every command's
// --help lists appears in each, the build's files are what the CLI prints, and bash completes
// with the script.
#include "cli_test_support.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

using bedrock_lite::test::read_file;
using bedrock_lite::test::TempDir;
using namespace cli_test;

namespace {

// The commands `bedrock-lite --help` lists, and eventstream's two subcommands.
std::vector<std::string> commands() {
  std::vector<std::string> names;
  std::istringstream in(run_cli({"--help"}).out);
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "commands:") {
      listing = true;
    } else if (listing && line.rfind("  ", 0) == 0) {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else {
      listing = false;
    }
  }
  names.push_back("eventstream decode");
  names.push_back("eventstream encode");
  return names;
}

bool contains_any(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

// "--cache-ttl" as roff writes it.
std::string roff_name(const std::string& option) {
  std::string out;
  for (char c : option) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

// What bash's completion offers for the words typed so far (the last one being completed).
std::vector<std::string> bash_complete(const std::string& script, const std::string& typed) {
  TempDir dir;
  const auto file = dir.write("completion.bash", script);
  const std::string command = "bash -c " +
                              quote("source " + quote(file.string()) + "; COMP_WORDS=(" + typed +
                                    "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bedrock_lite; "
                                    "printf '%s\\n' \"${COMPREPLY[@]}\"") +
                              " > " + quote((dir.path() / "out").string());
  REQUIRE(std::system(command.c_str()) == 0);
  return split_words(read_file(dir.path() / "out"));
}

}  // namespace

TEST_CASE("cli completion and man: every option of every command's table appears in each",
          "[cli][completion]") {
  const Run bash = run_cli({"completion", "bash"});
  const Run zsh = run_cli({"completion", "zsh"});
  const Run man = run_cli({"man"});
  REQUIRE(bash.status == 0);
  REQUIRE(zsh.status == 0);
  REQUIRE(man.status == 0);
  const auto names = commands();
  REQUIRE(names.size() >= 10);
  int checked = 0;
  for (const auto& command : names) {
    auto args = split_words(command);
    args.push_back("--help");
    const Run help = run_cli(args);
    REQUIRE(help.status == 0);
    const auto options = help_options(help.out);
    CHECK(!options.empty());  // the global options at least
    for (const auto& listed : options) {
      const std::string& option = listed.name;
      INFO(command << " " << option);
      // bash: in the command's option list or the global list; zsh: an _arguments spec; man:
      // a tagged paragraph.
      CHECK(contains_any(bash.out, {" " + option + " ", " " + option + "'", "'" + option + " ",
                                    "'" + option + "'"}));
      CHECK(zsh.out.find("'" + option + "[") != std::string::npos);
      CHECK(contains_any(man.out,
                         {".B " + roff_name(option) + "\n", ".BI \"" + roff_name(option) + " \""}));
      ++checked;
    }
    CHECK(man.out.find(".SS " + roff_name(command)) != std::string::npos);
    CHECK(bash.out.find("'" + command + "')") != std::string::npos);
    CHECK(zsh.out.find("'" + command + "')") != std::string::npos);
  }
  CHECK(checked >= 180);
  // The exit statuses are in the man page.
  CHECK(man.out.find(".SH EXIT STATUS") != std::string::npos);
  // The files the build generated and installs are what the CLI prints.
  const auto generated = std::filesystem::path(BEDROCK_LITE_CLI_PATH).parent_path() / "generated";
  CHECK(read_file(generated / "bedrock-lite.bash") == bash.out);
  CHECK(read_file(generated / "_bedrock-lite") == zsh.out);
  CHECK(read_file(generated / "bedrock-lite.1") == man.out);
  CHECK(run_cli({"completion", "fish"}).status == 2);
}

TEST_CASE("cli completion bash completes commands, options and their values", "[cli][completion]") {
  const std::string script = run_cli({"completion", "bash"}).out;
  REQUIRE(std::system("bash -n /dev/null") == 0);
  using V = std::vector<std::string>;
  CHECK(bash_complete(script, "bedrock-lite co") ==
        V{"converse", "converse-stream", "count-tokens"});
  CHECK(bash_complete(script, "bedrock-lite converse --cach") == V{"--cache", "--cache-ttl"});
  CHECK(bash_complete(script, "bedrock-lite converse --cache m") == V{"messages"});
  CHECK(bash_complete(script, "bedrock-lite converse-stream --output j") == V{"jsonl"});
  CHECK(bash_complete(script, "bedrock-lite converse --output j") == V{"json"});
  CHECK(bash_complete(script, "bedrock-lite --region us-east-1 chat --show") ==
        V{"--show-reasoning"});
  CHECK(bash_complete(script, "bedrock-lite eventstream d") == V{"decode"});
  CHECK(bash_complete(script, "bedrock-lite count-tokens --show").empty());
}

TEST_CASE("cli man: the page formats without a warning", "[cli][completion]") {
  if (!std::filesystem::exists("/usr/bin/groff")) {
    WARN("groff is not installed: the formatting check is skipped");
    return;
  }
  TempDir dir;
  const auto page = dir.write("bedrock-lite.1", run_cli({"man"}).out);
  const std::string command = "groff -man -Tutf8 -ww -z " + quote(page.string()) + " 2> " +
                              quote((dir.path() / "warnings").string());
  CHECK(std::system(command.c_str()) == 0);
  CHECK(read_file(dir.path() / "warnings").empty());
}
