// bedrock-lite sign: SigV4-sign a raw HTTP/1.1 request read on stdin (docs/cli.md "sign").
// Argument parsing and output only: parsing the request, signing and rendering are sigv4's;
// credentials come from the standard chain (credentials module).
#include "cli.h"

#include <bedrock_lite/credentials.h>
#include <bedrock_lite/sigv4.h>

#include <bedrock_lite/internal/text.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::cli {
namespace {

// AWS accepts presigned URLs valid for 1 second to 7 days.
constexpr long long kMaxExpiresSeconds = 7 * 24 * 3600;

struct SignOptions {
  std::string service;
  std::optional<std::string> time;
  bool query = false;
  std::optional<std::string> expires;
  bool unsigned_payload = false;
  bool sign_body = false;
  bool no_normalize_path = false;
  bool no_double_encode = false;
  bool omit_session_token = false;
  std::string print = "request";
};

// The command's option table, writing into `options`.
CommandLine command_line(SignOptions& options) {
  CommandLine line;
  line.name = "sign";
  line.summary =
      "SigV4-sign a raw HTTP/1.1 request read on stdin; print it signed (docs/cli.md). Needs "
      "--region.";
  line.options = {
      {"--service", "S", "the signing name, e.g. bedrock (required)", text_into(options.service)},
      {"--time", "TIME", "sign at this UTC time, 20150830T123600Z (else X-Amz-Date, else now)",
       text_into(options.time)},
      {"--query", nullptr, "presign: the signature goes in the query string",
       set_flag(options.query)},
      {"--expires", "SECONDS", "with --query: validity, 1 to 604800 seconds",
       text_into(options.expires)},
      {"--unsigned-payload", nullptr, "UNSIGNED-PAYLOAD instead of the body's SHA-256",
       set_flag(options.unsigned_payload)},
      {"--sign-body", nullptr, "add and sign the x-amz-content-sha256 header",
       set_flag(options.sign_body)},
      {"--no-normalize-path", nullptr, "keep the path's . and .. segments (as for S3)",
       set_flag(options.no_normalize_path)},
      {"--no-double-encode", nullptr, "encode the path once (as for S3)",
       set_flag(options.no_double_encode)},
      {"--omit-session-token", nullptr, "add the session token after signing, unsigned",
       set_flag(options.omit_session_token)},
      {"--print", "request|creq|sts|authz",
       "the signed request (default), canonical request, string to sign or Authorization value",
       text_into(options.print)},
  };
  return line;
}

// What the table cannot say about one option alone. Empty on success, else the usage error.
std::string check_options(const SignOptions& options) {
  if (options.service.empty()) return "sign needs --service (the signing name, e.g. bedrock)";
  if (options.print != "request" && options.print != "creq" && options.print != "sts" &&
      options.print != "authz") {
    return "--print takes request, creq, sts or authz, not '" + options.print + "'";
  }
  if (options.expires && !options.query) return "--expires needs --query";
  return {};
}

std::string read_stdin() {
  std::string text;
  char buffer[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) text.append(buffer, n);
  return text;
}

// The standard chain (docs/configuration.md "Credentials: the default chain"), assembled as
// the client assembles it (credentials::make_prepared_default_chain).
Result<credentials::Credentials> load_credentials(const GlobalOptions& global) {
  credentials::ProviderContext context;
  context.environment = credentials::Environment::from_process();
  context.profile = global.profile;
  context.region = global.region;
  context.mfa_code = mfa_code_callback(global);
  context.log = debug_log_hook(global);
  auto chain = credentials::make_prepared_default_chain(std::move(context));
  if (!chain) return std::move(chain).error();
  return (*chain)->resolve();
}

using internal::iequals;

void write(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

int run_sign(const GlobalOptions& global, const std::vector<std::string>& args) {
  SignOptions options;
  if (auto done = parse_command_line(command_line(options), args)) return *done;
  if (auto problem = check_options(options); !problem.empty()) return usage_error(problem);
  if (!global.region) return usage_error("sign needs --region");

  sigv4::Settings settings;
  if (options.query) {
    settings.location = sigv4::SignatureLocation::Query;
    if (options.expires) {
      long long seconds = 0;
      const std::string& text = *options.expires;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (ec != std::errc() || end != text.data() + text.size() || seconds < 1 ||
          seconds > kMaxExpiresSeconds) {
        return usage_error("--expires takes whole seconds from 1 to 604800, not '" + text + "'");
      }
      settings.expires = std::chrono::seconds(seconds);
    }
  }
  if (options.unsigned_payload) settings.payload = sigv4::PayloadMode::Unsigned;
  if (options.sign_body) settings.content_sha256 = sigv4::ContentSha256Header::Add;
  if (options.no_normalize_path) settings.path_normalization = sigv4::PathNormalization::AsIs;
  if (options.no_double_encode) settings.uri_encoding = sigv4::UriEncoding::Single;
  if (options.omit_session_token)
    settings.session_token = sigv4::SessionTokenMode::AddedAfterSigning;

  std::optional<std::chrono::system_clock::time_point> time;
  if (options.time) {
    time = sigv4::parse_amz_date(*options.time);
    if (!time) {
      return usage_error("--time: '" + *options.time +
                         "' is not a UTC time like 20150830T123600Z or 2015-08-30T12:36:00Z");
    }
  }

  const std::string input = read_stdin();
  auto request = sigv4::parse_request(input);
  if (!request) return usage_error("stdin " + request.error().message);

  // Without --time, a request that already carries X-Amz-Date is signed at that time (as the
  // botocore vectors are); otherwise now.
  if (!time && !options.query) {
    for (const auto& header : request->headers) {
      if (iequals(header.name, "x-amz-date")) {
        const std::string_view value = internal::trim(header.value);
        time = sigv4::parse_amz_date(value);
        if (!time) {
          return usage_error("stdin: the X-Amz-Date header '" + std::string(value) +
                             "' is not like 20150830T123600Z (or pass --time)");
        }
        break;
      }
    }
  }
  if (!time) time = std::chrono::system_clock::now();

  auto resolved = load_credentials(global);
  if (!resolved) return report_error(resolved.error().display_name(), resolved.error().message);
  const credentials::Credentials& creds = resolved.value();
  if (global.debug) {
    std::fprintf(stderr, "debug: credentials from %s (access key id %s%s)\n", creds.source.c_str(),
                 creds.access_key_id.c_str(),
                 creds.session_token.empty() ? "" : ", with a session token");
  }

  const sigv4::Credentials signing_credentials{
      creds.access_key_id, creds.secret_access_key.reveal(), creds.session_token.reveal()};
  auto signed_result = sigv4::sign(request->signable(), signing_credentials,
                                   sigv4::Scope{*global.region, options.service, *time}, settings);
  if (!signed_result) return usage_error(signed_result.error().message);

  if (options.print == "creq") {
    write(signed_result->canonical_request);
    write("\n");
  } else if (options.print == "sts") {
    write(signed_result->string_to_sign);
    write("\n");
  } else if (options.print == "authz") {
    write(options.query ? signed_result->signature : signed_result->authorization());
    write("\n");
  } else {
    write(sigv4::render_signed_request(request.value(), signed_result.value()));
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace bedrock_lite::cli
