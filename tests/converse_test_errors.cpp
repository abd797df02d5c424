// Typed errors from the Converse model: HTTP error responses (type, message, request id,
// retryability) and stream exceptions (docs/wire-protocol.md §2.3).
#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>
#include <bedrock_lite/internal/text.h>

#include "support/fixtures.h"
#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bl = bedrock_lite;
namespace cv = bedrock_lite::converse;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::folders_with;
using bedrock_lite::test::json_difference;
using bedrock_lite::test::parse_json;
using bedrock_lite::test::read_file;
using bedrock_lite::test::render_json;

// ---------------------------------------------------------------------------------------------
// HTTP error mapping rules (docs/wire-protocol.md §2.2, §6.4)

TEST_CASE("model: http_error reads type, message, request id and retryability", "[model][errors]") {
  struct Case {
    const char* name;
    int status;
    bl::http::Headers headers;
    std::string body;
    std::string aws_type;
    std::string message;
    bool retryable;
  };
  const std::vector<Case> cases = {
      {"header cut at ':'",
       400,
       {{"X-Amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/x/"}},
       R"({"message":"bad"})",
       "ValidationException",
       "bad",
       false},
      {"header after '#'",
       429,
       {{"x-amzn-errortype", "com.amazon.coral.service#ThrottlingException"}},
       R"({"Message":"slow down"})",
       "ThrottlingException",
       "slow down",
       true},
      {"body code",
       400,
       {},
       R"({"code":"SerializationException","message":"x"})",
       "SerializationException",
       "x",
       false},
      {"body Code",
       400,
       {},
       R"({"Code":"UnknownOperationException"})",
       "UnknownOperationException",
       "HTTP 400 without a message",
       false},
      {"body __type with namespace",
       403,
       {},
       R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"expired"})",
       "ExpiredTokenException",
       "expired",
       false},
      {"model not ready is retryable",
       429,
       {},
       R"({"__type":"ModelNotReadyException"})",
       "ModelNotReadyException",
       "HTTP 429 without a message",
       true},
      {"model timeout is not",
       408,
       {{"x-amzn-ErrorType", "ModelTimeoutException"}},
       R"({"message":"t"})",
       "ModelTimeoutException",
       "t",
       false},
      {"model error is not",
       424,
       {{"x-amzn-ErrorType", "ModelErrorException"}},
       R"({"message":"m"})",
       "ModelErrorException",
       "m",
       false},
      {"access denied is not",
       403,
       {{"x-amzn-ErrorType", "AccessDeniedException"}},
       R"({"message":"no"})",
       "AccessDeniedException",
       "no",
       false},
      {"internal server error",
       500,
       {{"x-amzn-ErrorType", "InternalServerException"}},
       R"({"message":"oops"})",
       "InternalServerException",
       "oops",
       true},
      {"service unavailable", 503, {}, R"({"message":"later"})", "503", "later", true},
      {"bare 502", 502, {}, "", "502", "HTTP 502 without a message", true},
      {"bare 504", 504, {}, "  \n", "504", "HTTP 504 without a message", true},
      {"429 without a type", 429, {}, "{}", "429", "HTTP 429 without a message", true},
      {"html body",
       502,
       {},
       "<html>\n<body>Bad   Gateway</body>\n</html>\n",
       "502",
       "HTTP 502 with a non-JSON body: <html> <body>Bad Gateway</body> </html>",
       true},
      {"multi-line message flattened",
       400,
       {},
       "{\"message\":\"line one\\nline two\"}",
       "400",
       "line one line two",
       false},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const bl::Error e = cv::http_error(c.status, c.headers, c.body);
      CHECK(e.kind == bl::ErrorKind::Service);
      CHECK(e.aws_type == c.aws_type);
      CHECK(e.message == c.message);
      CHECK(e.http_status == c.status);
      CHECK(e.retryable == c.retryable);
    }
  }

  SECTION("request id from x-amzn-RequestId, else x-amz-request-id") {
    CHECK(cv::http_error(400, {{"X-Amzn-RequestId", "abc"}}, "{}").request_id == "abc");
    CHECK(cv::http_error(400, {{"x-amz-request-id", "def"}}, "{}").request_id == "def");
    CHECK(cv::http_error(400, {}, "{}").request_id.empty());
  }

  SECTION("a huge non-JSON body gives a short one-line snippet") {
    std::string page = "<html>";
    for (int i = 0; i < 100000; ++i) page += "\xC3\xA9 proxy error\n";
    const bl::Error e = cv::http_error(502, {}, page);
    CHECK(e.message.size() < 300);
    CHECK(e.message.find('\n') == std::string::npos);
    CHECK_THAT(e.message, Catch::EndsWith("..."));
    CHECK_THAT(e.message, Catch::StartsWith("HTTP 502 with a non-JSON body: <html>"));
  }

  SECTION("retryable types agree across spellings") {
    CHECK(cv::is_retryable_error_type("ThrottlingException"));
    CHECK(cv::is_retryable_error_type("throttlingException"));
    CHECK(cv::is_retryable_error_type("serviceUnavailableException"));
    CHECK_FALSE(cv::is_retryable_error_type("validationException"));
    CHECK_FALSE(cv::is_retryable_error_type("modelStreamErrorException"));
    CHECK_FALSE(cv::is_retryable_error_type(""));
  }
}

// ---------------------------------------------------------------------------------------------
// Stream exceptions (docs/wire-protocol.md §2.3)

namespace {

std::string base64_decode(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const auto pos = alphabet.find(c);
    if (pos == std::string::npos) continue;  // '=', newline
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) |
         (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

}  // namespace

TEST_CASE("model: the vercel-ai modelStreamErrorException maps to a typed error",
          "[model][stream]") {
  // One event-stream message, decoded by hand here so this test does not depend on the
  // eventstream module: prelude (total length, headers length, CRC), string headers, payload.
  const std::string message = base64_decode(read_file(fixture_path(
      "vectors/eventstream/vercel-ai/model-stream-error-exception.eventstream.base64.txt")));
  REQUIRE(message.size() == 221);
  const std::uint32_t total = be32(message, 0), headers_length = be32(message, 4);
  REQUIRE(total == message.size());
  std::map<std::string, std::string> headers;
  for (std::size_t at = 12; at < 12 + headers_length;) {
    const std::size_t name_length = std::uint8_t(message[at]);
    const std::string name = message.substr(at + 1, name_length);
    at += 1 + name_length;
    REQUIRE(message[at] == 7);  // string
    const std::size_t value_length =
        (std::size_t(std::uint8_t(message[at + 1])) << 8) | std::uint8_t(message[at + 2]);
    headers[name] = message.substr(at + 3, value_length);
    at += 3 + value_length;
  }
  const std::string payload = message.substr(12 + headers_length, total - 12 - headers_length - 4);
  REQUIRE(headers[":message-type"] == "exception");
  REQUIRE(headers[":exception-type"] == "modelStreamErrorException");
  REQUIRE(
      payload ==
      R"({"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."})");

  const bl::Error e = cv::stream_exception_error(headers[":exception-type"], payload);
  CHECK(e.kind == bl::ErrorKind::Service);
  CHECK(e.aws_type == "modelStreamErrorException");
  CHECK(e.display_name() == "modelStreamErrorException");
  CHECK(e.message == "Model Stream Error (original status 500: The model stream failed.)");
  CHECK_FALSE(e.retryable);
  CHECK(e.to_string() ==
        "modelStreamErrorException: Model Stream Error (original status 500: The model stream "
        "failed.)");
}

TEST_CASE("model: stream exception and error messages", "[model][stream]") {
  struct Case {
    const char* type;
    const char* payload;
    std::string message;
    bool retryable;
  };
  const std::vector<Case> cases = {
      {"throttlingException", R"({"message":"Too many tokens"})", "Too many tokens", true},
      {"internalServerException", R"({"Message":"boom","p":"abc"})", "boom", true},
      {"serviceUnavailableException", R"({"message":"later"})", "later", true},
      {"validationException", R"({"message":"bad input"})", "bad input", false},
      {"modelStreamErrorException", R"({"originalStatusCode":424})", "original status 424", false},
      {"somethingNewException", "", "stream exception without a message", false},
      {"throttlingException", "not json\n at all", "exception payload is not JSON: not json at all",
       true},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.type << " " << c.payload) {
      const bl::Error e = cv::stream_exception_error(c.type, c.payload);
      CHECK(e.kind == bl::ErrorKind::Service);
      CHECK(e.aws_type == c.type);
      CHECK(e.message == c.message);
      CHECK(e.retryable == c.retryable);
      CHECK(e.http_status == 0);
    }
  }
  SECTION("an exception without a type is a Protocol error") {
    const bl::Error e = cv::stream_exception_error("", R"({"message":"x"})");
    CHECK(e.kind == bl::ErrorKind::Protocol);
    CHECK_THAT(e.message, Catch::Contains(":exception-type"));
  }
  SECTION(":message-type error uses :error-code and :error-message") {
    const bl::Error e = cv::stream_error_message("InternalFailure", "it broke");
    CHECK(e.kind == bl::ErrorKind::Service);
    CHECK(e.aws_type == "InternalFailure");
    CHECK(e.message == "it broke");
    CHECK(e.retryable);
    const bl::Error missing = cv::stream_error_message("", "x");
    CHECK(missing.kind == bl::ErrorKind::Protocol);
    CHECK_THAT(missing.message, Catch::Contains(":error-code"));
  }
}

// ---------------------------------------------------------------------------------------------
// Outside text quoted in a message: one line, bounded, whole UTF-8 characters (the one helper
// every module uses; fixtures/regressions/sts_xml/expiration-with-line-break.xml)

TEST_CASE("model: outside text is quoted on one line", "[model][errors]") {
  struct Row {
    std::string text;
    std::size_t max_bytes;
    std::string quoted;
  };
  const std::vector<Row> rows = {
      {"2030-01\n01T00300:00Z", 40, "2030-01 01T00300:00Z"},
      {"\r\n\t lead and trail \x7f\x01", 40, "lead and trail"},
      {"a\r\n\r\nb\tc  d", 40, "a b c d"},
      {"0123456789", 10, "0123456789"},
      {"0123456789A", 10, "0123456789..."},
      // a cut inside "\xc3\xa9" (é) drops the whole character
      {"abcdefgh\xc3\xa9", 9, "abcdefgh..."},
      {"", 10, ""},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(bl::internal::one_line(row.text, row.max_bytes) == row.quoted);
  }
}
