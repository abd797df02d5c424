// The eventstream codec against the official vectors (aws-sdk-go, smithy-rs, vercel-ai), the
// docs/wire-protocol.md §3 byte-level example and every recorded event-stream body. The
// properties (chunking invariance, round trips, truncation, limits, stop, fault latching) are in
// eventstream_test_properties.cpp.
#include <bedrock_lite/eventstream.h>
#include <rapidjson/document.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "eventstream_test_support.h"
#include "support/fixtures.h"
#include "support/json.h"

namespace es = bedrock_lite::eventstream;
namespace fs = std::filesystem;
using bedrock_lite::test::fixture_path;
using bedrock_lite::test::folders_with;
using bedrock_lite::test::read_file;
using namespace bedrock_lite::eventstream_test;

namespace {

// How the expected JSON spells values: the official decoded vectors write CRCs as signed int32
// and string header values as base64; our derived files (and docs/cli.md) use unsigned CRCs and
// plain strings (fixtures/vectors/eventstream/README.md).
enum class JsonDialect { Official, Cli };

bool crc_equals(const rapidjson::Value& v, std::uint32_t crc) {
  if (!v.IsInt64()) return false;
  const std::int64_t n = v.GetInt64();
  return n == static_cast<std::int64_t>(crc) ||
         n == static_cast<std::int64_t>(static_cast<std::int32_t>(crc));
}

// Empty when the message matches the expected JSON object, else the first difference.
std::string compare_message(const es::MessageView& m, const rapidjson::Value& e,
                            JsonDialect dialect) {
  if (!e.IsObject()) return "expected JSON is not an object";
  for (const char* key :
       {"total_length", "headers_length", "prelude_crc", "headers", "payload", "message_crc"}) {
    if (!e.HasMember(key)) return std::string("expected JSON lacks ") + key;
  }
  if (!e["total_length"].IsUint() || e["total_length"].GetUint() != m.total_length())
    return "total_length differs: got " + std::to_string(m.total_length());
  if (!e["headers_length"].IsUint() || e["headers_length"].GetUint() != m.headers_length())
    return "headers_length differs: got " + std::to_string(m.headers_length());
  if (!crc_equals(e["prelude_crc"], m.prelude_crc()))
    return "prelude_crc differs: got " + std::to_string(m.prelude_crc());
  if (!crc_equals(e["message_crc"], m.message_crc()))
    return "message_crc differs: got " + std::to_string(m.message_crc());
  if (!e["payload"].IsString() || base64_decode(e["payload"].GetString()) != m.payload())
    return "payload differs: got " + base64_encode(m.payload());
  const auto& headers = e["headers"];
  if (!headers.IsArray()) return "headers is not an array";
  rapidjson::SizeType i = 0;
  for (const es::Header& h : m.headers()) {
    const std::string where = "headers[" + std::to_string(i) + "]";
    if (i >= headers.Size()) return where + " is extra: " + std::string(h.name);
    const auto& eh = headers[i++];
    if (!eh.IsObject() || !eh.HasMember("name") || !eh.HasMember("type") || !eh.HasMember("value"))
      return where + " is malformed in the expected JSON";
    if (std::string(eh["name"].GetString()) != h.name)
      return where + ".name differs: got " + std::string(h.name);
    if (!eh["type"].IsUint() || eh["type"].GetUint() != static_cast<unsigned>(h.value.type))
      return where + ".type differs: got " + std::to_string(static_cast<unsigned>(h.value.type));
    const auto& ev = eh["value"];
    const es::HeaderValue& v = h.value;
    bool same = false;
    switch (v.type) {
      case es::HeaderType::BoolTrue:
      case es::HeaderType::BoolFalse:
        same = ev.IsBool() && ev.GetBool() == *v.as_bool();
        break;
      case es::HeaderType::Byte:
      case es::HeaderType::Int16:
      case es::HeaderType::Int32:
      case es::HeaderType::Int64:
        same = ev.IsInt64() && ev.GetInt64() == *v.as_integer();
        break;
      case es::HeaderType::Timestamp:
        same = ev.IsInt64() && ev.GetInt64() == *v.as_timestamp();
        break;
      case es::HeaderType::ByteArray:
      case es::HeaderType::Uuid:
        same = ev.IsString() && base64_decode(ev.GetString()) == v.bytes;
        break;
      case es::HeaderType::String:
        same = ev.IsString() &&
               (dialect == JsonDialect::Official
                    ? base64_decode(ev.GetString()) == v.bytes
                    : std::string_view(ev.GetString(), ev.GetStringLength()) == v.bytes);
        break;
    }
    if (!same) return where + ".value differs for " + std::string(h.name);
  }
  if (i != headers.Size())
    return "headers: expected " + std::to_string(headers.Size()) + ", got " + std::to_string(i);
  return {};
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return fields;
}

}  // namespace

TEST_CASE("eventstream: aws-sdk-go positive vectors decode to their decoded JSON") {
  const fs::path root = fixture_path("vectors/eventstream/aws-sdk-go");
  std::size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(root / "encoded/positive")) {
    const std::string name = entry.path().filename().string();
    SECTION(name) {
      const std::string bytes = read_file(entry.path());
      const auto expected = parse_json(read_file(root / "decoded/positive" / name));
      std::vector<std::string> diffs;
      const Decoded d = decode_all(bytes, {bytes.size()}, [&](const es::MessageView& m) {
        diffs.push_back(compare_message(m, expected, JsonDialect::Official));
      });
      INFO(name);
      CHECK(d.finish == es::Status::Ok);
      REQUIRE(diffs.size() == 1);
      CHECK(diffs[0] == "");
    }
    ++cases;
  }
  CHECK(cases >= 5);
}

TEST_CASE("eventstream: aws-sdk-go negative vectors are rejected by the named check") {
  const fs::path root = fixture_path("vectors/eventstream/aws-sdk-go");
  std::map<std::string, std::string> check_for_text;
  for (const auto& line :
       lines_of(read_file(fixture_path("vectors/eventstream/aws-sdk-go-negative-checks.tsv")))) {
    const auto f = split_tabs(line);
    REQUIRE(f.size() == 2);
    check_for_text[f[0]] = f[1];
  }
  std::size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(root / "encoded/negative")) {
    const std::string name = entry.path().filename().string();
    SECTION(name) {
      std::string text = read_file(root / "decoded/negative" / name);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      INFO(name << ": expected \"" << text << "\"");
      REQUIRE(check_for_text.count(text) == 1);
      const std::string bytes = read_file(entry.path());
      const Decoded d = decode_all(bytes, {bytes.size()});
      CHECK(d.messages.empty());
      REQUIRE(d.error.has_value());
      CHECK(es::to_string(d.error->check) == check_for_text[text]);
      CHECK(d.error->message_index == 0);
    }
    ++cases;
  }
  CHECK(cases >= 4);
}

TEST_CASE("eventstream: smithy-rs vectors are accepted or rejected by the named check") {
  const fs::path root = fixture_path("vectors/eventstream/smithy-rs");
  std::size_t cases = 0;
  for (const auto& line :
       lines_of(read_file(fixture_path("vectors/eventstream/smithy-rs-expected.tsv")))) {
    const auto f = split_tabs(line);
    REQUIRE(f.size() == 3);
    SECTION(f[0]) {
      INFO(f[0] << " expects " << f[1] << " (smithy-rs " << f[2] << ")");
      const std::string bytes = read_file(root / f[0]);
      const Decoded d = decode_all(bytes, {bytes.size()});
      if (f[1] == "ok") {
        CHECK(d.finish == es::Status::Ok);
        CHECK(d.messages.size() == 1);
        CHECK(d.messages.at(0).bytes == bytes);
      } else {
        CHECK(d.messages.empty());
        REQUIRE(d.error.has_value());
        CHECK(es::to_string(d.error->check) == f[1]);
      }
    }
    ++cases;
  }
  CHECK(cases >= 11);
  // Every file in the folder is in the table.
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.path().filename().string().rfind("LICENSE", 0) != 0 &&
        entry.path().filename().string().rfind("NOTICE", 0) != 0)
      ++files;
  }
  CHECK(files == cases);
}

TEST_CASE("eventstream: typed header access on smithy-rs valid_with_all_headers_and_payload") {
  const std::string bytes =
      read_file(fixture_path("vectors/eventstream/smithy-rs/valid_with_all_headers_and_payload"));
  bool seen = false;
  const Decoded d = decode_all(bytes, {bytes.size()}, [&](const es::MessageView& m) {
    seen = true;
    // Values from the smithy-rs unit test, quoted in fixtures/vectors/eventstream/README.md.
    CHECK(m.header("true")->as_bool() == true);
    CHECK(m.header("false")->as_bool() == false);
    CHECK(m.header("byte")->as_integer() == 50);
    CHECK(m.header("byte")->type == es::HeaderType::Byte);
    CHECK(m.header("short")->as_integer() == 20000);
    CHECK(m.header("short")->type == es::HeaderType::Int16);
    CHECK(m.header("int")->as_integer() == 500000);
    CHECK(m.header("int")->type == es::HeaderType::Int32);
    CHECK(m.header("long")->as_integer() == 50000000000);
    CHECK(m.header("long")->type == es::HeaderType::Int64);
    CHECK(m.header("bytes")->as_bytes() == std::string_view("some bytes"));
    CHECK(m.header("str")->as_string() == std::string_view("some str"));
    CHECK(m.string_header("str") == std::string_view("some str"));
    CHECK(m.header("time")->as_timestamp() == 5000000000);
    CHECK(m.header("time")->as_integer() == std::nullopt);
    const std::string uuid = "\xb7\x9b\xc9\x14\xde\x21\x4e\x13\xb8\xb2\xbc\x47\xe8\x5b\x7f\x0b";
    CHECK(m.header("uuid")->as_uuid() == std::string_view(uuid));
    CHECK(m.header("uuid")->as_string() == std::nullopt);
    CHECK(m.header("missing") == std::nullopt);
    CHECK(m.string_header("int") == std::nullopt);
    CHECK(m.payload() == "some payload");
    CHECK(m.event_type() == std::nullopt);
    std::vector<std::string> names;
    for (const auto& h : m.headers()) names.emplace_back(h.name);
    CHECK(names == std::vector<std::string>{"true", "false", "byte", "short", "int", "long",
                                            "bytes", "str", "time", "uuid"});
  });
  CHECK(seen);
  CHECK(d.finish == es::Status::Ok);
}

TEST_CASE("eventstream: vercel-ai base64 exception message") {
  const std::string text = read_file(fixture_path(
      "vectors/eventstream/vercel-ai/model-stream-error-exception.eventstream.base64.txt"));
  const std::string bytes = base64_decode(text.substr(0, text.find_first_of("\r\n")));
  REQUIRE(bytes.size() == 221);
  bool seen = false;
  const Decoded d = decode_all(bytes, {bytes.size()}, [&](const es::MessageView& m) {
    seen = true;
    CHECK(m.message_type() == std::string_view("exception"));
    CHECK(m.exception_type() == std::string_view("modelStreamErrorException"));
    CHECK(m.content_type() == std::string_view("application/json"));
    CHECK(m.event_type() == std::nullopt);
    CHECK(
        m.payload() ==
        R"({"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."})");
  });
  CHECK(seen);
  CHECK(d.finish == es::Status::Ok);
}

TEST_CASE("eventstream: docs/wire-protocol.md section 3 byte-level example") {
  const std::string payload = R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcd"})";
  REQUIRE(payload.size() == 56);
  const std::vector<es::Header> headers = {
      {":event-type", es::HeaderValue::string("contentBlockDelta")},
      {":content-type", es::HeaderValue::string("application/json")},
      {":message-type", es::HeaderValue::string("event")},
  };
  std::string wire;
  REQUIRE(es::encode_message(headers, payload, wire));
  REQUIRE(wire.size() == 159);
  CHECK(hex(wire.substr(0, 12)) == "0000009f00000057c37babff");
  CHECK(hex(wire.substr(155)) == "f2ace5ff");
  CHECK(hex(wire.substr(12, 15)) == "0b3a6576656e742d74797065070011");
  const Decoded d = decode_all(wire, {wire.size()}, [&](const es::MessageView& m) {
    CHECK(m.total_length() == 159);
    CHECK(m.headers_length() == 87);
    CHECK(m.prelude_crc() == 0xc37babffu);
    CHECK(m.message_crc() == 0xf2ace5ffu);
    CHECK(m.event_type() == std::string_view("contentBlockDelta"));
    CHECK(m.content_type() == std::string_view("application/json"));
    CHECK(m.message_type() == std::string_view("event"));
    CHECK(m.payload() == payload);
  });
  CHECK(d.messages.size() == 1);
  CHECK(d.finish == es::Status::Ok);
}

TEST_CASE("eventstream: every recorded event-stream body decodes, tiles and matches its jsonl") {
  const auto folders = recorded_stream_folders();
  std::size_t bodies = 0;
  std::size_t total_messages = 0;
  for (const auto& dir : folders) {
    SECTION(rel(dir)) {
      INFO(rel(dir));
      const std::string body = read_file(dir / "response.body");
      REQUIRE(fs::exists(dir / "response.eventstream.jsonl"));
      const auto expected = lines_of(read_file(dir / "response.eventstream.jsonl"));
      std::vector<std::string> events;
      if (fs::exists(dir / "response.events.jsonl"))
        events = lines_of(read_file(dir / "response.events.jsonl"));
      std::vector<std::string> diffs;
      std::uint64_t next_offset = 0;
      std::size_t index = 0;
      const Decoded d = decode_all(body, {body.size()}, [&](const es::MessageView& m) {
        INFO("message " << index);
        CHECK(m.offset() == next_offset);  // messages tile the body
        CHECK(m.index() == index);
        // Whole body in one chunk: every message is a view into it, not a copy.
        CHECK(m.bytes().data() == body.data() + m.offset());
        next_offset += m.total_length();
        REQUIRE(index < expected.size());
        const auto e = parse_json(expected[index]);
        CHECK(compare_message(m, e, JsonDialect::Cli) == "");
        if (!events.empty()) {
          REQUIRE(index < events.size());
          REQUIRE(m.event_type().has_value());
          const std::string event =
              "{\"" + std::string(*m.event_type()) + "\":" + std::string(m.payload()) + "}";
          CHECK(bedrock_lite::test::json_difference(event, events[index]) == "");
        }
        ++index;
      });
      CHECK(d.finish == es::Status::Ok);
      CHECK(next_offset == body.size());
      CHECK(index == expected.size());
      CHECK(index > 0);
    }
    ++bodies;
    total_messages += lines_of(read_file(dir / "response.eventstream.jsonl")).size();
  }
  // fixtures/recorded/*/README.md: 10 + 22 bodies, 188 + 1139 messages.
  CHECK(bodies >= 32);
  CHECK(total_messages >= 1327);
}
