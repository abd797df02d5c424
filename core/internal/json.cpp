#include <bedrock_lite/internal/json.h>

#include <rapidjson/error/en.h>

#include <cctype>

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

std::optional<std::string> rewrite_misread_zeros(std::string_view json) {
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
    // A number token: sign, mantissa, optional exponent.
    std::size_t end = i;
    while (end < json.size() &&
           (std::isdigit(static_cast<unsigned char>(json[end])) != 0 || json[end] == '-' ||
            json[end] == '+' || json[end] == '.' || json[end] == 'e' || json[end] == 'E'))
      ++end;
    const std::string_view token = json.substr(i, end - i);
    const bool negative = token.front() == '-';
    const std::size_t exponent = token.find_first_of("eE");
    const std::string_view mantissa = token.substr(
        negative ? 1 : 0, exponent == std::string_view::npos ? std::string_view::npos
                                                             : exponent - (negative ? 1 : 0));
    const bool all_zero = !mantissa.empty() &&
                          mantissa.find_first_not_of("0.") == std::string_view::npos &&
                          mantissa.find('0') != std::string_view::npos;
    const std::size_t dot = mantissa.find('.');
    const std::size_t fraction = dot == std::string_view::npos ? 0 : mantissa.size() - dot - 1;
    if (all_zero && (exponent != std::string_view::npos || fraction > 15)) {
      const std::string_view zero = negative ? "-0.0" : "0.0";
      if (token.size() >= zero.size()) {
        if (!out) out.emplace(json);
        out->replace(i, zero.size(), zero);
        for (std::size_t k = i + zero.size(); k < end; ++k) (*out)[k] = ' ';
      }
    }
    i = end - 1;
  }
  return out;
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

}  // namespace bedrock_lite::internal
