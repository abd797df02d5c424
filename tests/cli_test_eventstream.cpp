// The built `bedrock-lite eventstream decode|encode` (docs/cli.md): every recorded body decodes to
// its derived response.eventstream.jsonl byte for byte and encodes back to the same bytes; faults
// print the messages before them, then one `error: Protocol:` line.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "support/environment.h"
#include "support/fixtures.h"
#include "support/json.h"

namespace {

namespace fs = std::filesystem;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::read_file;

// `bedrock-lite eventstream <args>` in a clean environment; stdin, stdout and stderr are files.
cli_test::Run run_eventstream(std::vector<std::string> args, const std::string& stdin_bytes = "") {
  args.insert(args.begin(), "eventstream");
  return cli_test::run_cli(args, stdin_bytes);
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("cli eventstream: every recorded body decodes to its jsonl and encodes back") {
  std::size_t bodies = 0;
  for (const auto& dir :
       bedrock_lite::test::folders_with(fixture_path("recorded"), "response.eventstream.jsonl")) {
    const std::string name = fs::relative(dir, fixture_path("recorded")).string();
    SECTION(name) {
      const fs::path body = dir / "response.body";
      const cli_test::Run decoded = run_eventstream({"decode", body.string()});
      INFO(name << ": " << decoded.err);
      REQUIRE(decoded.status == 0);
      CHECK(decoded.err.empty());
      // The derived file has the docs/cli.md shape (unsigned CRCs, plain strings), compact: same
      // text.
      CHECK(decoded.out == read_file(dir / "response.eventstream.jsonl"));
      const cli_test::Run encoded = run_eventstream({"encode"}, decoded.out);
      REQUIRE(encoded.status == 0);
      CHECK(encoded.out == read_file(body));
    }
    ++bodies;
  }
  CHECK(bodies >= 32);
}

TEST_CASE("cli eventstream: decode reads stdin and matches the official decoded vectors") {
  const fs::path root = fixture_path("vectors/eventstream/aws-sdk-go");
  // all_headers with the official JSON normalised to docs/cli.md: unsigned CRCs, plain strings.
  const cli_test::Run run =
      run_eventstream({"decode", "-"}, read_file(root / "encoded/positive/all_headers"));
  REQUIRE(run.status == 0);
  const std::string expected =
      R"({"total_length":204,"headers_length":175,"prelude_crc":263087306,"headers":[)"
      R"({"name":"event-type","type":4,"value":40972},)"
      R"({"name":"content-type","type":7,"value":"application/json"},)"
      R"({"name":"bool false","type":1,"value":false},{"name":"bool true","type":0,"value":true},)"
      R"({"name":"byte","type":2,"value":-49},)"
      R"({"name":"byte buf","type":6,"value":"SSdtIGEgbGl0dGxlIHRlYXBvdCE="},)"
      R"({"name":"timestamp","type":8,"value":8675309},{"name":"int16","type":3,"value":42},)"
      R"({"name":"int64","type":5,"value":42424242},)"
      R"({"name":"uuid","type":9,"value":"AQIDBAUGBwgJCgsMDQ4PEA=="}],)"
      R"("payload":"eydmb28nOidiYXInfQ==","message_crc":2879779084})";
  CHECK(bedrock_lite::test::json_difference(run.out, expected) == "");
}

TEST_CASE("cli eventstream: a fault prints the messages before it, then one Protocol error") {
  const std::string body = read_file(
      fixture_path("recorded/bedrock-recorded/test_bedrock_model_iter_stream/00/response.body"));
  SECTION("corrupt byte in message 2") {
    std::string bad = body;
    bad[400] = static_cast<char>(bad[400] ^ 1);
    const cli_test::Run run = run_eventstream({"decode"}, bad);
    CHECK(run.status == 1);
    CHECK(count_lines(run.out) == 2);
    CHECK(run.err.rfind("error: Protocol: stdin: message_crc mismatch", 0) == 0);
    CHECK(run.err.find("in message 2") != std::string::npos);
    CHECK(count_lines(run.err) == 1);
  }
  SECTION("truncated last message") {
    const cli_test::Run run = run_eventstream({"decode"}, body.substr(0, body.size() - 3));
    CHECK(run.status == 1);
    CHECK(run.err.rfind("error: Protocol: stdin: stream ended inside message", 0) == 0);
    CHECK(count_lines(run.out) + 1 ==
          count_lines(
              read_file(fixture_path("recorded/bedrock-recorded/test_bedrock_model_iter_stream/00/"
                                     "response.eventstream.jsonl"))));
  }
}

TEST_CASE("cli eventstream: encode computes omitted fields and checks given ones") {
  const std::string line =
      R"({"headers":[{"name":"n","type":5,"value":-9223372036854775808},)"
      R"({"name":"t","type":8,"value":9223372036854775807},{"name":"b","type":1}],"payload":"aGk="})"
      "\n";
  const cli_test::Run encoded = run_eventstream({"encode"}, line);
  REQUIRE(encoded.status == 0);
  const cli_test::Run decoded = run_eventstream({"decode"}, encoded.out);
  REQUIRE(decoded.status == 0);
  // 64-bit values printed exactly, never through a double.
  CHECK(decoded.out.find(R"("value":-9223372036854775808)") != std::string::npos);
  CHECK(decoded.out.find(R"("value":9223372036854775807)") != std::string::npos);
  CHECK(decoded.out.find(R"({"name":"b","type":1,"value":false})") != std::string::npos);

  struct Case {
    const char* what;
    std::string input;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"wrong message_crc", R"({"payload":"aGk=","message_crc":5})",
       "error: Usage: stdin:1: message_crc is 5"},
      {"byte out of range", R"({"headers":[{"name":"x","type":2,"value":300}]})",
       "error: Usage: stdin:1: header 0: value does not fit a byte"},
      {"not JSON", "not json", "error: Usage: stdin:1: invalid JSON at offset 1: Invalid value."},
      {"bad base64", R"({"payload":"###"})", "error: Usage: stdin:1: \"payload\" must be base64"},
      {"bool value contradicts type", R"({"headers":[{"name":"b","type":0,"value":false}]})",
       "error: Usage: stdin:1: headers[0].value must be true"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const cli_test::Run run = run_eventstream({"encode"}, c.input + "\n");
    CHECK(run.status == 2);
    CHECK(run.err.rfind(c.error, 0) == 0);
    CHECK(run.out.empty());
  }
}
