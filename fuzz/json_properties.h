// Properties the JSON fuzz targets share (docs/json.md): pass-through text is a verbatim slice of
// the input, and every top-level member of the input is in the output.
#pragma once

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz_json {

[[noreturn]] inline void fail(const char* target, const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s %s\n", target, what, detail.c_str());
  std::abort();
}

// Pass-through text (a document or extra member) must be the input's own bytes.
inline void check_verbatim(const char* target, std::string_view input, std::string_view text,
                           const char* what) {
  if (input.find(text) == std::string_view::npos)
    fail(target, "pass-through text is not verbatim from the input:",
         std::string(what) + " = " + std::string(text.substr(0, 200)));
}

// The sorted top-level member names of a JSON object text, or nullopt when RapidJSON alone
// cannot read it (numbers past a double, which the library reads from the text itself).
inline std::optional<std::vector<std::string>> member_names(std::string_view json) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.data(), json.size());
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  std::vector<std::string> names;
  for (auto m = document.MemberBegin(); m != document.MemberEnd(); ++m)
    names.emplace_back(m->name.GetString(), m->name.GetStringLength());
  std::sort(names.begin(), names.end());
  return names;
}

// Nothing silently dropped: the output has every top-level member of the input, as often.
inline void check_same_members(const char* target, std::string_view input,
                               std::string_view output) {
  const auto in = member_names(input);
  const auto out = member_names(output);
  if (in && out && *in != *out)
    fail(target, "top-level members differ between input and output:", std::string(output));
}

}  // namespace fuzz_json
