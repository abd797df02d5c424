// Reading and writing the Converse / CountTokens model as JSON (docs/wire-protocol.md §1.4–1.8).
// The member lists live in json_descriptions.h; this file holds the scalar cases and the public
// entry points.
#include "json_descriptions.h"

#include <bedrock_lite/internal/text.h>

#include <rapidjson/error/en.h>

#include <cctype>
#include <cmath>
#include <cstddef>

namespace bedrock_lite::converse {
namespace detail {

bool ReadContext::fail(std::string_view what) {
  if (error.empty()) {
    error = pointer();
    error += ": ";
    error += what;
  }
  return false;
}

std::string ReadContext::pointer() const {
  if (depth == 0) return "/";
  std::string out;
  for (std::size_t i = 0; i < depth && i < kMaxDepth; ++i) {
    out += '/';
    if (segments[i].is_index) {
      out += std::to_string(segments[i].index);
      continue;
    }
    internal::append_json_pointer_token(out, segments[i].name);
  }
  if (depth > kMaxDepth) out += "/...";
  return out;
}

bool raw_text(const rapidjson::Value& value, std::string& out, ReadContext& ctx) {
  // The bytes as received: a number keeps its spelling ("1E2", "12345678901234567890123",
  // "-0.00009e-320"), which a round trip through a double would change (docs/json.md).
  if (ctx.source != nullptr) {
    const std::string_view text = ctx.source->slice(value);
    if (!text.empty()) {
      out.assign(text.data(), text.size());
      return true;
    }
  }
  auto rendered = internal::render_json(value);
  if (!rendered) return ctx.fail(rendered.error().message());
  out = std::move(rendered).value();
  return true;
}

void write_raw(JsonWriter& writer, std::string_view json) {
  writer.Raw(json);
}

bool parse_document(std::string_view json, JsonDocument::Document& doc,
                    internal::JsonSourceMap& map, ReadContext& ctx) {
  // Strings are copied into `doc`: it may outlive the text; `map` refers to the text.
  if (auto parsed = internal::parse_json(doc, json, {}, &map); !parsed) {
    return ctx.fail(parsed.error().message);  // at the document level: nothing descended into yet
  }
  ctx.source = &map;
  return true;
}

Result<std::string> finish_text(rapidjson::StringBuffer& buffer, JsonWriter& w, ErrorKind kind,
                                std::string_view what) {
  if (!w.finish()) {
    return make_error(kind, std::string(what) + " cannot be written: " + w.error()->message());
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool read_value(const rapidjson::Value& v, std::string& out, ReadContext& ctx) {
  if (!v.IsString()) return ctx.fail("expected a string");
  out.assign(v.GetString(), v.GetStringLength());
  return true;
}

bool read_value(const rapidjson::Value& v, bool& out, ReadContext& ctx) {
  if (!v.IsBool()) return ctx.fail("expected true or false");
  out = v.GetBool();
  return true;
}

bool read_value(const rapidjson::Value& v, std::int64_t& out, ReadContext& ctx) {
  // A double such as 3.0 is not an integer member's value: reading it as 3 would write back
  // "3", which is a different JSON type.
  if (v.IsInt64()) {
    out = v.GetInt64();
    return true;
  }
  if (v.IsUint64() || (v.IsDouble() && std::abs(v.GetDouble()) >= 0x1p63 &&
                       std::floor(v.GetDouble()) == v.GetDouble())) {
    return ctx.fail("integer out of range (a 64-bit signed integer)");
  }
  return ctx.fail("expected an integer");
}

bool read_value(const rapidjson::Value& v, double& out, ReadContext& ctx) {
  if (!v.IsNumber()) return ctx.fail("expected a number");
  out = v.GetDouble();
  // Past the largest double ("1e400") the parse holds infinity, which JSON cannot carry back.
  if (!std::isfinite(out)) return ctx.fail("number out of range (a double)");
  return true;
}

void write_value(JsonWriter& w, const std::string& value) {
  w.String(value);
}
void write_value(JsonWriter& w, bool value) {
  w.Bool(value);
}
void write_value(JsonWriter& w, std::int64_t value) {
  w.Int64(value);
}
void write_value(JsonWriter& w, double value) {
  // NaN and infinity fail the writer, naming the member (JSON has neither).
  w.Double(value);
}

const rapidjson::Value* Reader::find(std::string_view name) {
  std::size_t i = 0;
  for (auto m = object_.MemberBegin(); m != object_.MemberEnd(); ++m, ++i) {
    if (used(i)) continue;
    if (std::string_view(m->name.GetString(), m->name.GetStringLength()) != name) continue;
    if (used_many_.empty())
      used_few_ |= std::uint64_t{1} << i;
    else
      used_many_[i] = true;
    return &m->value;
  }
  return nullptr;
}

void Reader::extra(ExtraMembers& out) {
  if (ctx_.failed()) return;
  out.clear();
  std::size_t i = 0;
  for (auto m = object_.MemberBegin(); m != object_.MemberEnd(); ++m, ++i) {
    if (used(i)) continue;
    auto& [name, text] = out.emplace_back();
    name.assign(m->name.GetString(), m->name.GetStringLength());
    PathScope scope(ctx_, name);
    if (!raw_text(m->value, text, ctx_)) return;
  }
}

namespace {

// input: the CountTokens `input` union.
struct CountTokensInput {
  std::optional<ConverseRequest> converse;
  std::optional<InvokeModelTokensInput> invoke_model;
  ExtraMembers extra;
};

struct CountTokensBody {
  CountTokensInput input;
  ExtraMembers extra;
};

template <class V>
void describe(V& v, CountTokensInput& x) {
  v.opt("converse", x.converse);
  v.opt("invokeModel", x.invoke_model);
  v.extra(x.extra);
}
template <class V>
void describe(V& v, CountTokensBody& x) {
  v.req("input", x.input);
  v.extra(x.extra);
}

}  // namespace
}  // namespace detail

Result<ConverseRequest> parse_converse_request(std::string_view json) {
  return detail::parse_as<ConverseRequest>(json, ErrorKind::Usage, "Converse request body");
}

Result<std::string> to_json(const ConverseRequest& request) {
  return detail::to_json_text(request, ErrorKind::Usage, "Converse request body");
}

Result<ConverseResponse> parse_converse_response(std::string_view json) {
  return detail::parse_as<ConverseResponse>(json, ErrorKind::Protocol, "Converse response body");
}

Result<std::string> to_json(const ConverseResponse& response) {
  return detail::to_json_text(response, ErrorKind::Protocol, "Converse response body");
}

ConverseRequest prompt_request(std::string model_id, std::string prompt) {
  ConverseRequest request;
  request.model_id = std::move(model_id);
  ContentBlock block;
  block.text = std::move(prompt);
  Message message;
  message.role = "user";
  message.content.push_back(std::move(block));
  request.messages = std::vector<Message>{std::move(message)};
  return request;
}

std::string response_text(const ConverseResponse& response) {
  std::string text;
  if (!response.output.message) return text;
  bool first = true;
  for (const auto& block : response.output.message->content) {
    if (!block.text) continue;
    if (!first) text += '\n';
    text += *block.text;
    first = false;
  }
  return text;
}

CountTokensRequest count_tokens_request(const ConverseRequest& request) {
  // ConverseTokensRequest has exactly these four members (docs/wire-protocol.md §1.8); the service
  // rejects the others, so they are left out rather than forwarded.
  CountTokensRequest out;
  out.model_id = request.model_id;
  ConverseRequest& converse = out.converse.emplace();
  converse.messages = request.messages;
  converse.system = request.system;
  converse.tool_config = request.tool_config;
  converse.additional_model_request_fields = request.additional_model_request_fields;
  return out;
}

CountTokensRequest count_tokens_request(std::string model_id, std::string_view invoke_model_body) {
  CountTokensRequest out;
  out.model_id = std::move(model_id);
  out.invoke_model.emplace().body = internal::base64_encode(invoke_model_body);
  return out;
}

Result<CountTokensRequest> parse_count_tokens_request(std::string_view json) {
  auto body =
      detail::parse_as<detail::CountTokensBody>(json, ErrorKind::Usage, "CountTokens request body");
  if (!body) return std::move(body).error();
  CountTokensRequest out;
  out.converse = std::move(body->input.converse);
  out.invoke_model = std::move(body->input.invoke_model);
  out.input_extra = std::move(body->input.extra);
  out.extra = std::move(body->extra);
  return out;
}

Result<std::string> to_json(const CountTokensRequest& request) {
  // Written member by member rather than through CountTokensBody, so the (possibly large)
  // request is not copied.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> base(buffer);
  detail::JsonWriter w(base);
  detail::Writer writer(w);
  w.StartObject();
  w.Key("input");
  w.StartObject();
  writer.opt("converse", request.converse);
  writer.opt("invokeModel", request.invoke_model);
  writer.extra(request.input_extra);
  w.EndObject();
  writer.extra(request.extra);
  w.EndObject();
  return detail::finish_text(buffer, w, ErrorKind::Usage, "CountTokens request body");
}

Result<CountTokensResponse> parse_count_tokens_response(std::string_view json) {
  return detail::parse_as<CountTokensResponse>(json, ErrorKind::Protocol,
                                               "CountTokens response body");
}

Result<std::string> to_json(const CountTokensResponse& response) {
  return detail::to_json_text(response, ErrorKind::Protocol, "CountTokens response body");
}

}  // namespace bedrock_lite::converse
