// StreamAccumulator: a ConverseStream's events rebuilt into the ConverseResponse that Converse
// would have returned, so callers can switch between the two operations freely.
#include "json_descriptions.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bedrock_lite::converse {
namespace {

// What a block has become so far: text, or which member of its ContentBlock is set.
enum class BlockKind { Empty, Text, Citations, ToolUse, ToolResult, Image, Reasoning, Other };

BlockKind kind_of(const ContentBlock* c, bool is_text) {
  if (c != nullptr && c->citations_content) return BlockKind::Citations;
  if (is_text) return BlockKind::Text;
  if (c == nullptr) return BlockKind::Empty;
  if (c->tool_use) return BlockKind::ToolUse;
  if (c->tool_result) return BlockKind::ToolResult;
  if (c->image) return BlockKind::Image;
  if (c->reasoning_content) return BlockKind::Reasoning;
  if (!c->extra.empty()) return BlockKind::Other;
  return BlockKind::Empty;
}

const char* name_of(BlockKind kind) {
  switch (kind) {
    case BlockKind::Empty:
      return "empty";
    case BlockKind::Text:
      return "text";
    case BlockKind::Citations:
      return "citations";
    case BlockKind::ToolUse:
      return "toolUse";
    case BlockKind::ToolResult:
      return "toolResult";
    case BlockKind::Image:
      return "image";
    case BlockKind::Reasoning:
      return "reasoningContent";
    case BlockKind::Other:
      return "unknown";
  }
  return "unknown";
}

Error out_of_order(std::uint64_t event, std::string what) {
  return make_error(ErrorKind::Protocol,
                    "ConverseStream event " + std::to_string(event) + ": " + std::move(what));
}

void append(ExtraMembers& to, const ExtraMembers& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// The member names of a model struct (json_descriptions.h lists them once).
struct MemberNames {
  std::vector<std::string_view> names;
  template <class T>
  void req(std::string_view name, T&) {
    names.push_back(name);
  }
  template <class T>
  void opt(std::string_view name, T&) {
    names.push_back(name);
  }
  template <class T>
  void raw(std::string_view name, T&) {
    names.push_back(name);
  }
  void extra(ExtraMembers&) {}
};

// Unknown members of a start or delta are kept on what it rebuilds, under their own names. One
// named like a member `Target` models (an "audio" delta into a content block, a "name" member of
// a toolUse delta) cannot be: written back, it would read as that member, of another shape or
// meaning. Such a member is an error naming it.
template <class Target>
std::optional<Error> refuse_modelled(const ExtraMembers& extra, const char* what,
                                     std::int64_t block) {
  static const std::vector<std::string_view> modelled = [] {
    MemberNames visitor;
    Target target;
    detail::describe(visitor, target);
    return visitor.names;
  }();
  for (const auto& [name, value] : extra) {
    for (std::string_view known : modelled) {
      if (name != known) continue;
      return make_error(ErrorKind::Protocol,
                        std::string(what) + " for block " + std::to_string(block) +
                            ": unknown member '" + name +
                            "' has the name of a modelled one, so the block cannot be rebuilt");
    }
  }
  return std::nullopt;
}

// What refuse_modelled() says of a start, before anything of it is kept.
std::optional<Error> refuse_modelled(const ContentBlockStartEvent& event) {
  const ContentBlockStart& s = event.start;
  const std::int64_t i = event.content_block_index;
  if (auto e = refuse_modelled<ContentBlock>(s.extra, "contentBlockStart", i)) return e;
  if (s.tool_use) return refuse_modelled<ToolUseBlock>(s.tool_use->extra, "toolUse start", i);
  if (s.tool_result) {
    return refuse_modelled<ToolResultBlock>(s.tool_result->extra, "toolResult start", i);
  }
  if (s.image) return refuse_modelled<ImageBlock>(s.image->extra, "image start", i);
  return std::nullopt;
}

// The same of a delta.
std::optional<Error> refuse_modelled(const ContentBlockDeltaEvent& event) {
  const ContentBlockDelta& d = event.delta;
  const std::int64_t i = event.content_block_index;
  if (auto e = refuse_modelled<ContentBlock>(d.extra, "contentBlockDelta", i)) return e;
  if (d.tool_use) {
    if (auto e = refuse_modelled<ToolUseBlock>(d.tool_use->extra, "toolUse delta", i)) return e;
  }
  if (d.tool_result) {
    for (const ToolResultBlockDelta& item : *d.tool_result) {
      if (auto e = refuse_modelled<ToolResultContent>(item.extra, "toolResult delta", i)) return e;
    }
  }
  if (d.reasoning_content) {
    if (auto e = refuse_modelled<ReasoningContentBlock>(d.reasoning_content->extra,
                                                        "reasoningContent delta", i)) {
      return e;
    }
  }
  if (d.image) {
    if (auto e = refuse_modelled<ImageBlock>(d.image->extra, "image delta", i)) return e;
  }
  if (d.citation) return refuse_modelled<Citation>(d.citation->extra, "citation delta", i);
  return std::nullopt;
}

ContentBlock& content_of(std::unique_ptr<ContentBlock>& content) {
  if (!content) content = std::make_unique<ContentBlock>();
  return *content;
}

// Cited text: Converse returns it as a citationsContent block holding the generated text and
// the citations, so the text accumulated so far moves there.
void add_citation(ContentBlock& content, const CitationDelta& delta) {
  CitationsContentBlock& c =
      content.citations_content ? *content.citations_content : content.citations_content.emplace();
  Citation& citation =
      c.citations ? c.citations->emplace_back() : c.citations.emplace().emplace_back();
  citation.title = delta.title;
  citation.source = delta.source;
  citation.source_content = delta.source_content;
  citation.location = delta.location;
  citation.extra = delta.extra;
}

void add_tool_result(std::vector<ToolResultContent>& content,
                     const std::vector<ToolResultBlockDelta>& items) {
  for (const ToolResultBlockDelta& item : items) {
    // Text arrives in fragments: consecutive ones are one text item of the result.
    if (item.text && !item.json && item.extra.empty() && !content.empty() && content.back().text &&
        !content.back().json && content.back().extra.empty()) {
      *content.back().text += *item.text;
      continue;
    }
    ToolResultContent& c = content.emplace_back();
    c.text = item.text;
    c.json = item.json;
    c.extra = item.extra;
  }
}

// Reasoning text goes to `text` (joined when the block stops); the signature and the redacted
// content are concatenated in place.
void add_reasoning(ContentBlock& content, std::string& text,
                   const ReasoningContentBlockDelta& delta) {
  ReasoningContentBlock& r =
      content.reasoning_content ? *content.reasoning_content : content.reasoning_content.emplace();
  if (delta.text || delta.signature) {
    if (!r.reasoning_text) r.reasoning_text.emplace();
  }
  if (delta.text) text += *delta.text;
  if (delta.signature) {
    if (!r.reasoning_text->signature) r.reasoning_text->signature.emplace();
    *r.reasoning_text->signature += *delta.signature;
  }
  if (delta.redacted_content) {
    if (!r.redacted_content) r.redacted_content.emplace();
    *r.redacted_content += *delta.redacted_content;
  }
  append(r.extra, delta.extra);
}

}  // namespace

Result<void> StreamAccumulator::add(const StreamEvent& event) {
  if (failed_) return *failed_;
  const std::uint64_t index = events_++;
  Result<void> result;
  if (const auto* start = std::get_if<MessageStartEvent>(&event.body)) {
    role_ = start->role;
  } else if (const auto* block_start = std::get_if<ContentBlockStartEvent>(&event.body)) {
    Block& b = blocks_[block_start->content_block_index];
    if (b.stopped || kind_of(b.content.get(), b.is_text) != BlockKind::Empty) {
      result = out_of_order(index, "contentBlockStart for block " +
                                       std::to_string(block_start->content_block_index) +
                                       ", which has already started");
    } else if (auto refused = refuse_modelled(*block_start)) {
      result = std::move(*refused);
    } else {
      const ContentBlockStart& s = block_start->start;
      if (s.tool_use) {
        ToolUseBlock& t = content_of(b.content).tool_use.emplace();
        t.tool_use_id = s.tool_use->tool_use_id;
        t.name = s.tool_use->name;
        t.type = s.tool_use->type;
        t.extra = s.tool_use->extra;
      } else if (s.tool_result) {
        ToolResultBlock& t = content_of(b.content).tool_result.emplace();
        t.tool_use_id = s.tool_result->tool_use_id;
        t.status = s.tool_result->status;
        t.type = s.tool_result->type;
        t.extra = s.tool_result->extra;
      } else if (s.image) {
        ImageBlock& image = content_of(b.content).image.emplace();
        image.format = s.image->format;
        image.extra = s.image->extra;
      }
      // A start kind this version does not know becomes a block of that kind.
      if (!s.extra.empty()) append(content_of(b.content).extra, s.extra);
    }
  } else if (const auto* delta = std::get_if<ContentBlockDeltaEvent>(&event.body)) {
    result = add_delta(*delta);
  } else if (const auto* stop = std::get_if<ContentBlockStopEvent>(&event.body)) {
    result = stop_block(stop->content_block_index);
  } else if (const auto* message_stop = std::get_if<MessageStopEvent>(&event.body)) {
    stop_ = *message_stop;
  } else if (const auto* metadata = std::get_if<MetadataEvent>(&event.body)) {
    metadata_ = std::make_unique<MetadataEvent>(*metadata);
  }
  // UnknownEvent: the caller's handler sees it; it changes nothing in the response.
  if (!result.ok()) {
    Error error = result.error();
    if (error.message.rfind("ConverseStream event", 0) != 0) {
      error.message = "ConverseStream event " + std::to_string(index) + ": " + error.message;
    }
    failed_ = error;
    return error;
  }
  return result;
}

Result<void> StreamAccumulator::add_delta(const ContentBlockDeltaEvent& event) {
  const std::int64_t i = event.content_block_index;
  Block& b = blocks_[i];
  if (b.stopped) {
    return make_error(ErrorKind::Protocol, "contentBlockDelta for block " + std::to_string(i) +
                                               " after its contentBlockStop");
  }
  const ContentBlockDelta& d = event.delta;
  if (auto refused = refuse_modelled(event)) return std::move(*refused);
  auto kind = [&b] { return kind_of(b.content.get(), b.is_text); };
  auto mismatch = [&](const char* delta_kind) {
    return make_error(ErrorKind::Protocol, std::string(delta_kind) + " delta for block " +
                                               std::to_string(i) + ", which is a " +
                                               name_of(kind()) + " block");
  };

  if (d.text) {
    const BlockKind k = kind();
    if (k != BlockKind::Empty && k != BlockKind::Text && k != BlockKind::Citations)
      return mismatch("text");
    if (k == BlockKind::Empty) b.is_text = true;
    b.text += *d.text;
  }
  if (d.citation) {
    const BlockKind k = kind();
    if (k != BlockKind::Empty && k != BlockKind::Text && k != BlockKind::Citations)
      return mismatch("citation");
    b.is_text = false;
    add_citation(content_of(b.content), *d.citation);
  }
  if (d.tool_use) {
    if (kind() != BlockKind::ToolUse) return mismatch("toolUse");
    b.tool_input += d.tool_use->input;
    append(b.content->tool_use->extra, d.tool_use->extra);
  }
  if (d.tool_result) {
    if (kind() != BlockKind::ToolResult) return mismatch("toolResult");
    add_tool_result(b.content->tool_result->content, *d.tool_result);
  }
  if (d.reasoning_content) {
    const BlockKind k = kind();
    if (k != BlockKind::Empty && k != BlockKind::Reasoning) return mismatch("reasoningContent");
    add_reasoning(content_of(b.content), b.text, *d.reasoning_content);
  }
  if (d.image) {
    if (kind() != BlockKind::Image) return mismatch("image");
    if (d.image->source) b.content->image->source = *d.image->source;
    if (d.image->error) b.content->image->error = d.image->error;
    append(b.content->image->extra, d.image->extra);
  }
  // A delta kind this version does not know is kept on the block as sent.
  if (!d.extra.empty()) append(content_of(b.content).extra, d.extra);
  return {};
}

Result<void> StreamAccumulator::stop_block(std::int64_t index) {
  Block& b = blocks_[index];
  if (b.stopped) {
    return make_error(ErrorKind::Protocol,
                      "second contentBlockStop for block " + std::to_string(index));
  }
  b.stopped = true;
  if (b.content && b.content->tool_use) {
    ToolUseBlock& tool_use = *b.content->tool_use;
    // The input arrives as fragments of JSON text; only the whole is JSON (docs/wire-protocol.md
    // §1.7). No fragment at all means the tool takes no arguments: {}.
    if (b.tool_input.empty()) {
      tool_use.input = "{}";
    } else {
      // Checked, then kept as the service sent it (docs/json.md): re-rendering would respell its
      // numbers.
      if (auto refused = internal::check_json_value(b.tool_input)) {
        return make_error(ErrorKind::Protocol, "toolUse input of block " + std::to_string(index) +
                                                   " (toolUseId " + tool_use.tool_use_id +
                                                   ") is not valid JSON: " + refused->message);
      }
      tool_use.input = std::move(b.tool_input);
    }
    b.tool_input.clear();
  }
  return {};
}

Result<ConverseResponse> StreamAccumulator::finish() {
  if (failed_) return *failed_;
  if (!stop_) {
    return make_error(ErrorKind::Protocol, "ConverseStream ended after " + std::to_string(events_) +
                                               " events without a messageStop event");
  }
  if (!metadata_) {
    return make_error(ErrorKind::Protocol, "ConverseStream ended after " + std::to_string(events_) +
                                               " events without a metadata event");
  }
  // A block the stream never stopped is closed here, so its tool input is checked too.
  for (auto& [index, b] : blocks_) {
    if (!b.stopped) {
      if (auto stopped = stop_block(index); !stopped.ok()) return stopped.error();
    }
  }

  ConverseResponse response;
  Message& message = response.output.message.emplace();
  message.role = role_ ? *role_ : std::string("assistant");
  message.content.reserve(blocks_.size());
  for (auto& [index, b] : blocks_) {
    ContentBlock content = b.content ? std::move(*b.content) : ContentBlock{};
    if (content.citations_content) {
      if (!b.text.empty()) {
        if (!content.citations_content->content) content.citations_content->content.emplace();
        content.citations_content->content->insert(content.citations_content->content->begin(),
                                                   TextItem{std::move(b.text), {}});
      }
    } else if (content.reasoning_content) {
      if (content.reasoning_content->reasoning_text)
        content.reasoning_content->reasoning_text->text = std::move(b.text);
    } else if (b.is_text || kind_of(&content, false) == BlockKind::Empty) {
      // A block that only started and stopped was an empty text block.
      content.text = std::move(b.text);
    }
    message.content.push_back(std::move(content));
  }

  response.stop_reason = std::move(stop_->stop_reason);
  response.additional_model_response_fields = std::move(stop_->additional_model_response_fields);
  response.usage = std::move(metadata_->usage);
  response.metrics = std::move(metadata_->metrics);
  response.trace = std::move(metadata_->trace);
  response.performance_config = std::move(metadata_->performance_config);
  response.service_tier = std::move(metadata_->service_tier);

  blocks_.clear();
  role_.reset();
  stop_.reset();
  metadata_.reset();
  events_ = 0;
  return response;
}

}  // namespace bedrock_lite::converse
