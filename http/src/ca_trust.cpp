// Which CA certificates the libcurl transport trusts (http.h find_ca_trust). A static CLI runs on
// distributions whose CA bundle lives in different places, and libcurl's compiled-in default is
// the build machine's (Debian's) path, so the transport always names the file or directory itself.
#include <bedrock_lite/http.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::http {
namespace {

// System bundles, in the order Go's crypto/x509 root_linux.go probes them (first found wins).
constexpr std::string_view kSystemFiles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",                             // openSUSE, SLES
    "/etc/pki/tls/cacert.pem",                            // OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7 and later
    "/etc/ssl/cert.pem",                                  // Alpine, and the BSD layout
};

// Hashed certificate directories, probed after every file (same source).
constexpr std::string_view kSystemDirectories[] = {
    "/etc/ssl/certs",                   // Debian, Ubuntu, SLES 10/11
    "/etc/pki/tls/certs",               // Fedora, RHEL
    "/system/etc/security/cacerts",     // Android
    "/data/misc/keychain/certs-added",  // Android, user-added
};

bool is_readable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), R_OK) == 0;
}

// "<8 hex digits>.<digits>": the names OpenSSL's c_rehash (and Debian's update-ca-certificates)
// give to the links it looks certificates up by.
bool is_hashed_name(std::string_view name) {
  const auto dot = name.find('.');
  if (dot != 8 || name.size() == 9) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (i < 8 && std::isxdigit(c) == 0) return false;
    if (i > 8 && std::isdigit(c) == 0) return false;
  }
  return true;
}

// A directory OpenSSL can use: it exists and holds at least one hashed certificate name (an
// empty /etc/ssl/certs, as a Debian machine without ca-certificates has, trusts nothing).
bool is_certificate_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) {
    if (is_hashed_name(entry->d_name)) {
      found = true;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

std::vector<std::string> split_colons(std::string_view list) {
  std::vector<std::string> parts;
  while (!list.empty()) {
    const auto colon = list.find(':');
    const auto part = list.substr(0, colon);
    if (!part.empty()) parts.emplace_back(part);
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return parts;
}

// SSL_CERT_FILE and SSL_CERT_DIR: every existing one is used. `tried` collects what was looked at.
CaTrust from_environment(const EnvironmentLookup& environment, std::string& tried) {
  CaTrust trust;
  std::optional<std::string> file, dirs;
  if (environment) {
    file = environment("SSL_CERT_FILE");
    dirs = environment("SSL_CERT_DIR");
  }
  if (file && !file->empty()) {
    tried += "SSL_CERT_FILE=" + *file;
    if (is_readable_file(*file)) trust.file = *file;
  } else {
    tried += "SSL_CERT_FILE (unset)";
  }
  if (dirs && !dirs->empty()) {
    tried += ", SSL_CERT_DIR=" + *dirs;
    for (const auto& dir : split_colons(*dirs)) {
      if (!is_certificate_directory(dir)) continue;
      if (!trust.directory.empty()) trust.directory += ':';
      trust.directory += dir;
    }
  } else {
    tried += ", SSL_CERT_DIR (unset)";
  }
  return trust;
}

}  // namespace

Result<CaTrust> find_ca_trust(std::string_view explicit_bundle,
                              const EnvironmentLookup& environment, std::string_view root) {
  if (!explicit_bundle.empty()) {
    // The user named this bundle: falling back to another store would hide a typo or a missing
    // corporate CA behind a certificate error later.
    std::string path(explicit_bundle);
    if (!is_readable_file(path)) {
      return make_error(ErrorKind::Config, "CA bundle " + path +
                                               " (AWS_CA_BUNDLE or ca_bundle) is not a "
                                               "readable file");
    }
    return CaTrust{std::move(path), {}};
  }
  std::string tried;
  CaTrust trust = from_environment(environment, tried);
  if (!trust.file.empty() || !trust.directory.empty()) return trust;
  for (const auto file : kSystemFiles) {
    std::string path = std::string(root) + std::string(file);
    tried += ", " + path;
    if (is_readable_file(path)) return CaTrust{std::move(path), {}};
  }
  for (const auto dir : kSystemDirectories) {
    std::string path = std::string(root) + std::string(dir);
    tried += ", " + path + "/";
    if (is_certificate_directory(path)) return CaTrust{{}, std::move(path)};
  }
  return make_error(ErrorKind::Config,
                    "no CA certificates found for TLS: tried " + tried +
                        "; set AWS_CA_BUNDLE (or ca_bundle in the profile) to a PEM bundle");
}

}  // namespace bedrock_lite::http
