// `bedrock-lite chat` driven through a pseudo-terminal (forkpty) against the loopback fake
// Bedrock: two turns whose second request carries the first exchange, Ctrl-C in the middle of an
// answer, /save then --request-file of the saved file; and without a terminal, one turn per line.
#include "cli_test_support.h"
#include "support/fake_bedrock.h"

#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

using bedrock_lite::test::FakeBedrock;
using bedrock_lite::test::Fault;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::read_file;
using bedrock_lite::test::TempDir;
using namespace cli_test;

namespace {

// The CLI on the slave side of a pseudo-terminal: its stdin, stdout and stderr, and its
// controlling terminal (so Ctrl-C typed here is a SIGINT there, as on a real terminal).
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, const std::string& home) {
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + home, "TERM=dumb",
                                    "AWS_EC2_METADATA_DISABLED=true"};
    env.insert(env.end(), kFakeCredentials.begin(), kFakeCredentials.end());
    std::vector<std::string> argv = {BEDROCK_LITE_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    // Everything the child needs is built before the fork: the fake server's threads may hold
    // the allocator's lock at that moment, so the child only calls execve.
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    std::vector<char*> c_env;
    for (auto& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      execve(c_argv[0], c_argv.data(), c_env.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  void type(const std::string& text) {
    REQUIRE(write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

  // Reads the terminal until `text` appears after what earlier waits consumed (true), or the
  // program ends or 20 seconds pass without it (false).
  bool wait_for(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (true) {
      const auto found = output_.find(text, consumed_);
      if (found != std::string::npos) {
        consumed_ = found + text.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd{master_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) return false;  // EIO: the program has ended
      output_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // The exit status once the program ends (-1 if a signal ended it).
  int exit_status() {
    wait_for("\x01never\x01");  // drain what is left until the terminal closes
    int raw = 0;
    waitpid(pid_, &raw, 0);
    exited_ = true;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  }

  const std::string& output() const { return output_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_;
  std::size_t consumed_ = 0;
};

const char* kModel = "us.amazon.nova-micro-v1:0";
const char* kSystem = "You are a helpful chatbot.";

// The text of test_bedrock_model_stream/00's answer, the fake server's default stream.
std::string recorded_answer() {
  std::string text;
  std::istringstream events(
      read_file(recorded("test_bedrock_model_stream/00") / "response.events.jsonl"));
  for (std::string line; std::getline(events, line);) {
    const auto event = bedrock_lite::test::parse_json(line);
    if (event.HasMember("contentBlockDelta") &&
        event["contentBlockDelta"]["delta"].HasMember("text"))
      text += event["contentBlockDelta"]["delta"]["text"].GetString();
  }
  return text;
}

std::string user(const std::string& text, bool cache = false) {
  return R"({"role":"user","content":[{"text":)" +
         bedrock_lite::test::render_json(rapidjson::Value(text.c_str(), text.size())) +
         (cache ? R"(},{"cachePoint":{"type":"default"}}]})" : "}]}");
}

std::string assistant(const std::string& text) {
  return R"({"role":"assistant","content":[{"text":)" +
         bedrock_lite::test::render_json(rapidjson::Value(text.c_str(), text.size())) + "}]}";
}

}  // namespace

TEST_CASE("cli chat on a terminal: the second turn carries the first, /save then --request-file",
          "[cli][chat]") {
  FakeBedrock server;
  TempDir dir;
  const std::string saved = (dir.path() / "conversation.json").string();
  const std::string answer = recorded_answer();
  REQUIRE(answer.size() > 100);
  Terminal chat({"chat", "--endpoint-url", server.url(), "--model-id", kModel, "--system", kSystem,
                 "--cache", "system", "--cache", "messages"},
                dir.path().string());
  REQUIRE(chat.wait_for("> "));
  chat.type("What is the capital of France?\n");
  REQUIRE(chat.wait_for(answer.substr(answer.size() - 20)));
  REQUIRE(chat.wait_for("> "));
  chat.type("/save " + saved + "\n");
  REQUIRE(chat.wait_for("saved 2 messages to " + saved));
  chat.type("And of Spain?\n");
  REQUIRE(chat.wait_for(answer.substr(answer.size() - 20)));
  chat.type("/usage\n");
  CHECK(chat.wait_for("usage: inputTokens=26 outputTokens=164 totalTokens=190 (4 messages)"));
  chat.type("\x04");  // Ctrl-D at the prompt leaves
  CHECK(chat.exit_status() == 0);
  INFO(chat.output());

  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  const std::string system =
      R"("system":[{"text":")" + std::string(kSystem) + R"("},{"cachePoint":{"type":"default"}}])";
  CHECK(json_difference(
            seen[0].body,
            R"({"messages":[)" + user("What is the capital of France?", true) + "]," + system + "}")
            .empty());
  const std::string second = R"({"messages":[)" + user("What is the capital of France?") + "," +
                             assistant(answer) + "," + user("And of Spain?", true) + "]," + system +
                             "}";
  CHECK(json_difference(seen[1].body, second).empty());

  // The saved conversation, sent with the same next turn and options, is the same request.
  FakeBedrock again;
  const Run replayed = run_cli(
      {"converse-stream", "--endpoint-url", again.url(), "--model-id", kModel, "--request-file",
       saved, "--prompt", "And of Spain?", "--cache", "system", "--cache", "messages"},
      "", kFakeCredentials);
  INFO(replayed.err);
  REQUIRE(replayed.status == 0);
  REQUIRE(again.request_count() == 1);
  CHECK(json_difference(again.requests()[0].body, seen[1].body).empty());
}

TEST_CASE("cli chat on a terminal: Ctrl-C stops the answer, keeps it marked, and chat goes on",
          "[cli][chat]") {
  FakeBedrock server;
  server.push_fault(Fault::SlowStream);  // 33 messages, 50 ms apart
  TempDir dir;
  const std::string saved = (dir.path() / "partial.json").string();
  const std::string answer = recorded_answer();
  Terminal chat({"chat", "--endpoint-url", server.url(), "--model-id", kModel},
                dir.path().string());
  REQUIRE(chat.wait_for("> "));
  chat.type("What is the capital of France?\n");
  REQUIRE(chat.wait_for("The capital"));
  chat.type("\x03");  // Ctrl-C, as the terminal's line discipline sends it
  REQUIRE(chat.wait_for("[answer interrupted: the partial answer is kept]"));
  REQUIRE(chat.wait_for("> "));
  // Ctrl-C at the prompt drops the line typed so far and gives a new prompt.
  chat.type("never sent");
  REQUIRE(chat.wait_for("never sent"));  // the terminal's echo
  chat.type("\x03");
  REQUIRE(chat.wait_for("> "));
  chat.type("/save " + saved + "\n");
  REQUIRE(chat.wait_for("saved 2 messages"));
  chat.type("Go on.\n");
  REQUIRE(chat.wait_for(answer.substr(answer.size() - 20)));
  chat.type("/exit\n");
  CHECK(chat.exit_status() == 0);
  INFO(chat.output());

  const auto conversation = bedrock_lite::test::parse_json(read_file(saved));
  REQUIRE(conversation["messages"].Size() == 2);
  const std::string partial = conversation["messages"][1]["content"][0]["text"].GetString();
  CHECK(partial.rfind("The capital", 0) == 0);
  CHECK(partial.size() < answer.size());
  CHECK(answer.rfind(partial, 0) == 0);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(json_difference(seen[1].body, R"({"messages":[)" + user("What is the capital of France?") +
                                          "," + assistant(partial) + "," + user("Go on.") + "]}")
            .empty());
}

TEST_CASE("cli chat without a terminal: one turn per line, answers on stdout, --record, --replay",
          "[cli][chat]") {
  TempDir dir;
  const std::string fixtures = (dir.path() / "recorded").string();
  const std::string answer = recorded_answer();
  const std::string lines = "What is the capital of France?\n/system Be brief.\nAnd of Spain?\n";
  Run first;
  {
    FakeBedrock server;
    first = run_cli(
        {"chat", "--endpoint-url", server.url(), "--model-id", kModel, "--record", fixtures}, lines,
        kFakeCredentials);
    INFO(first.err);
    REQUIRE(first.status == 0);
    CHECK(first.out == answer + "\n" + answer + "\n");
    const auto seen = server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(json_difference(seen[1].body, R"({"messages":[)" +
                                            user("What is the capital of France?") + "," +
                                            assistant(answer) + "," + user("And of Spain?") +
                                            R"(],"system":[{"text":"Be brief."}]})")
              .empty());
  }
  const Run replayed = run_cli({"chat", "--replay", fixtures, "--model-id", kModel}, lines);
  INFO(replayed.err);
  CHECK(replayed.status == 0);
  CHECK(replayed.out == first.out);
  // A turn that fails is reported and the chat goes on; the exit status says so.
  const Run failing =
      run_cli({"chat", "--replay", fixtures, "--model-id", kModel}, "Something else\n/nope\n");
  CHECK(failing.status == 1);
  CHECK(failing.err.find("error: Usage: replay: no fixture matches") == 0);
  CHECK(failing.err.find("error: Usage: unknown chat command '/nope'") != std::string::npos);
}

TEST_CASE("cli chat: /load, /attach and /usage between turns", "[cli][chat]") {
  FakeBedrock server;
  TempDir dir;
  const auto loaded = dir.write(
      "earlier.json",
      R"({"messages":[{"role":"user","content":[{"text":"Earlier"}]},)"
      R"({"role":"assistant","content":[{"text":"Yes."}]}],"system":[{"text":"Loaded."}]})");
  const auto notes = dir.write("Notes 1.txt", "hello");
  const std::string missing = (dir.path() / "missing.png").string();
  const Run run = run_cli({"chat", "--endpoint-url", server.url(), "--model-id", kModel},
                          "/load " + loaded.string() + "\n/attach " + notes.string() +
                              "\nRead it.\n/usage\n/attach " + missing + "\n",
                          kFakeCredentials);
  CHECK(run.status == 1);  // the failed /attach
  CHECK(run.out == recorded_answer() + "\n");
  CHECK(run.err == "loaded 2 messages from " + loaded.string() + "\nattached " + notes.string() +
                       " to the next turn\nusage: inputTokens=13 outputTokens=82 totalTokens=95 (4 "
                       "messages)\nerror: Usage: --attach " +
                       missing + ": cannot read the file: No such file or directory\n");
  REQUIRE(server.request_count() == 1);
  CHECK(json_difference(
            server.requests()[0].body,
            R"({"messages":[{"role":"user","content":[{"text":"Earlier"}]},)"
            R"({"role":"assistant","content":[{"text":"Yes."}]},{"role":"user","content":[)"
            R"({"document":{"format":"txt","name":"Notes 1","source":{"bytes":"aGVsbG8="}}},)"
            R"({"text":"Read it."}]}],"system":[{"text":"Loaded."}]})")
            .empty());
}
