// The built `bedrock-lite serve-fixtures`: started on port 0, found by the port on its first
// stdout line, asked by the libcurl transport and by the CLI itself (--endpoint-url), stopped
// by SIGTERM or SIGINT with exit status 0.
#include <bedrock_lite/http.h>

#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fixtures.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace http = bedrock_lite::http;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::read_file;
using bedrock_lite::test::TempDir;

using cli_test::quote;

namespace {

// `bedrock-lite serve-fixtures <args>` as a child process: stdout through a pipe (the port is
// its first line), stderr into a file.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    err_path_ = (dir_.path() / "err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> argv_text = {BEDROCK_LITE_CLI_PATH, "serve-fixtures"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string home = "HOME=" + dir_.path().string();
    std::string path = "PATH=/usr/bin:/bin";
    char* envp[] = {home.data(), path.data(), nullptr};
    const int spawned =
        ::posix_spawn(&pid_, BEDROCK_LITE_CLI_PATH, &actions, nullptr, argv.data(), envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
    REQUIRE(spawned == 0);
    REQUIRE(out_ != nullptr);
  }

  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) std::fclose(out_);
  }

  // The next stdout line, without its newline; empty at end of stream.
  std::string read_line() {
    char line[256];
    if (std::fgets(line, sizeof line, out_) == nullptr) return {};
    std::string text = line;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  // Sends `signal` and returns the exit status (-1 when it did not exit normally).
  int stop(int signal) {
    REQUIRE(::kill(pid_, signal) == 0);
    return wait();
  }
  int wait() {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string err() const { return read_file(err_path_); }

 private:
  TempDir dir_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::FILE* out_ = nullptr;
};

std::string request_body_of(const std::filesystem::path& folder) {
  rapidjson::Document document;
  const std::string text = read_file(folder / "request.json");
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document["body"].Accept(writer);
  return buffer.GetString();
}

}  // namespace

TEST_CASE(
    "cli serve-fixtures: prints the port, answers with the recorded bytes, exits 0 on SIGTERM",
    "[cli][serve-fixtures]") {
  const auto folder = fixture_path("recorded/bedrock-recorded/test_bedrock_model_stream/00");
  // A one-interaction set: both requests below get its answer (a set replays cyclically).
  ServeProcess server({fixture_path("recorded/bedrock-recorded/test_bedrock_model_stream").string(),
                       "--port", "0"});
  const std::string port = server.read_line();
  REQUIRE_FALSE(port.empty());
  REQUIRE(port.find_first_not_of("0123456789") == std::string::npos);
  const std::string url = "http://127.0.0.1:" + port;

  // The libcurl transport gets the recorded event stream byte for byte.
  auto transport = http::make_curl_transport();
  http::Request request;
  request.method = "POST";
  request.url = url + "/model/us.amazon.nova-micro-v1%3A0/converse-stream";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = request_body_of(folder);
  auto response = http::fetch(*transport, request);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == read_file(folder / "response.body"));

  // A request that matches nothing: 404, and the replay error on the server's stderr.
  request.body = R"({"messages":[]})";
  auto miss = http::fetch(*transport, request);
  REQUIRE(miss.ok());
  CHECK(miss->status == 404);

  // The CLI itself as a client of the server: the same command a user runs against AWS.
  TempDir dir;
  const auto body_file = dir.write("request.json", request_body_of(folder));
  const std::string command =
      "env -i PATH=/usr/bin:/bin HOME=" + quote(dir.path().string()) +
      " AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIDSERVEFIXTURES"
      " AWS_SECRET_ACCESS_KEY=not-checked-by-the-server AWS_REGION=us-east-1 " +
      quote(BEDROCK_LITE_CLI_PATH) + " converse-stream --endpoint-url " + url +
      " --model-id us.amazon.nova-micro-v1:0 --request-file " + quote(body_file.string()) + " > " +
      quote((dir.path() / "out").string()) + " 2> " + quote((dir.path() / "client-err").string());
  const int raw = std::system(command.c_str());
  INFO(read_file(dir.path() / "client-err"));
  REQUIRE(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 0);
  CHECK_THAT(read_file(dir.path() / "out"), Catch::StartsWith("The capital of France is Paris."));
  CHECK(read_file(dir.path() / "client-err") ==
        "usage: inputTokens=13 outputTokens=82 totalTokens=95\n");

  CHECK(server.stop(SIGTERM) == 0);
  const std::string err = server.err();
  CHECK_THAT(err, Catch::Contains("serve-fixtures: 1 interactions from "));
  CHECK_THAT(err, Catch::Contains("replay: no fixture matches POST "
                                  "/model/us.amazon.nova-micro-v1:0/converse-stream; closest is "));
  CHECK(server.read_line().empty());  // nothing on stdout but the port
}

TEST_CASE("cli serve-fixtures: SIGINT stops it with status 0", "[cli][serve-fixtures]") {
  ServeProcess server({"--port", "0", fixture_path("recorded/arize-openinference").string()});
  REQUIRE_FALSE(server.read_line().empty());
  CHECK(server.stop(SIGINT) == 0);
}

TEST_CASE("cli serve-fixtures: usage and folder errors", "[cli][serve-fixtures]") {
  struct Case {
    std::vector<std::string> args;
    int status;
    const char* says;
  };
  TempDir empty;
  const std::vector<Case> cases = {
      {{}, 2, "error: Usage: serve-fixtures needs the fixture set folder"},
      {{"a", "b"}, 2, "error: Usage: serve-fixtures takes one DIR"},
      {{"a", "--port"}, 2, "error: Usage: --port needs a value"},
      {{"a", "--port", "65536"}, 2, "error: Usage: --port takes a port number from 0 to 65535"},
      {{"a", "--port", "x1"}, 2, "error: Usage: --port takes a port number"},
      {{"a", "--bogus"}, 2, "error: Usage: unknown option '--bogus'"},
      {{empty.path().string()}, 1, "error: Config: "},
  };
  for (const auto& c : cases) {
    ServeProcess server(c.args);
    CHECK(server.wait() == c.status);
    CHECK(server.read_line().empty());
    CHECK_THAT(server.err(), Catch::StartsWith(c.says));
  }
}
