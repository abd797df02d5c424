// Private: SigV4's canonical forms (canonical.cpp), the pieces signer.cpp assembles into the
// canonical request and the string to sign.
#pragma once

#include <bedrock_lite/sigv4.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::sigv4::detail {

// True when `s` holds a control byte (below 0x20, or 0x7f): such a header value cannot be signed.
bool has_control(std::string_view s);

// Appends `s` with every byte outside RFC 3986's unreserved set (and outside `keep1`/`keep2`,
// when not 0) as %XX.
void append_encoded(std::string& out, std::string_view s, char keep1 = 0, char keep2 = 0);

// Headers SigV4 signers leave out (botocore's list, plus the Authorization being replaced).
bool is_unsignable(std::string_view name);

// The canonical URI of `path` (normalised and encoded once or twice, as `settings` say).
void append_canonical_uri(std::string& out, std::string_view path, const Settings& settings);

// One query parameter, canonically encoded.
struct QueryParam {
  std::string name;
  std::string value;
};

// Adds the parameters of a raw query string ("a=1&b"), each canonically encoded.
void add_request_query(std::vector<QueryParam>& params, std::string_view query);

// A header as the canonical request sees it.
struct HeaderRef {
  std::string_view name;
  std::string_view value;
};

// Appends `value` trimmed, with each inner run of whitespace collapsed to one space.
void append_trimmed(std::string& out, std::string_view value);

// Appends `s` lowercased (ASCII).
void append_lower(std::string& out, std::string_view s);

// Sorts by lowercase name, stably (duplicates keep their order).
void sort_headers(HeaderRef* refs, std::size_t count);

// SignedHeaders: the sorted lowercase names, each once, joined by ';'.
void append_signed_headers(std::string& out, const HeaderRef* refs, std::size_t count);

// The first header named `name` (any case), or nullptr.
const Header* find_header(const std::vector<Header>& headers, std::string_view name);

// `s` without the whitespace botocore's str.split() sees at either end.
std::string_view trimmed_view(std::string_view s);

}  // namespace bedrock_lite::sigv4::detail
