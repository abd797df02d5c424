// The version of the libcurl linked at run time (which may differ from the headers built against).
#include <bedrock_lite/http.h>

#include <curl/curl.h>

#include <string>

namespace bedrock_lite::http {

std::string curl_runtime_version() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr) return "libcurl (version unknown)";
  std::string text = std::string("libcurl/") + info->version + " (TLS ";
  text += info->ssl_version != nullptr ? info->ssl_version : "none";
  // The resolver: c-ares when built with it, else the threaded resolver when lookups are
  // asynchronous, else blocking getaddrinfo in the calling thread.
  text += ", resolver ";
  if (info->ares != nullptr) {
    text += std::string("c-ares/") + info->ares;
  } else if ((info->features & CURL_VERSION_ASYNCHDNS) != 0) {
    text += "threaded";
  } else {
    text += "synchronous";
  }
  // HTTP/2 is the transport's default over TLS; without nghttp2 every call is HTTP/1.1.
  text += (info->features & CURL_VERSION_HTTP2) != 0 ? ", HTTP/2" : ", HTTP/1.1 only";
  return text + ")";
}

}  // namespace bedrock_lite::http
