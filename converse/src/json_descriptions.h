// Private: the member lists of the model's structs, one describe() per struct in wire order
// (docs/wire-protocol.md §1.4–1.8), which json_model.h's Reader and Writer walk. Include this
// header, not json_model.h alone, to read or write the model.
#pragma once

#include "json_model.h"

namespace bedrock_lite::converse::detail {

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

}  // namespace bedrock_lite::converse::detail
