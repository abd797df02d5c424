// From the request options to the typed request (docs/cli.md "Request options"): the request
// file first, then each option's member on top of it.
#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "request_options.h"

namespace bedrock_lite::cli {
namespace {

using converse::ConverseRequest;

Error prefixed(Error error, const std::string& prefix) {
  error.message = prefix + ": " + error.message;
  return error;
}

// The members of the JSON object `text` as (name, value text exactly as written), in order.
// Not an object: a Usage error naming `what`.
Result<std::vector<std::pair<std::string, std::string>>> object_members(std::string_view text,
                                                                        const std::string& what) {
  rapidjson::Document document;
  internal::JsonSourceMap source;
  auto parsed = internal::parse_json(document, text, {}, &source);
  if (!parsed) return usage(what + ": " + parsed.error().message);
  if (!document.IsObject()) return usage(what + ": not a JSON object");
  std::vector<std::pair<std::string, std::string>> members;
  for (auto m = document.MemberBegin(); m != document.MemberEnd(); ++m) {
    members.emplace_back(std::string(m->name.GetString(), m->name.GetStringLength()),
                         std::string(source.slice(m->value)));
  }
  return members;
}

// `base` with the members of `overlay` on top: a member of both takes the overlay's value; the
// others keep their place. Values keep their exact text (docs/json.md: pass-through is
// byte-exact). Without a base the overlay is used as written.
Result<std::string> merge_objects(const std::optional<std::string>& base,
                                  const std::string& overlay, const std::string& what) {
  auto added = object_members(overlay, what);
  if (!added) return std::move(added).error();
  if (!base) return overlay;
  auto kept = object_members(*base, "additionalModelRequestFields");
  if (!kept) return std::move(kept).error();
  std::string out = "{";
  auto add = [&out](const std::string& name, const std::string& value) {
    if (out.size() > 1) out += ',';
    out += internal::json_string(name) + ":" + value;
  };
  for (const auto& [name, value] : *kept) {
    bool replaced = false;
    for (const auto& member : *added) replaced = replaced || member.first == name;
    if (!replaced) add(name, value);
  }
  for (const auto& [name, value] : *added) add(name, value);
  return out + "}";
}

Result<void> apply_additional_fields(ConverseRequest& request, const RequestOptions& options) {
  if (options.additional_fields) {
    auto merged = merge_objects(request.additional_model_request_fields, *options.additional_fields,
                                "--additional-fields");
    if (!merged) return std::move(merged).error();
    request.additional_model_request_fields = std::move(merged).value();
  }
  if (options.reasoning_budget) {
    if (options.additional_fields) {
      auto given = object_members(*options.additional_fields, "--additional-fields");
      for (const auto& member : *given) {
        if (member.first == "thinking") {
          return usage(
              "--reasoning-budget and a 'thinking' member in --additional-fields: give "
              "one of them");
        }
      }
    }
    // Anthropic's extended thinking on Bedrock (the fixture
    // test_bedrock_model_thinking_part_anthropic sends exactly this).
    const std::string thinking = "{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":" +
                                 std::to_string(*options.reasoning_budget) + "}}";
    auto merged =
        merge_objects(request.additional_model_request_fields, thinking, "--reasoning-budget");
    if (!merged) return std::move(merged).error();
    request.additional_model_request_fields = std::move(merged).value();
  }
  return {};
}

// The tools of --tools-file: a JSON array whose items are tool specifications (bare, or as the
// Tool union {"toolSpec": ...}, {"systemTool": ...}, {"cachePoint": ...}), or a whole
// toolConfig object. Read through the request model, so schemas pass through byte-exact.
Result<converse::ToolConfig> read_tools_file(const std::string& path) {
  auto text = read_input(path, "tools file");
  if (!text) return std::move(text).error();
  const std::string what = "--tools-file " + path;
  rapidjson::Document document;
  internal::JsonSourceMap source;
  auto parsed = internal::parse_json(document, *text, {}, &source);
  if (!parsed) return usage(what + ": " + parsed.error().message);
  std::string config;
  if (document.IsObject()) {
    config = *text;
  } else if (document.IsArray()) {
    config = "{\"tools\":[";
    for (const auto& item : document.GetArray()) {
      const std::string item_text(source.slice(item));
      const bool is_union =
          item.IsObject() && (item.HasMember("toolSpec") || item.HasMember("systemTool") ||
                              item.HasMember("cachePoint"));
      if (config.back() != '[') config += ',';
      config += is_union ? item_text : "{\"toolSpec\":" + item_text + "}";
    }
    config += "]}";
  } else {
    return usage(what + ": not a JSON array of tool specifications or a toolConfig object");
  }
  auto request = converse::parse_converse_request("{\"toolConfig\":" + config + "}");
  if (!request) return prefixed(std::move(request).error(), what);
  if (!request->tool_config || request->tool_config->tools.empty()) {
    return usage(what + ": no tools");
  }
  return std::move(*request->tool_config);
}

Result<void> apply_tools(ConverseRequest& request, const RequestOptions& options) {
  if (options.tools_file) {
    auto tools = read_tools_file(*options.tools_file);
    if (!tools) return std::move(tools).error();
    converse::ToolConfig config = request.tool_config.value_or(converse::ToolConfig{});
    config.tools = std::move(tools->tools);
    // A toolChoice in the tools file wins over the request file's (options win).
    if (tools->tool_choice) config.tool_choice = std::move(tools->tool_choice);
    for (auto& member : tools->extra) config.extra.push_back(std::move(member));
    request.tool_config = std::move(config);
  }
  if (!options.tool_choice) return {};
  if (!request.tool_config || request.tool_config->tools.empty()) {
    return usage("--tool-choice needs tools (give --tools-file)");
  }
  converse::ToolChoice choice;
  const std::string& name = *options.tool_choice;
  if (name == "auto") {
    choice.automatic = converse::ToolChoice::Auto{};
  } else if (name == "any") {
    choice.any = converse::ToolChoice::Any{};
  } else {
    std::string names;
    bool found = false;
    for (const auto& tool : request.tool_config->tools) {
      if (!tool.tool_spec) continue;
      found = found || tool.tool_spec->name == name;
      names += (names.empty() ? "" : ", ") + tool.tool_spec->name;
    }
    if (!found) {
      return usage("--tool-choice: no tool named '" + name + "' (the tools are: " + names + ")");
    }
    choice.tool = converse::ToolChoice::Specific{name, {}};
  }
  request.tool_config->tool_choice = std::move(choice);
  return {};
}

// guardrailVersion (docs/wire-protocol.md §1.4): DRAFT or a number of 1 to 8 digits.
bool guardrail_version_ok(const std::string& version) {
  if (version == "DRAFT") return true;
  if (version.empty() || version.size() > 8) return false;
  for (char c : version) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

Result<void> apply_guardrail(ConverseRequest& request, const RequestOptions& options) {
  if (options.guardrail) {
    // The last ':' splits: a guardrail ARN has colons of its own.
    const std::string& value = *options.guardrail;
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 ||
        !guardrail_version_ok(value.substr(colon + 1))) {
      return usage(
          "--guardrail takes ID:VERSION (a guardrail id or ARN, then a version number "
          "or DRAFT), not '" +
          value + "'");
    }
    converse::GuardrailConfig config =
        request.guardrail_config.value_or(converse::GuardrailConfig{});
    config.guardrail_identifier = value.substr(0, colon);
    config.guardrail_version = value.substr(colon + 1);
    request.guardrail_config = std::move(config);
  }
  if (options.guardrail_trace) {
    if (!request.guardrail_config) {
      return usage("--guardrail-trace needs a guardrail (give --guardrail ID:VERSION)");
    }
    request.guardrail_config->trace = "enabled";
  }
  return {};
}

void apply_metadata(ConverseRequest& request, const RequestOptions& options) {
  if (options.request_metadata.empty()) return;
  auto entries =
      request.request_metadata.value_or(std::vector<std::pair<std::string, std::string>>{});
  for (const auto& [key, value] : options.request_metadata) {
    bool replaced = false;
    for (auto& entry : entries) {
      if (entry.first == key) {
        entry.second = value;
        replaced = true;
      }
    }
    if (!replaced) entries.emplace_back(key, value);
  }
  request.request_metadata = std::move(entries);
}

void apply_inference(ConverseRequest& request, const RequestOptions& options) {
  if (!options.max_tokens && !options.temperature && !options.top_p && options.stop.empty()) {
    return;
  }
  converse::InferenceConfig config = request.inference_config.value_or(converse::InferenceConfig{});
  if (options.max_tokens) config.max_tokens = options.max_tokens;
  if (options.temperature) config.temperature = options.temperature;
  if (options.top_p) config.top_p = options.top_p;
  if (!options.stop.empty()) config.stop_sequences = options.stop;
  request.inference_config = std::move(config);
}

void apply_system(ConverseRequest& request, const RequestOptions& options) {
  if (options.system.empty()) return;
  std::vector<converse::SystemContentBlock> system;
  for (const auto& text : options.system) {
    converse::SystemContentBlock block;
    block.text = text;
    system.push_back(std::move(block));
  }
  request.system = std::move(system);
}

Result<ConverseRequest> read_request_inputs(const RequestOptions& options) {
  ConverseRequest request;
  if (options.request_file) {
    auto text = read_input(*options.request_file, "request file");
    if (!text) return std::move(text).error();
    auto parsed = converse::parse_converse_request(*text);
    if (!parsed) return prefixed(std::move(parsed).error(), *options.request_file);
    request = std::move(parsed).value();
  }
  if (options.messages_json) {
    auto parsed = converse::parse_converse_request("{\"messages\":" + *options.messages_json + "}");
    if (!parsed) return prefixed(std::move(parsed).error(), "--messages");
    request.messages = std::move(parsed->messages);
  }
  return request;
}

}  // namespace

Result<ConverseRequest> build_base_request(const RequestOptions& options) {
  auto request = read_request_inputs(options);
  if (!request) return request;
  request->model_id = options.model_id;
  apply_system(*request, options);
  apply_inference(*request, options);
  if (auto done = apply_tools(*request, options); !done) return std::move(done).error();
  if (auto done = apply_additional_fields(*request, options); !done) return std::move(done).error();
  if (auto done = apply_guardrail(*request, options); !done) return std::move(done).error();
  if (options.service_tier)
    request->service_tier = converse::ServiceTier{*options.service_tier, {}};
  if (options.latency) {
    converse::PerformanceConfig config =
        request->performance_config.value_or(converse::PerformanceConfig{});
    config.latency = options.latency;
    request->performance_config = std::move(config);
  }
  apply_metadata(*request, options);
  if (request->request_metadata && request->request_metadata->size() > 16) {
    return usage("requestMetadata would have " + std::to_string(request->request_metadata->size()) +
                 " entries; Bedrock takes at most 16 (docs/wire-protocol.md §1.4)");
  }
  return request;
}

Result<ConverseRequest> build_request(const RequestOptions& options) {
  auto request = build_base_request(options);
  if (!request) return request;
  auto blocks = read_attachments(options.attachments);
  if (!blocks) return std::move(blocks).error();
  if (auto done = add_user_turn(*request, std::move(blocks).value(), options.prompt); !done)
    return std::move(done).error();
  if (auto done = place_cache_points(*request, options); !done) return std::move(done).error();
  return request;
}

}  // namespace bedrock_lite::cli
