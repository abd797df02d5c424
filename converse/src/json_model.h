// Private: the machinery that reads and writes the model's structs as JSON. Each struct is
// described once, by a describe() function listing its members in wire order
// (json_descriptions.h); the same description drives reading (Reader) and writing (Writer), so
// the two cannot drift apart. Members a description does not name are kept in the struct's
// `extra`, which is what makes the model lossless. The templates here find describe() by
// argument-dependent lookup (Reader and Writer live in this namespace) when they are
// instantiated, so code that reads or writes the model includes json_descriptions.h.
#pragma once

#include <bedrock_lite/converse_events.h>
#include <bedrock_lite/converse_types.h>
#include <bedrock_lite/core.h>

#include <bedrock_lite/internal/json.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::converse::detail {

// Every write is checked (internal::CheckedJsonWriter): a value that cannot be written ends the
// writing with an error naming its JSON pointer, never a truncated body.
using JsonWriter = internal::CheckedJsonWriter<rapidjson::Writer<rapidjson::StringBuffer>>;

// Where reading is, and the first failure. The JSON pointer of the value being read is kept as
// a stack of segments and only spelled out when something fails, so reading a stream event
// builds no strings for it.
struct ReadContext {
  struct Segment {
    std::string_view name;  // a member name, or empty with `index` for an array element
    std::size_t index = 0;
    bool is_index = false;
  };
  // Deeper than any member of the model; documents (tool input, trace) are kept as raw text and
  // never descended into.
  static constexpr std::size_t kMaxDepth = 32;

  ErrorKind kind = ErrorKind::Protocol;
  // The text the document was parsed from and each value's place in it: documents and extra
  // members are taken from it byte for byte (docs/json.md).
  const internal::JsonSourceMap* source = nullptr;
  Segment segments[kMaxDepth];
  std::size_t depth = 0;
  std::string error;  // "<pointer>: <what>", empty while all is well

  bool fail(std::string_view what);
  bool failed() const { return !error.empty(); }
  std::string pointer() const;
};

// Pushes one segment of the JSON pointer for its lifetime.
class PathScope {
 public:
  PathScope(ReadContext& ctx, std::string_view name) : ctx_(ctx) {
    if (ctx_.depth < ReadContext::kMaxDepth) ctx_.segments[ctx_.depth] = {name, 0, false};
    ++ctx_.depth;
  }
  PathScope(ReadContext& ctx, std::size_t index) : ctx_(ctx) {
    if (ctx_.depth < ReadContext::kMaxDepth) ctx_.segments[ctx_.depth] = {{}, index, true};
    ++ctx_.depth;
  }
  ~PathScope() { --ctx_.depth; }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  ReadContext& ctx_;
};

// A parsed document whose first few KiB of nodes and parser stack live inside this object:
// a stream event's payload is a few hundred bytes, and RapidJSON's default allocators would
// otherwise take two heap blocks (one of 64 KiB) per event. Larger documents spill to the heap.
class JsonDocument {
 public:
  using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                              rapidjson::MemoryPoolAllocator<>>;
  JsonDocument()
      : nodes_(node_buffer_, sizeof node_buffer_),
        stack_(stack_buffer_, sizeof stack_buffer_),
        doc_(&nodes_, sizeof stack_buffer_, &stack_) {}
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  Document& doc() { return doc_; }

 private:
  char node_buffer_[4096];
  char stack_buffer_[1024];
  rapidjson::MemoryPoolAllocator<> nodes_;
  rapidjson::MemoryPoolAllocator<> stack_;
  Document doc_;
};

// Every JSON text the module parses goes through internal::parse_json().
using internal::kMaxJsonDepth;

// The JSON text of a value as it was received (ctx.source), else rendered; false with ctx.error
// set when it cannot be written.
bool raw_text(const rapidjson::Value& value, std::string& out, ReadContext& ctx);
// Writes raw JSON text as one value (text the model keeps for documents and extra members); text
// that is not one JSON value fails the writer.
void write_raw(JsonWriter& writer, std::string_view json);
// Parses `json` into `doc`, recording each value's span in `map` (which ctx.source then points
// to); on a syntax error fills ctx.error with the offset and the reason.
bool parse_document(std::string_view json, JsonDocument::Document& doc,
                    internal::JsonSourceMap& map, ReadContext& ctx);
// ----- scalar readers and writers

bool read_value(const rapidjson::Value& v, std::string& out, ReadContext& ctx);
bool read_value(const rapidjson::Value& v, bool& out, ReadContext& ctx);
bool read_value(const rapidjson::Value& v, std::int64_t& out, ReadContext& ctx);
bool read_value(const rapidjson::Value& v, double& out, ReadContext& ctx);
void write_value(JsonWriter& w, const std::string& value);
void write_value(JsonWriter& w, bool value);
void write_value(JsonWriter& w, std::int64_t value);
void write_value(JsonWriter& w, double value);

// ----- the visitors

class Reader;
class Writer;

template <class T>
bool read_value(const rapidjson::Value& v, std::vector<T>& out, ReadContext& ctx);
template <class T>
bool read_value(const rapidjson::Value& v, std::vector<std::pair<std::string, T>>& out,
                ReadContext& ctx);
template <class T>
bool read_value(const rapidjson::Value& v, T& out, ReadContext& ctx);
template <class T>
void write_value(JsonWriter& w, const std::vector<T>& values);
template <class T>
void write_value(JsonWriter& w, const std::vector<std::pair<std::string, T>>& values);
template <class T>
void write_value(JsonWriter& w, const T& value);

// Reads the members of one JSON object into a struct: each named member once, the rest into
// `extra` at the end. Stops at the first failure (ctx.error).
class Reader {
 public:
  Reader(const rapidjson::Value& object, ReadContext& ctx) : object_(object), ctx_(ctx) {
    const auto count = object.MemberCount();
    if (count > 64) used_many_.assign(count, false);
  }

  template <class T>
  void req(std::string_view name, T& out) {
    if (ctx_.failed()) return;
    const rapidjson::Value* v = find(name);
    if (v == nullptr) {
      ctx_.fail("missing required member '" + std::string(name) + "'");
      return;
    }
    PathScope scope(ctx_, name);
    read_value(*v, out, ctx_);
  }

  template <class T>
  void opt(std::string_view name, std::optional<T>& out) {
    if (ctx_.failed()) return;
    const rapidjson::Value* v = find(name);
    if (v == nullptr) return;
    PathScope scope(ctx_, name);
    read_value(*v, out.emplace(), ctx_);
  }

  // A JSON document kept as raw text.
  void raw(std::string_view name, std::string& out) {
    if (ctx_.failed()) return;
    const rapidjson::Value* v = find(name);
    if (v == nullptr) {
      ctx_.fail("missing required member '" + std::string(name) + "'");
      return;
    }
    PathScope scope(ctx_, name);
    raw_text(*v, out, ctx_);
  }
  void raw(std::string_view name, std::optional<std::string>& out) {
    if (ctx_.failed()) return;
    if (const rapidjson::Value* v = find(name)) {
      PathScope scope(ctx_, name);
      raw_text(*v, out.emplace(), ctx_);
    }
  }

  // Every member not named so far.
  void extra(ExtraMembers& out);

 private:
  const rapidjson::Value* find(std::string_view name);
  bool used(std::size_t i) const {
    return used_many_.empty() ? (used_few_ >> i & 1U) != 0 : used_many_[i];
  }

  const rapidjson::Value& object_;
  ReadContext& ctx_;
  std::uint64_t used_few_ = 0;   // objects of up to 64 members (all of them, in practice)
  std::vector<bool> used_many_;  // larger ones
};

// Writes a struct as a JSON object: set members in description order, then `extra`.
class Writer {
 public:
  explicit Writer(JsonWriter& w) : w_(w) {}

  template <class T>
  void req(std::string_view name, const T& value) {
    w_.Key(name);
    write_value(w_, value);
  }
  template <class T>
  void opt(std::string_view name, const std::optional<T>& value) {
    if (value) req(name, *value);
  }
  void raw(std::string_view name, const std::string& json) {
    w_.Key(name);
    write_raw(w_, json);
  }
  void raw(std::string_view name, const std::optional<std::string>& json) {
    if (json) raw(name, *json);
  }
  void extra(const ExtraMembers& members) {
    for (const auto& [name, json] : members) raw(name, json);
  }

 private:
  JsonWriter& w_;
};

// ----- containers and structs

template <class T>
bool read_value(const rapidjson::Value& v, std::vector<T>& out, ReadContext& ctx) {
  if (!v.IsArray()) return ctx.fail("expected an array");
  out.clear();
  out.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    PathScope scope(ctx, i);
    if (!read_value(v[i], out.emplace_back(), ctx)) return false;
  }
  return true;
}

template <class T>
bool read_value(const rapidjson::Value& v, std::vector<std::pair<std::string, T>>& out,
                ReadContext& ctx) {
  if (!v.IsObject()) return ctx.fail("expected an object");
  out.clear();
  out.reserve(v.MemberCount());
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    auto& [name, value] = out.emplace_back();
    name.assign(m->name.GetString(), m->name.GetStringLength());
    PathScope scope(ctx, name);
    if (!read_value(m->value, value, ctx)) return false;
  }
  return true;
}

// A described struct.
template <class T>
bool read_value(const rapidjson::Value& v, T& out, ReadContext& ctx) {
  if (!v.IsObject()) return ctx.fail("expected an object");
  Reader reader(v, ctx);
  describe(reader, out);
  return !ctx.failed();
}

template <class T>
void write_value(JsonWriter& w, const std::vector<T>& values) {
  w.StartArray();
  for (const auto& value : values) write_value(w, value);
  w.EndArray();
}

template <class T>
void write_value(JsonWriter& w, const std::vector<std::pair<std::string, T>>& values) {
  w.StartObject();
  for (const auto& [name, value] : values) {
    w.Key(name);
    write_value(w, value);
  }
  w.EndObject();
}

template <class T>
void write_value(JsonWriter& w, const T& value) {
  w.StartObject();
  Writer writer(w);
  // The descriptions take a mutable struct so that one function serves both directions; the
  // Writer only reads through it.
  describe(writer, const_cast<T&>(value));
  w.EndObject();
}

// The text `buffer` holds once `w` finished, or the Error (of `kind`, `what` naming the body)
// for the value it could not write.
Result<std::string> finish_text(rapidjson::StringBuffer& buffer, JsonWriter& w, ErrorKind kind,
                                std::string_view what);

// The compact JSON text of a described struct; `kind` and `what` as for finish_text().
template <class T>
Result<std::string> to_json_text(const T& value, ErrorKind kind, std::string_view what) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> base(buffer);
  JsonWriter w(base);
  write_value(w, value);
  return finish_text(buffer, w, kind, what);
}

// Parses `json` as the described struct T; `what` names the body in error messages.
template <class T>
Result<T> parse_as(std::string_view json, ErrorKind kind, std::string_view what) {
  ReadContext ctx;
  ctx.kind = kind;
  JsonDocument doc;
  internal::JsonSourceMap map;
  T out;
  if (parse_document(json, doc.doc(), map, ctx)) read_value(doc.doc(), out, ctx);
  if (ctx.failed()) return make_error(kind, std::string(what) + ": " + ctx.error);
  return out;
}

}  // namespace bedrock_lite::converse::detail
