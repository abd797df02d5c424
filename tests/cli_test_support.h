// Shared by the cli_test files: the built CLI run in a clean environment, and the recorded
// request bodies the request options are checked against.
#pragma once

#include "support/environment.h"
#include "support/fake_bedrock.h"
#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace cli_test {

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// `text` as one POSIX shell word.
inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs the built CLI under `env -i` (PATH, HOME = `home`, no instance metadata, then
// `extra_env`), stdin from `stdin_text`, stdout and stderr into files (binary-safe).
inline Run run_cli(const bedrock_lite::test::TempDir& home, const std::vector<std::string>& args,
                   const std::vector<std::string>& extra_env, const std::string& stdin_text = "") {
  const auto in = home.write("stdin", stdin_text);
  std::string command = "env -i PATH=/usr/bin:/bin HOME=" + quote(home.path().string()) +
                        " AWS_EC2_METADATA_DISABLED=true";
  for (const auto& e : extra_env) command += " " + quote(e);
  command += " " + quote(BEDROCK_LITE_CLI_PATH);
  for (const auto& a : args) command += " " + quote(a);
  command += " < " + quote(in.string()) + " > " + quote((home.path() / "out").string()) + " 2> " +
             quote((home.path() / "err").string());
  Run run;
  const int raw = std::system(command.c_str());
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = bedrock_lite::test::read_file(home.path() / "out");
  run.err = bedrock_lite::test::read_file(home.path() / "err");
  return run;
}

// The same with a fresh temporary HOME.
inline Run run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "",
                   const std::vector<std::string>& extra_env = {}) {
  bedrock_lite::test::TempDir home;
  return run_cli(home, args, extra_env, stdin_text);
}

// The one body the fake server saw, whose signature it verified.
inline std::string sent_body(const bedrock_lite::test::FakeBedrock& server) {
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].signature_valid);
  return seen[0].body;
}

inline const std::vector<std::string> kFakeCredentials = {
    "AWS_ACCESS_KEY_ID=AKIDFAKEBEDROCK",
    "AWS_SECRET_ACCESS_KEY=fake/secret+key/for-the-loopback-server", "AWS_REGION=us-east-1"};

inline std::filesystem::path recorded(const std::string& folder) {
  return bedrock_lite::test::fixture_path("recorded/bedrock-recorded/" + folder);
}

// The recorded request body of `folder` (its request.json "body").
inline rapidjson::Document recorded_body(const std::string& folder) {
  auto request = bedrock_lite::test::parse_json(
      bedrock_lite::test::read_file(recorded(folder) / "request.json"));
  rapidjson::Document body;
  body.CopyFrom(request["body"], body.GetAllocator());
  return body;
}

inline std::string text_of(const rapidjson::Value& value) {
  return bedrock_lite::test::render_json(value);
}

// Removes the value at a JSON pointer ("/system/1", "/toolConfig/toolChoice").
inline void remove_at(rapidjson::Document& document, const std::string& pointer) {
  const auto slash = pointer.rfind('/');
  rapidjson::Value* parent = rapidjson::Pointer(pointer.substr(0, slash).c_str()).Get(document);
  REQUIRE(parent != nullptr);
  const std::string last = pointer.substr(slash + 1);
  if (parent->IsArray()) {
    const auto index = static_cast<rapidjson::SizeType>(std::stoul(last));
    REQUIRE(index < parent->Size());
    parent->Erase(parent->Begin() + index);
  } else {
    REQUIRE(parent->EraseMember(last.c_str()));
  }
}

// The words of `text`, split at white space.
inline std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// An option line of a help text: "  --name VALUE   help". The value name, or "" for a flag.
struct HelpOption {
  std::string name;
  std::string value_name;
};

// Every option line of a help text, in order.
inline std::vector<HelpOption> help_options(const std::string& help) {
  std::vector<HelpOption> options;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  --", 0) != 0) continue;
    const auto words = split_words(line);
    HelpOption option{words[0], ""};
    // A value name is separated by one space; the help text by two or more.
    if (line.size() > 2 + words[0].size() + 1 && line[2 + words[0].size()] == ' ' &&
        line[2 + words[0].size() + 1] != ' ') {
      option.value_name = words[1];
    }
    options.push_back(option);
  }
  return options;
}

}  // namespace cli_test
