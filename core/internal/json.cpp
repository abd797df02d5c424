#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace bedrock_lite::internal {

std::size_t find_excess_nesting(std::string_view json, std::size_t max_depth) {
  // Strings are skipped as the parser skips them, so up to its first error the two agree.
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

std::optional<JsonError> screen_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return JsonError{"JSON text of " + std::to_string(text.size()) +
                         " bytes is over the limit of " + std::to_string(limits.max_bytes) +
                         " bytes",
                     limits.max_bytes};
  }
  if (const std::size_t at = find_excess_nesting(text, limits.max_depth);
      at != std::string_view::npos) {
    return JsonError{"JSON nested deeper than " + std::to_string(limits.max_depth) +
                         " levels at offset " + std::to_string(at),
                     at};
  }
  return std::nullopt;
}

JsonError describe_parse_error(rapidjson::ParseErrorCode code, std::size_t offset) {
  return JsonError{
      "invalid JSON at offset " + std::to_string(offset) + ": " + rapidjson::GetParseError_En(code),
      offset};
}

namespace {

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// The value of an exponent's digits, saturated far beyond any double's range.
long exponent_value(std::string_view digits) {
  long out = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') break;
    out = std::min(out * 10 + (c - '0'), 100000000L);
  }
  return out;
}

// from_chars leaves the value alone when the text is out of a double's range: decide between
// overflow (±inf) and underflow (±0) by the decimal exponent of the first significant digit.
double out_of_range_double(std::string_view token) {
  const bool negative = !token.empty() && token.front() == '-';
  const std::size_t e = token.find_first_of("eE");
  const std::string_view mantissa =
      token.substr(negative ? 1 : 0, e == std::string_view::npos ? e : e - (negative ? 1 : 0));
  long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = token.substr(e + 1);
    const bool minus = !digits.empty() && digits.front() == '-';
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+'))
      digits.remove_prefix(1);
    exponent = minus ? -exponent_value(digits) : exponent_value(digits);
  }
  const std::size_t dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::size_t first = whole.find_first_not_of('0');
  long lead = 0;  // the value is about 0.d * 10^(lead + exponent)
  if (first != std::string_view::npos) {
    lead = static_cast<long>(whole.size() - first);
  } else if (dot != std::string_view::npos) {
    const std::string_view fraction = mantissa.substr(dot + 1);
    const std::size_t significant = fraction.find_first_not_of('0');
    lead = -static_cast<long>(significant == std::string_view::npos ? 0 : significant);
  }
  const double magnitude = lead + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return negative ? -magnitude : magnitude;
}

}  // namespace

std::size_t number_token_length(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_number_char(text[n])) ++n;
  return n;
}

JsonNumber decode_json_number(std::string_view token) {
  JsonNumber out;
  const char* first = token.data();
  const char* last = token.data() + token.size();
  if (token.find_first_of(".eE") == std::string_view::npos) {
    if (!token.empty() && token.front() == '-') {
      if (std::from_chars(first, last, out.i).ec == std::errc()) {
        out.kind = JsonNumber::Kind::Int64;
        return out;
      }
    } else if (std::from_chars(first, last, out.u).ec == std::errc()) {
      out.kind = JsonNumber::Kind::Uint64;
      return out;
    }
  }
  out.kind = JsonNumber::Kind::Double;
  const auto converted = std::from_chars(first, last, out.d);
  if (converted.ec == std::errc::result_out_of_range) out.d = out_of_range_double(token);
  return out;
}

std::optional<std::string> rewrite_huge_numbers(std::string_view json) {
  std::optional<std::string> out;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    const std::size_t length = number_token_length(json.substr(i));
    const std::string_view token = json.substr(i, length);
    const std::size_t e = token.find_first_of("eE");
    const std::string_view mantissa = token.substr(0, e);
    const std::size_t digits = mantissa.substr(0, mantissa.find('.')).find_first_not_of("-0");
    const std::size_t whole_digits = digits == std::string_view::npos
                                         ? 0
                                         : mantissa.substr(0, mantissa.find('.')).size() - digits;
    bool huge = whole_digits > 300;
    if (e != std::string_view::npos && e + 1 < token.size() && token[e + 1] != '-') {
      // RapidJSON gives up past an exponent of 308 less the fraction digits; 100 and up is
      // rewritten, which is never wrong (the parser only sees the copy).
      huge = huge || exponent_value(token.substr(e + (token[e + 1] == '+' ? 2 : 1))) >= 100;
    }
    if (huge) {
      if (!out) out.emplace(json);
      (*out)[i] = '0';
      for (std::size_t k = i + 1; k < i + length; ++k) (*out)[k] = ' ';
    }
    i += length == 0 ? 0 : length - 1;
  }
  return out;
}

std::optional<JsonError> check_json_value(std::string_view text, const JsonLimits& limits) {
  if (auto refused = screen_json(text, limits)) return refused;
  std::optional<std::string> rewritten;
  std::string_view parsed = text;
  for (;;) {
    rapidjson::MemoryStream memory(parsed.data(), parsed.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
    char scratch[512];
    rapidjson::MemoryPoolAllocator<> allocator(scratch, sizeof scratch, 4096);
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>
        reader(&allocator, 256);
    rapidjson::BaseReaderHandler<> ignore;
    const rapidjson::ParseResult result =
        reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(stream, ignore);
    if (!result.IsError()) return std::nullopt;
    if (result.Code() == rapidjson::kParseErrorNumberTooBig && !rewritten &&
        (rewritten = rewrite_huge_numbers(text))) {
      parsed = *rewritten;
      continue;
    }
    return describe_parse_error(result.Code(), result.Offset());
  }
}

// ----- JsonSourceMap

void JsonSourceMap::start(std::string_view text) {
  text_ = text;
  spans_.clear();
  by_value_.clear();
}

namespace {

void pair_spans(const rapidjson::Value& v, const std::vector<JsonSpan>& spans, std::size_t& next,
                std::vector<std::pair<const rapidjson::Value*, JsonSpan>>& out) {
  if (next >= spans.size()) return;
  out.emplace_back(&v, spans[next++]);
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) pair_spans(m->value, spans, next, out);
  } else if (v.IsArray()) {
    for (const auto& element : v.GetArray()) pair_spans(element, spans, next, out);
  }
}

}  // namespace

void JsonSourceMap::index(const rapidjson::Value& root) {
  by_value_.reserve(spans_.size());
  std::size_t next = 0;
  pair_spans(root, spans_, next, by_value_);
  std::sort(by_value_.begin(), by_value_.end(),
            [](const auto& a, const auto& b) { return std::less<>()(a.first, b.first); });
}

std::string_view JsonSourceMap::slice(const rapidjson::Value& value) const {
  const auto found = std::lower_bound(
      by_value_.begin(), by_value_.end(), &value,
      [](const auto& entry, const rapidjson::Value* v) { return std::less<>()(entry.first, v); });
  if (found == by_value_.end() || found->first != &value) return {};
  const JsonSpan span = found->second;
  if (span.end > text_.size() || span.begin >= span.end) return {};
  return text_.substr(span.begin, span.end - span.begin);
}

// ----- JsonWritePath

void JsonWritePath::enter() {
  frames_.emplace_back();
}

void JsonWritePath::key(std::string_view name) {
  if (frames_.empty()) return;
  frames_.back().key.assign(name.data(), name.size());
  frames_.back().has_key = true;
}

void JsonWritePath::leave() {
  if (!frames_.empty()) frames_.pop_back();
  value_written();
}

void JsonWritePath::value_written() {
  if (frames_.empty()) return;
  ++frames_.back().index;
  frames_.back().has_key = false;
}

bool JsonWritePath::fail(std::string reason) {
  if (!error_) error_ = JsonWriteError{pointer(), std::move(reason)};
  return false;
}

std::string JsonWritePath::pointer() const {
  std::string out;
  for (const Frame& frame : frames_) {
    out += '/';
    if (!frame.has_key) {
      out += std::to_string(frame.index);
      continue;
    }
    append_json_pointer_token(out, frame.key);
  }
  return out;
}

Result<std::string, JsonWriteError> render_json(const rapidjson::Value& value,
                                                const JsonSourceMap* source) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> base(buffer);
  CheckedJsonWriter<rapidjson::Writer<rapidjson::StringBuffer>> writer(base);
  writer.Value(value, source);
  if (!writer.finish()) return *writer.error();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace bedrock_lite::internal
