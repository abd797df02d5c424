// The raw HTTP/1.1 request form of the official suite's request.txt files: parser and renderer.
// The renderer reproduces the input byte for byte (header values as written, folded lines and
// line endings kept), so a signed request differs from the input only by what signing added.
#include <bedrock_lite/internal/text.h>
#include <bedrock_lite/sigv4.h>

namespace bedrock_lite::sigv4 {
namespace {

using internal::iequals;

// RFC 9110 token characters: what a method and a header name may contain.
bool is_tchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return kSpecials.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

Error line_error(std::size_t line, const std::string& what) {
  return Error{"line " + std::to_string(line) + ": " + what, line};
}

// Walks the text line by line; a line ends at LF, and a CR before that LF is not part of it.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool next(std::string_view& line, bool& had_crlf) {
    if (position_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', position_);
    const bool had_lf = end != std::string_view::npos;
    if (!had_lf) end = text_.size();
    line = text_.substr(position_, end - position_);
    had_crlf = had_lf && !line.empty() && line.back() == '\r';
    if (had_crlf) line.remove_suffix(1);
    position_ = had_lf ? end + 1 : end;
    ++number_;
    return true;
  }

  std::size_t number() const { return number_; }
  std::string_view rest() const { return text_.substr(position_); }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
  std::size_t number_ = 0;
};

void append_with_line_endings(std::string& out, std::string_view value,
                              std::string_view line_ending) {
  if (line_ending == "\n") {
    out.append(value);
    return;
  }
  for (char c : value) {
    if (c == '\n') {
      out.append(line_ending);
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

SignableRequest ParsedRequest::signable() const {
  SignableRequest request;
  request.method = method;
  request.path = path;
  request.query = query;
  request.headers = &headers;
  request.body = body;
  return request;
}

Result<ParsedRequest, Error> parse_request(std::string_view text) {
  ParsedRequest request;
  LineReader reader(text);
  std::string_view line;
  bool crlf = false;
  if (!reader.next(line, crlf)) return line_error(1, "no request line (the input is empty)");
  if (line.empty()) return line_error(1, "no request line (the first line is empty)");
  if (crlf) request.line_ending = "\r\n";

  // METHOD SP request-target SP HTTP-version. The target runs from the first space to the last,
  // so a raw space in the path survives (vectors get-space-*).
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return line_error(1, "malformed request line: expected 'METHOD /path HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = line.substr(last_space + 1);
  if (!is_token(method)) return line_error(1, "malformed request line: invalid method");
  if (target.empty() || target.front() != '/') {
    return line_error(1, "malformed request line: the request target must start with '/'");
  }
  if (version.substr(0, 5) != "HTTP/") {
    return line_error(1, "malformed request line: the version must start with 'HTTP/'");
  }
  request.method = std::string(method);
  const std::size_t mark = target.find('?');
  request.path = std::string(target.substr(0, mark));
  if (mark != std::string_view::npos) request.query = std::string(target.substr(mark + 1));
  request.version = std::string(version);

  while (reader.next(line, crlf)) {
    if (line.empty()) {
      request.has_body_separator = true;
      request.body = std::string(reader.rest());
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding (get-header-value-multiline): continues the previous value.
      if (request.headers.empty()) {
        return line_error(reader.number(),
                          "continuation line (starts with a space or tab) "
                          "before any header");
      }
      request.headers.back().value.append(1, '\n').append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return line_error(reader.number(), "header line has no ':'");
    }
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) return line_error(reader.number(), "empty header name");
    if (!is_token(name)) {
      return line_error(reader.number(),
                        "invalid character in header name (space, control or "
                        "separator)");
    }
    request.headers.push_back({std::string(name), std::string(line.substr(colon + 1))});
  }
  return request;
}

std::string render_signed_request(const ParsedRequest& request,
                                  const SigningResult& signed_result) {
  const std::string_view le = request.line_ending;
  std::string out;
  std::size_t estimate = request.method.size() + request.path.size() + request.query.size() +
                         request.version.size() + request.body.size() + 16;
  for (const auto& header : request.headers)
    estimate += header.name.size() + header.value.size() + 3;
  for (const auto& header : signed_result.headers)
    estimate += header.name.size() + header.value.size() + 3;
  for (const auto& param : signed_result.query)
    estimate += param.name.size() + param.value.size() + 2;
  out.reserve(estimate);

  out.append(request.method).append(1, ' ').append(request.path);
  if (!request.query.empty() || !signed_result.query.empty()) {
    out.push_back('?');
    out.append(request.query);
    bool first = request.query.empty();
    for (const auto& param : signed_result.query) {
      if (!first) out.push_back('&');
      first = false;
      out.append(param.name).append(1, '=').append(param.value);
    }
  }
  out.append(1, ' ').append(request.version).append(le);

  // The request's own headers as written, except an Authorization the signature replaces.
  const bool replaces_authorization = !signed_result.headers.empty();
  for (const auto& header : request.headers) {
    if (replaces_authorization && iequals(header.name, "authorization")) continue;
    out.append(header.name).append(1, ':');
    append_with_line_endings(out, header.value, le);
    out.append(le);
  }
  for (const auto& header : signed_result.headers) {
    out.append(header.name).append(1, ':').append(header.value).append(le);
  }
  out.append(le);
  out.append(request.body);
  return out;
}

}  // namespace bedrock_lite::sigv4
