#include "support/json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

namespace bedrock_lite::test {
namespace {

// A value as text for a difference message, cut at 80 characters.
std::string render(const rapidjson::Value& value) {
  std::string text = render_json(value);
  return text.size() > 80 ? text.substr(0, 80) + "..." : text;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string differ(const rapidjson::Value& a, const rapidjson::Value& b, const std::string& path) {
  auto here = [&](const std::string& what) { return (path.empty() ? "/" : path) + ": " + what; };
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()     ? a.GetInt64() == b.GetInt64()
        : a.IsUint64() && b.IsUint64() ? a.GetUint64() == b.GetUint64()
                                       : a.GetDouble() == b.GetDouble())
      return {};
    return here(render(a) + " != " + render(b));
  }
  if (a.GetType() != b.GetType()) return here(render(a) + " != " + render(b));
  if (a.IsObject()) {
    for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
      std::string key(m->name.GetString(), m->name.GetStringLength());
      auto other = b.FindMember(m->name);
      if (other == b.MemberEnd()) return here("member '" + key + "' only in the first");
      auto d = differ(m->value, other->value, path + "/" + escape_pointer(key));
      if (!d.empty()) return d;
    }
    for (auto m = b.MemberBegin(); m != b.MemberEnd(); ++m) {
      if (!a.HasMember(m->name))
        return here("member '" + std::string(m->name.GetString()) + "' only in the second");
    }
    return {};
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size())
      return here("array sizes " + std::to_string(a.Size()) + " != " + std::to_string(b.Size()));
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      auto d = differ(a[i], b[i], path + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return {};
  }
  return a == b ? std::string() : here(render(a) + " != " + render(b));
}

}  // namespace

rapidjson::Document parse_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  return doc;
}

std::string render_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string json_difference(std::string_view a, std::string_view b) {
  rapidjson::Document da, db;
  da.Parse(a.data(), a.size());
  if (da.HasParseError()) return "first text is not JSON";
  db.Parse(b.data(), b.size());
  if (db.HasParseError()) return "second text is not JSON";
  return differ(da, db, "");
}

}  // namespace bedrock_lite::test
