// The STS answer reader: expat, with every DTD feature refused (docs/configuration.md "STS").
//
// Why refuse instead of limit: an STS answer never carries a DOCTYPE, so any declaration is
// either a broken peer or an attack (the "billion laughs" entity expansion, external entities).
// expat ≥ 2.4 has its own amplification limit, but refusing at the first declaration means the
// reader's cost stays linear in the input whatever expat version it links.
#include "sts_xml.h"

#include <bedrock_lite/internal/retry_codes.h>
#include <bedrock_lite/internal/text.h>

#include <expat.h>

#include <utility>
#include <vector>

namespace bedrock_lite::credentials::detail {
namespace {

// Element names come as "namespace-uri|local" (XML_ParserCreateNS): STS puts its members in
// https://sts.amazonaws.com/doc/2011-06-15/, and only the local name matters here.
constexpr char kNamespaceSeparator = '|';

std::string_view local_name(const XML_Char* name) {
  std::string_view text(name);
  const auto at = text.rfind(kNamespaceSeparator);
  return at == std::string_view::npos ? text : text.substr(at + 1);
}

std::string trimmed(const std::string& text) {
  return std::string(internal::trim(text, internal::kBlanksAndLineEnds));
}

// One member to capture: its element path from the root, and where its text goes.
struct Wanted {
  std::vector<std::string> path;
  std::string* out;
};

class Reader {
 public:
  Reader(const StsXmlLimits& limits, std::vector<Wanted> wanted)
      : limits_(limits), wanted_(std::move(wanted)) {}

  // Empty when the document was read; else the one-line reason.
  std::string read(std::string_view document) {
    if (document.size() > limits_.max_document_bytes) {
      return "answer larger than " + std::to_string(limits_.max_document_bytes) + " bytes";
    }
    XML_Parser parser = XML_ParserCreateNS(nullptr, kNamespaceSeparator);
    if (parser == nullptr) return "cannot create an XML parser (out of memory)";
    parser_ = parser;
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Reader::on_start, &Reader::on_end);
    XML_SetCharacterDataHandler(parser, &Reader::on_text);
    XML_SetStartDoctypeDeclHandler(parser, &Reader::on_doctype);
    XML_SetEntityDeclHandler(parser, &Reader::on_entity);
    XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
    const auto status =
        XML_Parse(parser, document.data(), static_cast<int>(document.size()), XML_TRUE);
    std::string why;
    if (!refused_.empty()) {
      why = refused_;
    } else if (status != XML_STATUS_OK) {
      why = std::string("malformed XML at line ") +
            std::to_string(XML_GetCurrentLineNumber(parser)) + ": " +
            XML_ErrorString(XML_GetErrorCode(parser));
    }
    XML_ParserFree(parser);
    parser_ = nullptr;
    return why;
  }

 private:
  void refuse(std::string why) {
    if (refused_.empty()) refused_ = std::move(why);
    XML_StopParser(parser_, XML_FALSE);
  }

  static void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char**) {
    auto* self = static_cast<Reader*>(data);
    if (!self->refused_.empty()) return;
    if (self->stack_.size() >= self->limits_.max_depth) {
      self->refuse("XML nested deeper than " + std::to_string(self->limits_.max_depth) +
                   " elements");
      return;
    }
    self->stack_.emplace_back(local_name(name));
    self->capture_ = nullptr;
    for (const auto& wanted : self->wanted_) {
      if (wanted.path == self->stack_) {
        wanted.out->clear();
        self->capture_ = wanted.out;
        self->capture_name_ = self->stack_.back();
        self->capture_depth_ = self->stack_.size();
      }
    }
  }

  static void XMLCALL on_end(void* data, const XML_Char*) {
    auto* self = static_cast<Reader*>(data);
    if (self->stack_.empty()) return;
    if (self->capture_ != nullptr && self->stack_.size() == self->capture_depth_) {
      self->capture_ = nullptr;
    }
    self->stack_.pop_back();
  }

  static void XMLCALL on_text(void* data, const XML_Char* text, int length) {
    auto* self = static_cast<Reader*>(data);
    // Text of a child element inside a captured member is not part of the member.
    if (self->capture_ == nullptr || self->stack_.size() != self->capture_depth_) return;
    const auto size = static_cast<std::size_t>(length);
    if (self->capture_->size() + size > self->limits_.max_value_bytes) {
      self->refuse("member " + self->capture_name_ + " longer than " +
                   std::to_string(self->limits_.max_value_bytes) + " bytes");
      return;
    }
    self->capture_->append(text, size);
  }

  static void XMLCALL on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*,
                                 int) {
    static_cast<Reader*>(data)->refuse(
        "XML with a DOCTYPE (refused: STS sends none, and its entities could expand without "
        "bound)");
  }

  static void XMLCALL on_entity(void* data, const XML_Char*, int, const XML_Char*, int,
                                const XML_Char*, const XML_Char*, const XML_Char*,
                                const XML_Char*) {
    static_cast<Reader*>(data)->refuse("XML with an entity declaration (refused)");
  }

  const StsXmlLimits& limits_;
  std::vector<Wanted> wanted_;
  XML_Parser parser_ = nullptr;
  std::vector<std::string> stack_;
  std::string* capture_ = nullptr;
  std::string capture_name_;
  std::size_t capture_depth_ = 0;
  std::string refused_;
};

// "arn:aws:sts::123456789012:assumed-role/name/session" -> "123456789012"; "" when not an ARN.
std::string account_of(const std::string& arn) {
  std::size_t at = 0;
  for (int field = 0; field < 4; ++field) {
    at = arn.find(':', at);
    if (at == std::string::npos) return {};
    ++at;
  }
  const auto end = arn.find(':', at);
  if (arn.rfind("arn:", 0) != 0 || end == std::string::npos) return {};
  std::string account = arn.substr(at, end - at);
  for (char c : account) {
    if (c < '0' || c > '9') return {};
  }
  return account;
}

}  // namespace

Result<Credentials> parse_sts_credentials(std::string_view document, std::string_view action,
                                          const std::string& where, const StsXmlLimits& limits) {
  const std::string response = std::string(action) + "Response";
  const std::string result = std::string(action) + "Result";
  std::string key_id, secret, token, expiration, arn;
  auto member = [&](std::initializer_list<const char*> tail, std::string* out) {
    Wanted wanted{{response, result}, out};
    for (const char* name : tail) wanted.path.emplace_back(name);
    return wanted;
  };
  Reader reader(limits, {member({"Credentials", "AccessKeyId"}, &key_id),
                         member({"Credentials", "SecretAccessKey"}, &secret),
                         member({"Credentials", "SessionToken"}, &token),
                         member({"Credentials", "Expiration"}, &expiration),
                         member({"AssumedRoleUser", "Arn"}, &arn)});
  if (auto why = reader.read(document); !why.empty()) {
    return make_error(ErrorKind::Protocol, where + ": " + why);
  }
  const std::pair<const char*, std::string*> required[] = {{"AccessKeyId", &key_id},
                                                           {"SecretAccessKey", &secret},
                                                           {"SessionToken", &token},
                                                           {"Expiration", &expiration}};
  for (const auto& [name, value] : required) {
    *value = trimmed(*value);
    if (value->empty()) {
      return make_error(ErrorKind::Protocol, where + ": answer has no " + response + "/" + result +
                                                 "/Credentials/" + name);
    }
  }
  Credentials credentials;
  auto expires = parse_iso8601(expiration);
  if (!expires) {
    return make_error(ErrorKind::Protocol, where + ": Expiration is not an ISO-8601 timestamp: '" +
                                               internal::one_line(expiration, 40) + "'");
  }
  credentials.access_key_id = key_id;
  credentials.secret_access_key = Secret(std::move(secret));
  credentials.session_token = Secret(std::move(token));
  credentials.expiration = *expires;
  credentials.account_id = account_of(trimmed(arn));
  return credentials;
}

Result<StsError> parse_sts_error(std::string_view document, const StsXmlLimits& limits) {
  StsError error;
  Reader reader(limits, {{{"ErrorResponse", "Error", "Type"}, &error.type},
                         {{"ErrorResponse", "Error", "Code"}, &error.code},
                         {{"ErrorResponse", "Error", "Message"}, &error.message},
                         {{"ErrorResponse", "RequestId"}, &error.request_id}});
  if (auto why = reader.read(document); !why.empty()) {
    return make_error(ErrorKind::Protocol, why);
  }
  for (std::string* value : {&error.type, &error.code, &error.message, &error.request_id}) {
    *value = trimmed(*value);
  }
  if (error.code.empty()) return make_error(ErrorKind::Protocol, "no ErrorResponse/Error/Code");
  return error;
}

bool sts_code_is_retryable(std::string_view code) {
  // botocore's standard retry mode: its throttling codes, plus STS's own transient
  // IDPCommunicationError (the identity provider did not answer STS in time).
  if (code == "IDPCommunicationError") return true;
  for (auto throttling : internal::kThrottlingCodes) {
    if (code == throttling) return true;
  }
  return false;
}

Error sts_error_from_answer(int status, std::string_view body, std::string_view header_request_id,
                            const std::string& where) {
  Error error;
  error.kind = ErrorKind::Service;
  error.http_status = status;
  error.request_id = std::string(header_request_id);
  auto parsed = parse_sts_error(body);
  if (!parsed) {
    error.retryable = status >= 500 || status == 429;
    error.message = where + ": HTTP " + std::to_string(status) +
                    " without an STS error document (" + parsed.error().message + ")";
    return error;
  }
  error.aws_type = parsed->code;
  if (!parsed->request_id.empty()) error.request_id = parsed->request_id;
  error.retryable = sts_code_is_retryable(parsed->code) || status >= 500;
  // The message is the service's text: one line, bounded.
  const std::string message = internal::one_line(parsed->message, 512);
  error.message = where + ": " + (message.empty() ? "HTTP " + std::to_string(status) : message);
  return error;
}

}  // namespace bedrock_lite::credentials::detail
