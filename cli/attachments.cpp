// --attach (files as image, document and video blocks), the user turn they join, and the cache
// points --cache places (docs/cli.md "Request options").
#include <bedrock_lite/internal/text.h>

#include <sys/stat.h>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "request_options.h"

namespace bedrock_lite::cli {
namespace {

using converse::ContentBlock;
using converse::ConverseRequest;

enum class Media { Image, Document, Video };

struct MediaType {
  const char* extension;  // lower case, without the dot
  Media media;
  const char* format;  // the block's `format`
};

// The formats of docs/wire-protocol.md §1.5, by file extension.
constexpr MediaType kMediaTypes[] = {
    {"png", Media::Image, "png"},      {"jpg", Media::Image, "jpeg"},
    {"jpeg", Media::Image, "jpeg"},    {"gif", Media::Image, "gif"},
    {"webp", Media::Image, "webp"},    {"pdf", Media::Document, "pdf"},
    {"csv", Media::Document, "csv"},   {"doc", Media::Document, "doc"},
    {"docx", Media::Document, "docx"}, {"xls", Media::Document, "xls"},
    {"xlsx", Media::Document, "xlsx"}, {"html", Media::Document, "html"},
    {"htm", Media::Document, "html"},  {"txt", Media::Document, "txt"},
    {"md", Media::Document, "md"},     {"mp4", Media::Video, "mp4"},
    {"mov", Media::Video, "mov"},      {"mkv", Media::Video, "mkv"},
    {"webm", Media::Video, "webm"},    {"flv", Media::Video, "flv"},
    {"mpeg", Media::Video, "mpeg"},    {"mpg", Media::Video, "mpg"},
    {"wmv", Media::Video, "wmv"},      {"3gp", Media::Video, "three_gp"},
};

// Size limits of inline bytes. Images and documents: docs/wire-protocol.md §1.5 (3.75 MB and
// 4.5 MB, read as MiB). Video: the AWS Bedrock API Reference, VideoSource ("the encoded file is
// less than 25MB"), so the base64 text must stay under 25 MiB.
constexpr std::uint64_t kMaxImageBytes = 3932160;     // 3.75 MiB
constexpr std::uint64_t kMaxDocumentBytes = 4718592;  // 4.5 MiB
constexpr std::uint64_t kMaxVideoBase64 = 26214400;   // 25 MiB of base64 text
constexpr std::uint64_t kMaxVideoBytes = 19660797;    // the largest file under that
// Per request (docs/wire-protocol.md §1.5).
constexpr std::size_t kMaxImages = 20;
constexpr std::size_t kMaxDocuments = 5;
// Cache checkpoints per request: Amazon Bedrock User Guide, "Prompt caching for faster model
// inference" (the supported models' tables give at most 4).
constexpr std::size_t kMaxCachePoints = 4;

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const MediaType* media_type_of(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return nullptr;
  const std::string extension = internal::lower(name.substr(dot + 1));
  for (const auto& type : kMediaTypes) {
    if (extension == type.extension) return &type;
  }
  return nullptr;
}

std::string known_extensions() {
  std::string list;
  for (const auto& type : kMediaTypes)
    list += std::string(list.empty() ? "" : " ") + type.extension;
  return list;
}

// A document `name` from a file name, fitted to the service's rules (AWS Bedrock API Reference,
// DocumentBlock: only alphanumeric characters, single whitespace characters, hyphens,
// parentheses and square brackets; 1 to 200 characters). Everything else (dots, underscores,
// non-ASCII bytes) becomes one space; runs of spaces become one.
std::string document_name(const std::string& path) {
  std::string stem = base_name(path);
  const auto dot = stem.rfind('.');
  if (dot != std::string::npos && dot > 0) stem.resize(dot);
  std::string name;
  for (char c : stem) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '(' || c == ')' || c == '[' || c == ']';
    if (kept) {
      name += c;
    } else if (!name.empty() && name.back() != ' ') {
      name += ' ';
    }
  }
  if (name.size() > 200) name.resize(200);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name.empty() ? "Document" : name;
}

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / 1048576.0);
  return text;
}

// The file's bytes, after checking its size against the limit of its kind.
Result<std::string> read_media_file(const std::string& path, const MediaType& type) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return usage("--attach " + path + ": cannot read the file: " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return usage("--attach " + path + ": not a regular file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) return usage("--attach " + path + ": the file is empty");
  std::string limit;
  if (type.media == Media::Image && size > kMaxImageBytes) {
    limit = "an image may have at most " + std::to_string(kMaxImageBytes) +
            " bytes (3.75 MB, docs/wire-protocol.md §1.5)";
  } else if (type.media == Media::Document && size > kMaxDocumentBytes) {
    limit = "a document may have at most " + std::to_string(kMaxDocumentBytes) +
            " bytes (4.5 MB, docs/wire-protocol.md §1.5)";
  } else if (type.media == Media::Video && size > kMaxVideoBytes) {
    limit = "a video sent inline may have at most " + std::to_string(kMaxVideoBytes) +
            " bytes (under 25 MB once base64-encoded, AWS Bedrock API Reference, VideoSource); "
            "attach a larger one from S3 as s3://bucket/key";
  }
  if (!limit.empty()) {
    return usage("--attach " + path + ": too large (" + std::to_string(size) + " bytes, " +
                 megabytes(size) + "): " + limit);
  }
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    return usage("--attach " + path + ": cannot read the file: " + std::strerror(errno));
  }
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size));
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) bytes.append(buffer, n);
  const bool failed = std::ferror(in) != 0;
  std::fclose(in);
  if (failed) return usage("--attach " + path + ": cannot read the file");
  static_assert((kMaxVideoBytes + 2) / 3 * 4 < kMaxVideoBase64 &&
                    (kMaxVideoBytes + 1 + 2) / 3 * 4 >= kMaxVideoBase64,
                "kMaxVideoBytes is the largest file whose base64 text is under 25 MiB");
  return bytes;
}

// "s3://bucket/key": an s3Location source.
Result<converse::Source> s3_source(const std::string& uri) {
  const auto slash = uri.find('/', 5);
  if (slash == std::string::npos || slash == 5 || slash + 1 >= uri.size() || uri.size() > 1024) {
    return usage("--attach " + uri + ": an S3 object is s3://bucket/key (at most 1024 characters)");
  }
  converse::Source source;
  source.s3_location = converse::S3Location{uri, std::nullopt, {}};
  return source;
}

Result<ContentBlock> attachment_block(const std::string& file) {
  const bool s3 = file.rfind("s3://", 0) == 0;
  const MediaType* type = media_type_of(s3 ? file.substr(file.rfind('/') + 1) : base_name(file));
  if (type == nullptr) {
    return usage("--attach " + file + ": unknown extension; known: " + known_extensions());
  }
  converse::Source source;
  if (s3) {
    auto located = s3_source(file);
    if (!located) return std::move(located).error();
    source = std::move(located).value();
  } else {
    auto bytes = read_media_file(file, *type);
    if (!bytes) return std::move(bytes).error();
    source.bytes = internal::base64_encode(*bytes);
  }
  ContentBlock block;
  switch (type->media) {
    case Media::Image:
      block.image = converse::ImageBlock{type->format, std::move(source), std::nullopt, {}};
      break;
    case Media::Document: {
      converse::DocumentBlock document;
      document.format = type->format;
      document.name = document_name(file);
      document.source = std::move(source);
      block.document = std::move(document);
      break;
    }
    case Media::Video:
      block.video = converse::VideoBlock{type->format, std::move(source), {}};
      break;
  }
  return block;
}

// A document name not yet used in the request: "report", then "report (2)", "report (3)"...
std::string unique_name(const std::string& name, const std::vector<std::string>& used) {
  auto taken = [&used](const std::string& candidate) {
    for (const auto& u : used) {
      if (u == candidate) return true;
    }
    return false;
  };
  std::string candidate = name;
  for (int n = 2; taken(candidate); ++n) candidate = name + " (" + std::to_string(n) + ")";
  return candidate;
}

// The cache points of the request, each as the JSON pointer of its block.
std::vector<std::string> cache_point_places(const ConverseRequest& request) {
  std::vector<std::string> places;
  if (request.system) {
    for (std::size_t i = 0; i < request.system->size(); ++i) {
      if ((*request.system)[i].cache_point) places.push_back("/system/" + std::to_string(i));
    }
  }
  if (request.tool_config) {
    for (std::size_t i = 0; i < request.tool_config->tools.size(); ++i) {
      if (request.tool_config->tools[i].cache_point)
        places.push_back("/toolConfig/tools/" + std::to_string(i));
    }
  }
  if (request.messages) {
    for (std::size_t m = 0; m < request.messages->size(); ++m) {
      const auto& content = (*request.messages)[m].content;
      for (std::size_t i = 0; i < content.size(); ++i) {
        if (content[i].cache_point)
          places.push_back("/messages/" + std::to_string(m) + "/content/" + std::to_string(i));
      }
    }
  }
  return places;
}

// pydantic-ai's cache_messages: a cache point at the end of the last user message, or, when
// that message ends with documents or videos (after which Bedrock refuses a cache point), just
// before them; nothing when one is already there.
Result<void> cache_last_user_message(ConverseRequest& request,
                                     const converse::CachePointBlock& point) {
  converse::Message* last_user = nullptr;
  if (request.messages) {
    for (auto& message : *request.messages) {
      if (message.role == "user") last_user = &message;
    }
  }
  if (last_user == nullptr || last_user->content.empty()) {
    return usage("--cache messages: the request has no user message");
  }
  auto& content = last_user->content;
  if (content.back().cache_point) return {};
  std::size_t start = content.size();
  while (start > 0 && (content[start - 1].document || content[start - 1].video)) --start;
  if (start == 0) {
    return usage(
        "--cache messages: the last user message holds only documents or videos, and "
        "Bedrock refuses a cache point right after those; add text (--prompt)");
  }
  if (start < content.size() && content[start - 1].cache_point) return {};
  ContentBlock block;
  block.cache_point = point;
  content.insert(content.begin() + static_cast<std::ptrdiff_t>(start), std::move(block));
  return {};
}

Result<void> cache_system(ConverseRequest& request, const converse::CachePointBlock& point) {
  if (!request.system || request.system->empty()) {
    return usage("--cache system: the request has no system prompt (give --system)");
  }
  if (request.system->back().cache_point) return {};
  converse::SystemContentBlock block;
  block.cache_point = point;
  request.system->push_back(std::move(block));
  return {};
}

Result<void> cache_tools(ConverseRequest& request, const converse::CachePointBlock& point) {
  if (!request.tool_config || request.tool_config->tools.empty()) {
    return usage("--cache tools: the request has no tools (give --tools-file)");
  }
  if (request.tool_config->tools.back().cache_point) return {};
  converse::Tool tool;
  tool.cache_point = point;
  request.tool_config->tools.push_back(std::move(tool));
  return {};
}

}  // namespace

Result<std::vector<ContentBlock>> read_attachments(const std::vector<std::string>& files) {
  std::vector<ContentBlock> blocks;
  std::size_t images = 0;
  std::size_t documents = 0;
  for (const auto& file : files) {
    auto block = attachment_block(file);
    if (!block) return std::move(block).error();
    images += block->image ? 1 : 0;
    documents += block->document ? 1 : 0;
    if (images > kMaxImages || documents > kMaxDocuments) {
      return usage("--attach " + file + ": more than " +
                   (images > kMaxImages ? std::to_string(kMaxImages) + " images"
                                        : std::to_string(kMaxDocuments) + " documents") +
                   " in one request (docs/wire-protocol.md §1.5)");
    }
    blocks.push_back(std::move(block).value());
  }
  return blocks;
}

Result<void> add_user_turn(ConverseRequest& request, std::vector<ContentBlock> blocks,
                           const std::optional<std::string>& prompt) {
  if (blocks.empty() && !prompt) return {};
  if (prompt) {
    ContentBlock text;
    text.text = *prompt;
    blocks.push_back(std::move(text));
  }
  if (!request.messages) request.messages.emplace();
  auto& messages = *request.messages;
  if (messages.empty() || messages.back().role != "user") {
    messages.push_back(converse::Message{"user", {}, {}});
  }
  auto& content = messages.back().content;
  std::vector<std::string> names;
  for (const auto& message : messages) {
    for (const auto& block : message.content) {
      if (block.document) names.push_back(block.document->name);
    }
  }
  for (auto& block : blocks) {
    if (block.document) {
      block.document->name = unique_name(block.document->name, names);
      names.push_back(block.document->name);
    }
    content.push_back(std::move(block));
  }
  // AWS Bedrock API Reference, Message: a message with a document must also hold a text block.
  bool has_document = false;
  bool has_text = false;
  for (const auto& block : content) {
    has_document = has_document || block.document.has_value();
    has_text = has_text || block.text.has_value();
  }
  if (has_document && !has_text) {
    return usage(
        "--attach: a document needs text in the same message (Bedrock refuses a "
        "document alone); add --prompt TEXT");
  }
  return {};
}

Result<void> place_cache_points(ConverseRequest& request, const RequestOptions& options) {
  converse::CachePointBlock point;
  point.ttl = options.cache_ttl;
  for (const auto& where : options.cache) {
    Result<void> done = where == "system"  ? cache_system(request, point)
                        : where == "tools" ? cache_tools(request, point)
                                           : cache_last_user_message(request, point);
    if (!done) return done;
  }
  const auto places = cache_point_places(request);
  if (places.size() > kMaxCachePoints) {
    std::string list;
    for (const auto& place : places) list += (list.empty() ? "" : ", ") + place;
    return usage("the request would have " + std::to_string(places.size()) +
                 " cache points, more than the " + std::to_string(kMaxCachePoints) +
                 " Bedrock allows: " + list);
  }
  return {};
}

}  // namespace bedrock_lite::cli
