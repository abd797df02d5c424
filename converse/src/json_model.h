// Private: the machinery that reads and writes the model's structs as JSON. Each struct is
// described once, by a describe() function listing its members in wire order; the same
// description drives reading (Reader) and writing (Writer), so the two cannot drift apart.
// Members a description does not name are kept in the struct's `extra`, which is what makes the
// model lossless.
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

// ----- descriptions: one per struct, in wire order (docs/wire-protocol.md §1.4–1.8)

template <class V>
void describe(V& v, S3Location& x) {
  v.req("uri", x.uri);
  v.opt("bucketOwner", x.bucket_owner);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, TextItem& x) {
  v.opt("text", x.text);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, Source& x) {
  v.opt("bytes", x.bytes);
  v.opt("s3Location", x.s3_location);
  v.opt("text", x.text);
  v.opt("content", x.content);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, MediaError& x) {
  v.opt("message", x.message);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ImageBlock& x) {
  v.req("format", x.format);
  v.req("source", x.source);
  v.opt("error", x.error);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CitationsConfig& x) {
  v.req("enabled", x.enabled);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, DocumentBlock& x) {
  v.opt("format", x.format);
  v.req("name", x.name);
  v.req("source", x.source);
  v.opt("context", x.context);
  v.opt("citations", x.citations);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, VideoBlock& x) {
  v.req("format", x.format);
  v.req("source", x.source);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, AudioBlock& x) {
  v.req("format", x.format);
  v.req("source", x.source);
  v.opt("error", x.error);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolUseBlock& x) {
  v.req("toolUseId", x.tool_use_id);
  v.req("name", x.name);
  v.raw("input", x.input);
  v.opt("type", x.type);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, SearchResultBlock& x) {
  v.req("source", x.source);
  v.req("title", x.title);
  v.req("content", x.content);
  v.opt("citations", x.citations);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolResultContent& x) {
  v.raw("json", x.json);
  v.opt("text", x.text);
  v.opt("image", x.image);
  v.opt("document", x.document);
  v.opt("video", x.video);
  v.opt("searchResult", x.search_result);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolResultBlock& x) {
  v.req("toolUseId", x.tool_use_id);
  v.req("content", x.content);
  v.opt("status", x.status);
  v.opt("type", x.type);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, GuardrailText& x) {
  v.req("text", x.text);
  v.opt("qualifiers", x.qualifiers);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, GuardrailImage& x) {
  v.req("format", x.format);
  v.req("source", x.source);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, GuardrailContentBlock& x) {
  v.opt("text", x.text);
  v.opt("image", x.image);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CachePointBlock& x) {
  v.req("type", x.type);
  v.opt("ttl", x.ttl);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ReasoningText& x) {
  v.req("text", x.text);
  v.opt("signature", x.signature);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ReasoningContentBlock& x) {
  v.opt("reasoningText", x.reasoning_text);
  v.opt("redactedContent", x.redacted_content);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CitationRange& x) {
  v.opt("documentIndex", x.document_index);
  v.opt("searchResultIndex", x.search_result_index);
  v.opt("start", x.start);
  v.opt("end", x.end);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, WebLocation& x) {
  v.opt("url", x.url);
  v.opt("domain", x.domain);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CitationLocation& x) {
  v.opt("web", x.web);
  v.opt("documentChar", x.document_char);
  v.opt("documentPage", x.document_page);
  v.opt("documentChunk", x.document_chunk);
  v.opt("searchResultLocation", x.search_result_location);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, Citation& x) {
  v.opt("title", x.title);
  v.opt("source", x.source);
  v.opt("sourceContent", x.source_content);
  v.opt("location", x.location);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CitationsContentBlock& x) {
  v.opt("content", x.content);
  v.opt("citations", x.citations);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolReferenceBlock::Tool& x) {
  v.opt("type", x.type);
  v.opt("name", x.name);
  v.opt("serverName", x.server_name);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolReferenceBlock& x) {
  v.req("tool", x.tool);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlock& x) {
  v.opt("text", x.text);
  v.opt("image", x.image);
  v.opt("document", x.document);
  v.opt("video", x.video);
  v.opt("audio", x.audio);
  v.opt("toolUse", x.tool_use);
  v.opt("toolResult", x.tool_result);
  v.opt("guardContent", x.guard_content);
  v.opt("cachePoint", x.cache_point);
  v.opt("reasoningContent", x.reasoning_content);
  v.opt("citationsContent", x.citations_content);
  v.opt("searchResult", x.search_result);
  v.opt("toolAddition", x.tool_addition);
  v.opt("toolRemoval", x.tool_removal);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, Message& x) {
  v.req("role", x.role);
  v.req("content", x.content);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, SystemContentBlock& x) {
  v.opt("text", x.text);
  v.opt("guardContent", x.guard_content);
  v.opt("cachePoint", x.cache_point);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, InferenceConfig& x) {
  v.opt("maxTokens", x.max_tokens);
  v.opt("temperature", x.temperature);
  v.opt("topP", x.top_p);
  v.opt("stopSequences", x.stop_sequences);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolInputSchema& x) {
  v.raw("json", x.json);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolSpec& x) {
  v.req("name", x.name);
  v.opt("description", x.description);
  v.req("inputSchema", x.input_schema);
  v.opt("strict", x.strict);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, SystemTool& x) {
  v.req("name", x.name);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, Tool& x) {
  v.opt("toolSpec", x.tool_spec);
  v.opt("systemTool", x.system_tool);
  v.opt("cachePoint", x.cache_point);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolChoice::Auto& x) {
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolChoice::Any& x) {
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolChoice::Specific& x) {
  v.req("name", x.name);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolChoice& x) {
  v.opt("auto", x.automatic);
  v.opt("any", x.any);
  v.opt("tool", x.tool);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolConfig& x) {
  v.req("tools", x.tools);
  v.opt("toolChoice", x.tool_choice);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, GuardrailConfig& x) {
  v.opt("guardrailIdentifier", x.guardrail_identifier);
  v.opt("guardrailVersion", x.guardrail_version);
  v.opt("trace", x.trace);
  v.opt("streamProcessingMode", x.stream_processing_mode);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, PerformanceConfig& x) {
  v.opt("latency", x.latency);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ServiceTier& x) {
  v.req("type", x.type);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, PromptVariable& x) {
  v.opt("text", x.text);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, JsonSchemaFormat& x) {
  v.req("schema", x.schema);
  v.opt("name", x.name);
  v.opt("description", x.description);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, OutputFormatStructure& x) {
  v.opt("jsonSchema", x.json_schema);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, OutputFormat& x) {
  v.req("type", x.type);
  v.req("structure", x.structure);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, OutputConfig& x) {
  v.opt("textFormat", x.text_format);
  v.opt("effort", x.effort);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ConverseRequest& x) {
  v.opt("messages", x.messages);
  v.opt("system", x.system);
  v.opt("inferenceConfig", x.inference_config);
  v.opt("toolConfig", x.tool_config);
  v.opt("guardrailConfig", x.guardrail_config);
  v.raw("additionalModelRequestFields", x.additional_model_request_fields);
  v.opt("additionalModelResponseFieldPaths", x.additional_model_response_field_paths);
  v.opt("promptVariables", x.prompt_variables);
  v.opt("requestMetadata", x.request_metadata);
  v.opt("performanceConfig", x.performance_config);
  v.opt("serviceTier", x.service_tier);
  v.opt("outputConfig", x.output_config);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CacheDetail& x) {
  v.req("ttl", x.ttl);
  v.req("inputTokens", x.input_tokens);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, TokenUsage& x) {
  v.opt("inputTokens", x.input_tokens);
  v.opt("outputTokens", x.output_tokens);
  v.opt("totalTokens", x.total_tokens);
  v.opt("cacheReadInputTokens", x.cache_read_input_tokens);
  v.opt("cacheWriteInputTokens", x.cache_write_input_tokens);
  v.opt("cacheDetails", x.cache_details);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, Metrics& x) {
  v.opt("latencyMs", x.latency_ms);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ConverseOutput& x) {
  v.opt("message", x.message);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ConverseResponse& x) {
  v.req("output", x.output);
  v.req("stopReason", x.stop_reason);
  v.opt("usage", x.usage);
  v.opt("metrics", x.metrics);
  v.raw("additionalModelResponseFields", x.additional_model_response_fields);
  v.raw("trace", x.trace);
  v.opt("performanceConfig", x.performance_config);
  v.opt("serviceTier", x.service_tier);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, InvokeModelTokensInput& x) {
  v.req("body", x.body);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CountTokensResponse& x) {
  v.req("inputTokens", x.input_tokens);
  v.extra(x.extra);
}

// ----- stream events (docs/wire-protocol.md §1.7)

template <class V>
void describe(V& v, MessageStartEvent& x) {
  v.req("role", x.role);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolUseBlockStart& x) {
  v.req("toolUseId", x.tool_use_id);
  v.req("name", x.name);
  v.opt("type", x.type);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolResultBlockStart& x) {
  v.req("toolUseId", x.tool_use_id);
  v.opt("type", x.type);
  v.opt("status", x.status);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ImageBlockStart& x) {
  v.req("format", x.format);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlockStart& x) {
  v.opt("toolUse", x.tool_use);
  v.opt("toolResult", x.tool_result);
  v.opt("image", x.image);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlockStartEvent& x) {
  v.req("contentBlockIndex", x.content_block_index);
  v.req("start", x.start);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolUseBlockDelta& x) {
  v.req("input", x.input);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ToolResultBlockDelta& x) {
  v.opt("text", x.text);
  v.raw("json", x.json);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ReasoningContentBlockDelta& x) {
  v.opt("text", x.text);
  v.opt("redactedContent", x.redacted_content);
  v.opt("signature", x.signature);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CitationDelta& x) {
  v.opt("title", x.title);
  v.opt("source", x.source);
  v.opt("sourceContent", x.source_content);
  v.opt("location", x.location);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ImageBlockDelta& x) {
  v.opt("source", x.source);
  v.opt("error", x.error);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlockDelta& x) {
  v.opt("text", x.text);
  v.opt("toolUse", x.tool_use);
  v.opt("toolResult", x.tool_result);
  v.opt("reasoningContent", x.reasoning_content);
  v.opt("citation", x.citation);
  v.opt("image", x.image);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlockDeltaEvent& x) {
  v.req("contentBlockIndex", x.content_block_index);
  v.req("delta", x.delta);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, ContentBlockStopEvent& x) {
  v.req("contentBlockIndex", x.content_block_index);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, MessageStopEvent& x) {
  v.req("stopReason", x.stop_reason);
  v.raw("additionalModelResponseFields", x.additional_model_response_fields);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, MetadataEvent& x) {
  v.req("usage", x.usage);
  v.req("metrics", x.metrics);
  v.raw("trace", x.trace);
  v.opt("performanceConfig", x.performance_config);
  v.opt("serviceTier", x.service_tier);
  v.extra(x.extra);
}

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
