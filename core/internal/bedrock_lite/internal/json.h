// The one guarded JSON layer. Every JSON text that comes from outside (request files, C API
// strings, `eventstream encode` lines, fixture files, credential documents, service responses)
// goes through parse_json() — size bound, nesting bound, then the parse, with a precise error —
// and nothing else in library or CLI code calls RapidJSON's Parse (a ctest,
// json_parse_is_guarded, greps for it). Every JSON text the library and the CLI write goes
// through CheckedJsonWriter, which checks each RapidJSON Writer result and names the JSON pointer
// of a value that cannot be written, so no output is ever silently truncated (docs/json.md).
// Private to the library and the CLI: not installed.
#pragma once

#include <bedrock_lite/core.h>

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::internal {

// Nesting limit of the JSON texts the library parses. RapidJSON's parser and writer recurse once
// per level, so "[[[[..." a few hundred thousand deep would overflow the stack
// (fixtures/regressions/converse_response/deeply_nested_trace); 128 is serde_json's default
// limit, far above anything the API nests (tool schemas included).
constexpr std::size_t kMaxJsonDepth = 128;

// The offset of the first '[' or '{' opening a level deeper than `max_depth`, or npos. Strings
// are skipped as the parser skips them, so up to the parser's first error the two agree.
std::size_t find_excess_nesting(std::string_view json, std::size_t max_depth = kMaxJsonDepth);

// RapidJSON refuses numbers a double cannot hold ("1e400", "-1e309", 309-digit integers) as
// kParseErrorNumberTooBig, although JSON allows them and pass-through must keep them. Returns
// `json` with each such number overwritten in place by "0" padded with spaces (same length, so
// offsets stay right), or nullopt when there is none. Only the parser sees the copy: values are
// read from the original text.
std::optional<std::string> rewrite_huge_numbers(std::string_view json);

// Bounds on a JSON text from outside. Immutable value.
struct JsonLimits {
  // 64 MiB: the largest body the client buffers (http::fetch's default cap).
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_depth = kMaxJsonDepth;
};

// Why a text was refused. `message` is one line without the text itself ("invalid JSON at
// offset 12: Missing a colon after a name of object member."); the caller prefixes where the
// text came from and picks the error kind (Usage for the caller's input, Protocol for a peer's,
// Config for files).
struct JsonError {
  std::string message;
  std::size_t offset = 0;  // byte offset of the fault in the text as given
};

// The size and nesting checks alone: the error, or nullopt when the text may be parsed.
std::optional<JsonError> screen_json(std::string_view text, const JsonLimits& limits = {});
// The message for a RapidJSON parse error at `offset`.
JsonError describe_parse_error(rapidjson::ParseErrorCode code, std::size_t offset);
// The error, or nullopt when `text` is exactly one JSON value (whitespace around it allowed)
// within `limits`. Builds no document.
std::optional<JsonError> check_json_value(std::string_view text, const JsonLimits& limits = {});

// A JSON number token as the document holds it. Numbers are converted here, not by RapidJSON:
// its converter misread zeros with exponents ("0e-95" became 1.3e36, undefined behaviour inside
// it; fixtures/regressions/fixture_loader/zero_with_negative_exponent) and refuses what a double
// cannot hold. Integers that fit are exact int64/uint64; the rest are the nearest double, ±inf
// past the largest and ±0 below the smallest (the exact text stays in the source, JsonSourceMap).
struct JsonNumber {
  enum class Kind { Int64, Uint64, Double } kind = Kind::Double;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};
JsonNumber decode_json_number(std::string_view token);
// The length of the number token at the start of `text` (0 if none).
std::size_t number_token_length(std::string_view text);

// Byte range [begin, end) of a value in the text it was parsed from.
struct JsonSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Where each value of a parsed document sits in its source text, so members the library does not
// model pass through as the exact bytes received (docs/json.md), numbers included. Filled by
// parse_json(); refers to the text and the document, which must outlive it. Single-thread.
class JsonSourceMap {
 public:
  std::string_view text() const { return text_; }
  // The exact source text of `value` (a value of the mapped document), or empty if unknown.
  std::string_view slice(const rapidjson::Value& value) const;

  // parse_json()'s side: the spans in the order the parser met the values (pre-order), then
  // index() pairs them with the finished document's values, walked in the same order.
  void start(std::string_view text);
  std::vector<JsonSpan>& spans() { return spans_; }
  void index(const rapidjson::Value& root);

 private:
  std::string_view text_;
  std::vector<JsonSpan> spans_;
  std::vector<std::pair<const rapidjson::Value*, JsonSpan>> by_value_;  // sorted by address
};

namespace detail {

inline bool is_json_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':';
}

// A RapidJSON SAX handler that builds `Document` (through its own handler methods) while
// recording each value's span in `map` (when given) and converting numbers with
// decode_json_number() from the original text.
template <class Document, class Stream>
class SpanRecorder {
 public:
  SpanRecorder(Document& doc, const Stream& stream, std::string_view original, JsonSourceMap* map)
      : doc_(doc), stream_(stream), original_(original), map_(map) {}

  bool Null() { return scalar() && doc_.Null(); }
  bool Bool(bool b) { return scalar() && doc_.Bool(b); }
  bool Int(int i) { return scalar() && doc_.Int(i); }
  bool Uint(unsigned u) { return scalar() && doc_.Uint(u); }
  bool Int64(std::int64_t i) { return scalar() && doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return scalar() && doc_.Uint64(u); }
  bool Double(double d) { return scalar() && doc_.Double(d); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) {
    // The token's extent comes from the original text: the parser may be reading a copy in
    // which rewrite_huge_numbers() shortened it to "0".
    const std::size_t begin = value_begin();
    const std::size_t length = number_token_length(original_.substr(begin));
    if (map_ != nullptr) map_->spans().push_back({begin, begin + length});
    last_ = begin + length;
    const JsonNumber n = decode_json_number(original_.substr(begin, length));
    switch (n.kind) {
      case JsonNumber::Kind::Int64:
        return doc_.Int64(n.i);
      case JsonNumber::Kind::Uint64:
        return doc_.Uint64(n.u);
      case JsonNumber::Kind::Double:
        break;
    }
    return doc_.Double(n.d);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return scalar() && doc_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    last_ = stream_.Tell();
    return doc_.Key(s, n, copy);
  }
  bool StartObject() { return open() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return close() && doc_.EndObject(n); }
  bool StartArray() { return open() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return close() && doc_.EndArray(n); }

 private:
  // A value starts at the first byte after the previous token that is not whitespace, ',' or ':'.
  std::size_t value_begin() const {
    std::size_t at = last_;
    while (at < original_.size() && is_json_separator(original_[at])) ++at;
    return at;
  }
  bool scalar() {
    if (map_ != nullptr) map_->spans().push_back({value_begin(), stream_.Tell()});
    last_ = stream_.Tell();
    return true;
  }
  bool open() {
    if (map_ != nullptr) {
      open_.push_back(map_->spans().size());
      map_->spans().push_back({stream_.Tell() - 1, 0});
    }
    last_ = stream_.Tell();
    return true;
  }
  bool close() {
    if (map_ != nullptr) {
      map_->spans()[open_.back()].end = stream_.Tell();
      open_.pop_back();
    }
    last_ = stream_.Tell();
    return true;
  }

  Document& doc_;
  const Stream& stream_;
  std::string_view original_;
  JsonSourceMap* map_;
  std::size_t last_ = 0;
  std::vector<std::size_t> open_;
};

// Drives a GenericReader over `parsed` (the text, or its rewrite_huge_numbers() copy) into the
// document through SpanRecorder; the generator GenericDocument::Populate() expects.
template <class Document>
struct SpanParse {
  std::string_view parsed;
  std::string_view original;
  JsonSourceMap* map;
  rapidjson::ParseResult result;

  bool operator()(Document& doc) {
    using Stream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;
    rapidjson::MemoryStream memory(parsed.data(), parsed.size());
    Stream stream(memory);
    // The reader's scratch stack (string and number copies) starts on this frame, so a small
    // document takes no heap block for it.
    char scratch[512];
    rapidjson::MemoryPoolAllocator<> allocator(scratch, sizeof scratch, 4096);
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>
        reader(&allocator, 256);
    SpanRecorder<Document, Stream> handler(doc, stream, original, map);
    result = reader.template Parse<rapidjson::kParseNumbersAsStringsFlag>(stream, handler);
    return !result.IsError();
  }
};

}  // namespace detail

// Parses `text` into `document` (any rapidjson::GenericDocument) after screen_json(). Strings
// are copied into the document, so it may outlive `text`; `map`, when given, records each value's
// span in `text` (and then refers to both).
template <class Document>
Result<void, JsonError> parse_json(Document& document, std::string_view text,
                                   const JsonLimits& limits = {}, JsonSourceMap* map = nullptr) {
  if (auto refused = screen_json(text, limits)) return std::move(*refused);
  if (map != nullptr) map->start(text);
  detail::SpanParse<Document> parse{text, text, map, {}};
  document.Populate(parse);
  std::optional<std::string> rewritten;
  if (parse.result.Code() == rapidjson::kParseErrorNumberTooBig &&
      (rewritten = rewrite_huge_numbers(text))) {
    if (map != nullptr) map->start(text);
    parse = detail::SpanParse<Document>{*rewritten, text, map, {}};
    document.Populate(parse);
  }
  if (parse.result.IsError())
    return describe_parse_error(parse.result.Code(), parse.result.Offset());
  if (map != nullptr) map->index(document);
  return {};
}

// Why a value could not be written: the JSON pointer of the value and the reason.
struct JsonWriteError {
  std::string pointer;  // "/messages/0/content/1/toolUse/input"; "" for the whole document
  std::string reason;   // "not a finite number (inf)"
  std::string message() const { return (pointer.empty() ? "/" : pointer) + ": " + reason; }
};

// The JSON pointer of the value being written and the first failure: CheckedJsonWriter's state.
class JsonWritePath {
 public:
  void enter();  // a container was opened
  void key(std::string_view name);
  void leave();          // the open container was closed (itself a value of its parent)
  void value_written();  // a value was written in the open container
  bool fail(std::string reason);
  bool failed() const { return error_.has_value(); }
  const std::optional<JsonWriteError>& error() const { return error_; }

 private:
  struct Frame {
    std::size_t index = 0;  // values written so far (an array's next index)
    std::string key;        // an object's current member name
    bool has_key = false;
  };
  std::string pointer() const;
  std::vector<Frame> frames_;
  std::optional<JsonWriteError> error_;
};

// Wraps a RapidJSON Writer or PrettyWriter: every call's result is checked, and the first value
// that cannot be written (a non-finite double, raw text that is not one JSON value, a refusal by
// the writer) stops the writing with a JsonWriteError naming its JSON pointer. Later calls do
// nothing and return false, so the output is never a silently truncated document: callers turn
// error() into an Error (Usage for a request, Protocol for a response). Also a RapidJSON handler,
// so `value.Accept(writer)` works. Single-thread.
template <class Base>
class CheckedJsonWriter {
 public:
  using Ch = char;
  explicit CheckedJsonWriter(Base& base) : w_(base) {}

  bool Null() { return !failed() && value(w_.Null()); }
  bool Bool(bool b) { return !failed() && value(w_.Bool(b)); }
  bool Int(int i) { return !failed() && value(w_.Int(i)); }
  bool Uint(unsigned u) { return !failed() && value(w_.Uint(u)); }
  bool Int64(std::int64_t i) { return !failed() && value(w_.Int64(i)); }
  bool Uint64(std::uint64_t u) { return !failed() && value(w_.Uint64(u)); }
  bool Double(double d) {
    if (failed()) return false;
    // JSON has no NaN or infinity: RapidJSON would write nothing and leave a dangling key.
    if (!std::isfinite(d))
      return path_.fail(std::string("not a finite number (") +
                        (std::isnan(d) ? "nan"
                         : d < 0       ? "-inf"
                                       : "inf") +
                        ")");
    return value(w_.Double(d));
  }
  bool String(const char* s, rapidjson::SizeType n, bool = false) {
    return !failed() && value(w_.String(s, n));
  }
  bool String(std::string_view s) {
    return String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool = false) {
    if (failed()) return false;
    path_.key(std::string_view(s, n));
    return checked(w_.Key(s, n));
  }
  bool Key(std::string_view s) { return Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  // After a failure nothing reaches the base writer (it would assert on a member left without
  // its value).
  bool StartObject() { return !failed() && start(w_.StartObject()); }
  bool EndObject(rapidjson::SizeType = 0) { return !failed() && end(w_.EndObject()); }
  bool StartArray() { return !failed() && start(w_.StartArray()); }
  bool EndArray(rapidjson::SizeType = 0) { return !failed() && end(w_.EndArray()); }

  // One JSON value given as text (a document member kept as received): written byte for byte
  // after check_json_value() accepts it.
  bool Raw(std::string_view json) {
    if (failed()) return false;
    if (json.empty()) return path_.fail("no JSON text (empty)");
    if (auto refused = check_json_value(json)) {
      return path_.fail("not one JSON value (" + refused->message + ")");
    }
    return value(w_.RawValue(json.data(), json.size(), rapidjson::kObjectType));
  }

  // A parsed value; with `source`, each number is written as its exact source text.
  bool Value(const rapidjson::Value& v, const JsonSourceMap* source = nullptr) {
    if (failed()) return false;
    if (v.IsObject()) {
      if (!StartObject()) return false;
      for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        if (!Key(m->name.GetString(), m->name.GetStringLength()) || !Value(m->value, source))
          return false;
      }
      return EndObject();
    }
    if (v.IsArray()) {
      if (!StartArray()) return false;
      for (const auto& element : v.GetArray()) {
        if (!Value(element, source)) return false;
      }
      return EndArray();
    }
    if (v.IsNumber() && source != nullptr) {
      const std::string_view text = source->slice(v);
      if (!text.empty())
        return value(w_.RawValue(text.data(), text.size(), rapidjson::kNumberType));
    }
    return v.Accept(*this);
  }

  // True when a whole document was written and nothing failed.
  bool finish() {
    if (!failed() && !w_.IsComplete()) path_.fail("incomplete JSON document");
    return !failed();
  }
  bool failed() const { return path_.failed(); }
  const std::optional<JsonWriteError>& error() const { return path_.error(); }

 private:
  bool checked(bool ok) { return ok || path_.fail("refused by the JSON writer"); }
  bool value(bool ok) {
    if (!checked(ok)) return false;
    path_.value_written();
    return true;
  }
  bool start(bool ok) {
    if (!checked(ok)) return false;
    path_.enter();
    return true;
  }
  bool end(bool ok) {
    if (!checked(ok)) return false;
    path_.leave();
    return true;
  }

  Base& w_;
  JsonWritePath path_;
};

// The compact text of a value (with `source`, numbers as their source text), or why not.
Result<std::string, JsonWriteError> render_json(const rapidjson::Value& value,
                                                const JsonSourceMap* source = nullptr);

}  // namespace bedrock_lite::internal
