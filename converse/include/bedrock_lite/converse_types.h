// The Converse / CountTokens request and response model (docs/wire-protocol.md §1.4–1.6, §1.8), its
// JSON reading and writing, and the mapping of HTTP error replies to Error (docs/wire-protocol.md
// §2.2).
//
// Every type is a plain value: public members named after the JSON members in snake_case,
// std::optional for members the API leaves optional. The model is lossless:
//  - each struct keeps the JSON members it does not model in `extra` (name → raw JSON text), and
//    writes them back, so a member the service adds tomorrow passes through today;
//  - JSON documents (tool input, additionalModelRequestFields, trace, …) are raw JSON text;
//  - documents and extra members keep the exact text received or given, numbers included
//    ("1E2", "12345678901234567890123" stay as written; docs/json.md);
//  - blobs (image/document/video/audio bytes, redactedContent) stay the base64 text of the wire.
// Unions (a content block, a tool, a source…) are structs with one optional per member; exactly
// one is set on the wire, and an unknown union member lands in `extra`.
// Parse then serialize gives JSON semantically equal to the input, with every document and extra
// member byte-identical. Raw JSON text set by hand (documents, extra members) is written
// verbatim after a check that it is one JSON value; to_json() fails, naming the JSON pointer,
// on text that is not (empty text included) and on a non-finite double, rather than write a
// broken body.
//
// All types here are Immutable once built (safe to share between threads when nobody writes).
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>
#include <bedrock_lite/http.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::converse {

// Members a struct does not model, in the order they came: JSON name → raw JSON text of the
// value (e.g. {"p", "\"abcdef\""}). Written back after the modelled members.
using ExtraMembers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// Content blocks (docs/wire-protocol.md §1.5)

// `s3Location`: an object in S3 instead of inline bytes.
struct S3Location {
  std::string uri;                          // "s3://bucket/key"
  std::optional<std::string> bucket_owner;  // 12-digit account id
  ExtraMembers extra;
};

// One item of a list of text-only unions (document `content`, citation `sourceContent`,
// citationsContent `content`, searchResult `content`).
struct TextItem {
  std::optional<std::string> text;
  ExtraMembers extra;
};

// The `source` union of image, document, video, audio and guardContent image blocks. Image,
// video and audio use bytes / s3Location; documents also text / content.
struct Source {
  std::optional<std::string> bytes;  // base64 text, as on the wire
  std::optional<S3Location> s3_location;
  std::optional<std::string> text;
  std::optional<std::vector<TextItem>> content;
  ExtraMembers extra;
};

// `error` of an image or audio block (set by the service when it could not fetch the media).
struct MediaError {
  std::optional<std::string> message;
  ExtraMembers extra;
};

struct ImageBlock {
  std::string format;  // png, jpeg, gif, webp
  Source source;
  std::optional<MediaError> error;
  ExtraMembers extra;
};

struct CitationsConfig {
  bool enabled = false;
  ExtraMembers extra;
};

struct DocumentBlock {
  std::optional<std::string> format;  // pdf, csv, doc, docx, xls, xlsx, html, txt, md
  std::string name;
  Source source;
  std::optional<std::string> context;
  std::optional<CitationsConfig> citations;
  ExtraMembers extra;
};

struct VideoBlock {
  std::string format;  // mkv, mov, mp4, webm, flv, mpeg, mpg, wmv, three_gp
  Source source;
  ExtraMembers extra;
};

struct AudioBlock {
  std::string format;  // mp3, opus, wav, aac, flac, mp4, ogg, …
  Source source;
  std::optional<MediaError> error;
  ExtraMembers extra;
};

struct ToolUseBlock {
  std::string tool_use_id;
  std::string name;
  std::string input = "{}";         // raw JSON text (any JSON value, usually an object)
  std::optional<std::string> type;  // "server_tool_use"
  ExtraMembers extra;
};

struct SearchResultBlock {
  std::string source;
  std::string title;
  std::vector<TextItem> content;
  std::optional<CitationsConfig> citations;
  ExtraMembers extra;
};

// One item of a toolResult's `content` union.
struct ToolResultContent {
  std::optional<std::string> json;  // raw JSON text
  std::optional<std::string> text;
  std::optional<ImageBlock> image;
  std::optional<DocumentBlock> document;
  std::optional<VideoBlock> video;
  std::optional<SearchResultBlock> search_result;
  ExtraMembers extra;
};

struct ToolResultBlock {
  std::string tool_use_id;
  std::vector<ToolResultContent> content;
  std::optional<std::string> status;  // success, error
  std::optional<std::string> type;
  ExtraMembers extra;
};

struct GuardrailText {
  std::string text;
  std::optional<std::vector<std::string>> qualifiers;  // grounding_source, query, guard_content
  ExtraMembers extra;
};

struct GuardrailImage {
  std::string format;  // png, jpeg
  Source source;       // bytes only
  ExtraMembers extra;
};

// `guardContent`: content the guardrail evaluates (union text / image).
struct GuardrailContentBlock {
  std::optional<GuardrailText> text;
  std::optional<GuardrailImage> image;
  ExtraMembers extra;
};

// `cachePoint`: a prompt-cache checkpoint, in messages, system blocks and tools.
struct CachePointBlock {
  std::string type = "default";
  std::optional<std::string> ttl;  // 5m, 1h
  ExtraMembers extra;
};

struct ReasoningText {
  std::string text;
  std::optional<std::string> signature;
  ExtraMembers extra;
};

// `reasoningContent` (union reasoningText / redactedContent).
struct ReasoningContentBlock {
  std::optional<ReasoningText> reasoning_text;
  std::optional<std::string> redacted_content;  // base64 text, as on the wire
  ExtraMembers extra;
};

// A position range inside a document or search result (documentChar, documentPage,
// documentChunk use document_index; searchResultLocation uses search_result_index).
struct CitationRange {
  std::optional<std::int64_t> document_index;
  std::optional<std::int64_t> search_result_index;
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> end;
  ExtraMembers extra;
};

struct WebLocation {
  std::optional<std::string> url;
  std::optional<std::string> domain;
  ExtraMembers extra;
};

// Citation `location` union.
struct CitationLocation {
  std::optional<WebLocation> web;
  std::optional<CitationRange> document_char;
  std::optional<CitationRange> document_page;
  std::optional<CitationRange> document_chunk;
  std::optional<CitationRange> search_result_location;
  ExtraMembers extra;
};

struct Citation {
  std::optional<std::string> title;
  std::optional<std::string> source;
  std::optional<std::vector<TextItem>> source_content;
  std::optional<CitationLocation> location;
  ExtraMembers extra;
};

// `citationsContent`: generated text with the citations backing it.
struct CitationsContentBlock {
  std::optional<std::vector<TextItem>> content;
  std::optional<std::vector<Citation>> citations;
  ExtraMembers extra;
};

// `toolAddition` / `toolRemoval`.
struct ToolReferenceBlock {
  struct Tool {
    std::optional<std::string> type;
    std::optional<std::string> name;
    std::optional<std::string> server_name;
    ExtraMembers extra;
  };
  Tool tool;
  ExtraMembers extra;
};

// One content block of a message: exactly one member is set (a block type this version does
// not know sits in `extra`).
struct ContentBlock {
  std::optional<std::string> text;
  std::optional<ImageBlock> image;
  std::optional<DocumentBlock> document;
  std::optional<VideoBlock> video;
  std::optional<AudioBlock> audio;
  std::optional<ToolUseBlock> tool_use;
  std::optional<ToolResultBlock> tool_result;
  std::optional<GuardrailContentBlock> guard_content;
  std::optional<CachePointBlock> cache_point;
  std::optional<ReasoningContentBlock> reasoning_content;
  std::optional<CitationsContentBlock> citations_content;
  std::optional<SearchResultBlock> search_result;
  std::optional<ToolReferenceBlock> tool_addition;
  std::optional<ToolReferenceBlock> tool_removal;
  ExtraMembers extra;
};

struct Message {
  std::string role;  // user, assistant (the model also lists system)
  std::vector<ContentBlock> content;
  ExtraMembers extra;
};

// `system` list item (union text / guardContent / cachePoint).
struct SystemContentBlock {
  std::optional<std::string> text;
  std::optional<GuardrailContentBlock> guard_content;
  std::optional<CachePointBlock> cache_point;
  ExtraMembers extra;
};

// ---------------------------------------------------------------------------------------------
// Request members (docs/wire-protocol.md §1.4)

struct InferenceConfig {
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::vector<std::string>> stop_sequences;
  ExtraMembers extra;
};

// `inputSchema` (union json).
struct ToolInputSchema {
  std::optional<std::string> json;  // raw JSON text of a JSON Schema
  ExtraMembers extra;
};

struct ToolSpec {
  std::string name;
  std::optional<std::string> description;
  ToolInputSchema input_schema;
  std::optional<bool> strict;
  ExtraMembers extra;
};

struct SystemTool {
  std::string name;
  ExtraMembers extra;
};

// One `tools` item (union toolSpec / systemTool / cachePoint).
struct Tool {
  std::optional<ToolSpec> tool_spec;
  std::optional<SystemTool> system_tool;
  std::optional<CachePointBlock> cache_point;
  ExtraMembers extra;
};

// `toolChoice` (union auto {} / any {} / tool {name}); set exactly one.
struct ToolChoice {
  struct Auto {
    ExtraMembers extra;
  };
  struct Any {
    ExtraMembers extra;
  };
  struct Specific {
    std::string name;
    ExtraMembers extra;
  };
  std::optional<Auto> automatic;  // JSON "auto" (a C++ keyword): the model chooses
  std::optional<Any> any;         // the model must call some tool
  std::optional<Specific> tool;   // the model must call this tool
  ExtraMembers extra;
};

struct ToolConfig {
  std::vector<Tool> tools;
  std::optional<ToolChoice> tool_choice;
  ExtraMembers extra;
};

// guardrailConfig; stream_processing_mode (sync, async) is ConverseStream's only.
struct GuardrailConfig {
  std::optional<std::string> guardrail_identifier;
  std::optional<std::string> guardrail_version;
  std::optional<std::string> trace;  // enabled, disabled, enabled_full
  std::optional<std::string> stream_processing_mode;
  ExtraMembers extra;
};

struct PerformanceConfig {
  std::optional<std::string> latency;  // standard, optimized
  ExtraMembers extra;
};

struct ServiceTier {
  std::string type;  // priority, default, flex, reserved
  ExtraMembers extra;
};

// promptVariables value (union text).
struct PromptVariable {
  std::optional<std::string> text;
  ExtraMembers extra;
};

// outputConfig.textFormat.structure.jsonSchema
struct JsonSchemaFormat {
  std::string schema;  // the JSON Schema as a string (the API sends it as text, not a document)
  std::optional<std::string> name;
  std::optional<std::string> description;
  ExtraMembers extra;
};

struct OutputFormatStructure {
  std::optional<JsonSchemaFormat> json_schema;
  ExtraMembers extra;
};

struct OutputFormat {
  std::string type = "json_schema";
  OutputFormatStructure structure;
  ExtraMembers extra;
};

struct OutputConfig {
  std::optional<OutputFormat> text_format;
  std::optional<std::string> effort;  // low, medium, high, xhigh, max
  ExtraMembers extra;
};

// The Converse and ConverseStream request. `model_id` (foundation-model id or ARN,
// inference-profile id or ARN, prompt ARN, …) goes in the URL path, never in the body; every
// other member is the JSON body. Unset members are not sent.
struct ConverseRequest {
  std::string model_id;
  std::optional<std::vector<Message>> messages;
  std::optional<std::vector<SystemContentBlock>> system;
  std::optional<InferenceConfig> inference_config;
  std::optional<ToolConfig> tool_config;
  std::optional<GuardrailConfig> guardrail_config;
  std::optional<std::string> additional_model_request_fields;  // raw JSON text
  std::optional<std::vector<std::string>> additional_model_response_field_paths;
  std::optional<std::vector<std::pair<std::string, PromptVariable>>> prompt_variables;
  std::optional<std::vector<std::pair<std::string, std::string>>> request_metadata;
  std::optional<PerformanceConfig> performance_config;
  std::optional<ServiceTier> service_tier;
  std::optional<OutputConfig> output_config;
  ExtraMembers extra;
};

// ---------------------------------------------------------------------------------------------
// Response (docs/wire-protocol.md §1.6)

struct CacheDetail {
  std::string ttl;  // 5m, 1h
  std::int64_t input_tokens = 0;
  ExtraMembers extra;
};

// `usage`. The service always sends the first three; they are optional so that a body without
// them (recordings edited by hand) reads and writes back without invented zeros. Undocumented
// members seen in real traffic (cacheReadInputTokenCount, serverToolUsage) are in `extra`.
struct TokenUsage {
  std::optional<std::int64_t> input_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> total_tokens;
  std::optional<std::int64_t> cache_read_input_tokens;
  std::optional<std::int64_t> cache_write_input_tokens;
  std::optional<std::vector<CacheDetail>> cache_details;
  ExtraMembers extra;
};

struct Metrics {
  std::optional<std::int64_t> latency_ms;
  ExtraMembers extra;
};

// `output` union; only `message` exists today.
struct ConverseOutput {
  std::optional<Message> message;
  ExtraMembers extra;
};

// The Converse response, and what StreamAccumulator rebuilds from a ConverseStream.
// `usage` and `metrics` are always sent by the service; they are optional only so that a body
// missing them still reads losslessly.
struct ConverseResponse {
  ConverseOutput output;
  std::string stop_reason;  // end_turn, tool_use, max_tokens, … (unknown values kept as sent)
  std::optional<TokenUsage> usage;
  std::optional<Metrics> metrics;
  std::optional<std::string> additional_model_response_fields;  // raw JSON text
  std::optional<std::string> trace;                             // raw JSON text
  std::optional<PerformanceConfig> performance_config;
  std::optional<ServiceTier> service_tier;
  ExtraMembers extra;
};

// ---------------------------------------------------------------------------------------------
// CountTokens (docs/wire-protocol.md §1.8)

// input.invokeModel: a model-native InvokeModel body.
struct InvokeModelTokensInput {
  std::string body;  // base64 text of the body, as on the wire
  ExtraMembers extra;
};

// The CountTokens request: set exactly one of `converse` and `invoke_model`. The service
// accepts only messages, system, toolConfig and additionalModelRequestFields inside
// input.converse; count_tokens_request() sets only those, and to_json() writes whatever is set.
struct CountTokensRequest {
  std::string model_id;  // in the URL path; a foundation-model id, not an inference profile
  std::optional<ConverseRequest> converse;
  std::optional<InvokeModelTokensInput> invoke_model;
  ExtraMembers input_extra;  // members of the `input` union other than the two above
  ExtraMembers extra;
};

struct CountTokensResponse {
  std::int64_t input_tokens = 0;
  ExtraMembers extra;
};

// ---------------------------------------------------------------------------------------------
// JSON reading and writing

// Parse a request body (Converse or ConverseStream; model_id stays empty). Malformed JSON, a
// member of the wrong JSON type or a missing required member is a Usage error naming the JSON
// pointer (e.g. "/messages/0/content/1/toolUse: missing required member 'name'").
BEDROCK_LITE_API Result<ConverseRequest> parse_converse_request(std::string_view json);
// The JSON body: every set member, then `extra`. Compact, UTF-8. A value that cannot be written
// (raw text that is not one JSON value, a NaN or infinite double) is a Usage error naming its
// JSON pointer ("Converse request body cannot be written: /inferenceConfig/temperature: not a
// finite number (nan)").
BEDROCK_LITE_API Result<std::string> to_json(const ConverseRequest& request);

// Parse a Converse response body. Errors are of kind Protocol, naming the JSON pointer.
BEDROCK_LITE_API Result<ConverseResponse> parse_converse_response(std::string_view json);
// A value that cannot be written is a Protocol error naming its JSON pointer.
BEDROCK_LITE_API Result<std::string> to_json(const ConverseResponse& response);

// The shortest request: one user message holding `prompt` as its only text block, for `model_id`.
BEDROCK_LITE_API ConverseRequest prompt_request(std::string model_id, std::string prompt);
// The answer's text: every text block of the output message, in order, joined with "\n" ("" when
// the model returned none, e.g. only a tool call).
BEDROCK_LITE_API std::string response_text(const ConverseResponse& response);

// The CountTokens request for a Converse request: model_id and the members CountTokens accepts
// (messages, system, toolConfig, additionalModelRequestFields); the others are left out.
BEDROCK_LITE_API CountTokensRequest count_tokens_request(const ConverseRequest& request);
// The CountTokens request for a model-native InvokeModel body (raw bytes; base64-encoded here).
BEDROCK_LITE_API CountTokensRequest count_tokens_request(std::string model_id,
                                                         std::string_view invoke_model_body);
BEDROCK_LITE_API Result<CountTokensRequest> parse_count_tokens_request(std::string_view json);
// {"input":{"converse":{…}}} or {"input":{"invokeModel":{"body":"…"}}}.
BEDROCK_LITE_API Result<std::string> to_json(const CountTokensRequest& request);

BEDROCK_LITE_API Result<CountTokensResponse> parse_count_tokens_response(std::string_view json);
BEDROCK_LITE_API Result<std::string> to_json(const CountTokensResponse& response);

// ---------------------------------------------------------------------------------------------
// HTTP error replies (docs/wire-protocol.md §2.2, retryability §6.4)

// Maps an HTTP error reply (status >= 300) to an Error of kind Service:
//  - aws_type: the x-amzn-ErrorType header, else body code / Code / __type, cut at the first ':'
//    and after the last '#'; else the status as text ("400");
//  - message: body message / Message; a body that is not JSON gives a trimmed one-line snippet
//    of at most 200 bytes; an empty body gives "HTTP <status>";
//  - request_id: x-amzn-RequestId (else x-amz-request-id); http_status: `status`;
//  - retryable: throttling codes, ModelNotReadyException, RequestTimeout(Exception),
//    PriorRequestNotComplete, InternalServerException, ServiceUnavailableException, HTTP 429,
//    500, 502, 503, 504. Never ValidationException, AccessDeniedException,
//    ModelTimeoutException, ModelErrorException, ExpiredTokenException.
BEDROCK_LITE_API Error http_error(int status, const http::Headers& headers, std::string_view body);

// Whether an AWS error type is retryable by itself (throttling and transient codes,
// docs/wire-protocol.md §6.4), regardless of status. Case-insensitive on the first letter, so
// stream exception names (throttlingException) and HTTP ones (ThrottlingException) agree.
BEDROCK_LITE_API bool is_retryable_error_type(std::string_view aws_type);

}  // namespace bedrock_lite::converse
