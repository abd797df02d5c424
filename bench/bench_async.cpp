// Many streams on one thread (issue 15), against a loopback server in a child process (so process
// CPU time is the client's alone) that answers every ConverseStream with 100 events, 10 ms apart
// (each stream about 1 s):
//   BM_ConcurrentStreams/N  N ConverseStream calls at once on one AsyncClient and one Engine,
//                           every event decoded, parsed, handed to a handler and accumulated.
//   BM_CurlMultiFloor/N     the floor: a bare curl_multi loop with the same N requests (signed
//                           once), counting bytes only.
//   BM_ThreadPerCall/N      the blocking Client with one thread per call.
//   BM_ConcurrentStreamsH2/N, BM_CurlMultiFloorH2/N  the same two over HTTP/2 (TLS, ALPN h2,
//                           CURLPIPE_MULTIPLEX) through Debian's nghttpx (package nghttp2-proxy),
//                           started here on loopback in front of the same paced server with a
//                           throwaway self-signed certificate made at start-up; skipped with an
//                           error when nghttpx cannot be started.
// Counters: cpu_us_per_event (process CPU, user + system, over events received), peak_rss_kib
// (the process's peak so far: runs go in registration order), rss_kib_per_stream (resident growth
// at the widest point of the run over N), completed (calls that ended well), wall_beyond_1s_ms,
// and connections (TCP connections the run opened: CURLINFO_NUM_CONNECTS summed for the floors,
// distinct client ports in nghttpx's access log for BM_ConcurrentStreamsH2).
// Targets: at N = 1,000, cpu_us_per_event <= 2x the floor's and rss_kib_per_stream <= 1.5x.
// N = 1,000 needs about 1,000 descriptors in each process: the soft RLIMIT_NOFILE is raised to the
// hard limit first (nghttpx inherits it: it holds one backend connection per stream).
#include <bedrock_lite/converse.h>
#include <bedrock_lite/eventstream.h>

#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

extern char** environ;

using namespace bedrock_lite;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kEvents = 100;
constexpr auto kGap = std::chrono::milliseconds(10);
const char* kRequestBody = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
const char* kModelPath = "/model/us.amazon.nova-micro-v1%3A0/converse-stream";

std::string event(const char* type, const std::string& payload) {
  std::string out;
  const std::vector<eventstream::Header> headers = {
      {":event-type", eventstream::HeaderValue::string(type)},
      {":content-type", eventstream::HeaderValue::string("application/json")},
      {":message-type", eventstream::HeaderValue::string("event")}};
  if (!eventstream::encode_message(headers, payload, out)) std::abort();
  return out;
}

// messageStart, 96 text deltas, contentBlockStop, messageStop, metadata.
std::vector<std::string> stream_events() {
  std::vector<std::string> events;
  events.push_back(event("messageStart", R"({"p":"abcdefghijklmnopqr","role":"assistant"})"));
  for (int i = 0; i < kEvents - 4; ++i) {
    events.push_back(event("contentBlockDelta",
                           R"({"contentBlockIndex":0,"delta":{"text":" token)" + std::to_string(i) +
                               R"("},"p":"abcdefghijklmnopqrstuvwxyzABCDEF"})"));
  }
  events.push_back(event("contentBlockStop", R"({"contentBlockIndex":0,"p":"abcdefghij"})"));
  events.push_back(event("messageStop", R"({"p":"abcdefgh","stopReason":"end_turn"})"));
  events.push_back(event("metadata",
                         R"({"metrics":{"latencyMs":1000},"p":"abcdef",)"
                         R"("usage":{"inputTokens":7,"outputTokens":96,"totalTokens":103}})"));
  return events;
}

// One connection of the paced server: reads a request, then writes one event every kGap.
struct Connection {
  std::string in;
  std::string out;      // written when the socket takes it
  int next_event = -1;  // -1: reading a request
  Steady::time_point due;
};

bool request_complete(const std::string& in, std::size_t& length) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::size_t body = 0;
  const auto at = in.find("Content-Length: ");
  if (at != std::string::npos && at < end) body = std::strtoul(in.c_str() + at + 16, nullptr, 10);
  length = end + 4 + body;
  return in.size() >= length;
}

void flush(int fd, Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = write(fd, c.out.data(), c.out.size());
    if (n <= 0) return;
    c.out.erase(0, static_cast<std::size_t>(n));
  }
}

// The paced server's loop: epoll, every connection's next event on its own due time.
[[noreturn]] void serve(int listener) {
  const auto events = stream_events();
  std::size_t total = 0;
  for (const auto& e : events) total += e.size();
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
      "x-amzn-RequestId: bench\r\nContent-Length: " +
      std::to_string(total) + "\r\n\r\n";
  const int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, Connection> connections;
  std::vector<epoll_event> ready(1024);
  for (;;) {
    const int n = epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 1);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[static_cast<std::size_t>(i)].data.fd;
      if (fd == listener) {
        for (;;) {
          const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
          if (client < 0) break;
          const int one = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = client;
          epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
          connections[client] = Connection{};
        }
        continue;
      }
      Connection& c = connections[fd];
      char buffer[4096];
      const ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        close(fd);
        connections.erase(fd);
        continue;
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      std::size_t length = 0;
      if (c.next_event < 0 && request_complete(c.in, length)) {
        c.in.erase(0, length);
        c.out += head + events[0];
        c.next_event = 1;
        c.due = Steady::now() + kGap;
        flush(fd, c);
      }
    }
    const auto now = Steady::now();
    for (auto& [fd, c] : connections) {
      if (!c.out.empty()) flush(fd, c);
      if (c.next_event < 0 || now < c.due) continue;
      c.out += events[static_cast<std::size_t>(c.next_event)];
      ++c.next_event;
      c.due += kGap;
      if (c.next_event == kEvents) c.next_event = -1;
      flush(fd, c);
    }
  }
}

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
};

ServerProcess g_server;

ServerProcess start_server() {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::abort();
  if (listen(listener, 4096) != 0) std::abort();
  socklen_t size = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  ServerProcess process;
  process.port = ntohs(address.sin_port);
  process.pid = fork();
  if (process.pid < 0) std::abort();
  if (process.pid == 0) serve(listener);
  close(listener);
  return process;
}

long rss_now_kib() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%ld %ld", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Where a benchmark's calls go: straight to the paced server (plain http://, so HTTP/1.1), or
// through nghttpx (https://, HTTP/2 by ALPN; ca_bundle trusts its certificate, access_log names
// each request's client port).
struct Target {
  std::string url;
  std::string ca_bundle;
  std::string access_log;
  std::string error;  // why the target is unavailable; empty when it is up
};

Target g_http1;
Target g_http2;
pid_t g_proxy_pid = -1;
std::string g_proxy_dir;

constexpr const char* kNghttpx = "/usr/sbin/nghttpx";

// A throwaway P-256 certificate for IP 127.0.0.1 that is its own CA, valid for a day, written with
// its key as PEM. Made at every start so no key material lives in the repository.
bool write_certificate(const std::string& key_path, const std::string& cert_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr && X509_set_version(cert, 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert), -60) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600) != nullptr;
  X509_NAME* name = ok ? X509_get_subject_name(cert) : nullptr;
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                                  0) == 1 &&
       X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1;
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  if (ok) X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {{NID_basic_constraints, "critical,CA:TRUE"},
                                                    {NID_subject_key_identifier, "hash"},
                                                    {NID_subject_alt_name, "IP:127.0.0.1"}};
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = ok ? X509V3_EXT_conf_nid(nullptr, &context, nid, value) : nullptr;
    ok = extension != nullptr && X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
  }
  ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
  BIO* key_out = ok ? BIO_new_file(key_path.c_str(), "w") : nullptr;
  ok = key_out != nullptr &&
       PEM_write_bio_PrivateKey(key_out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  BIO_free(key_out);
  BIO* cert_out = ok ? BIO_new_file(cert_path.c_str(), "w") : nullptr;
  ok = cert_out != nullptr && PEM_write_bio_X509(cert_out, cert) == 1;
  BIO_free(cert_out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

// nghttpx on loopback in front of the paced server: TLS with a fresh certificate, HTTP/2 (at most
// 100 concurrent streams per connection, its default) to the client, HTTP/1.1 to the server.
Target start_proxy(int backend_port) {
  Target target;
  if (access(kNghttpx, X_OK) != 0) {
    target.error = std::string(kNghttpx) + " not found: install Debian's nghttp2-proxy";
    return target;
  }
  char dir[] = "/tmp/bench_async_h2.XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    target.error = "cannot make a temporary directory for nghttpx's certificate";
    return target;
  }
  g_proxy_dir = dir;
  const std::string key = g_proxy_dir + "/key.pem";
  target.ca_bundle = g_proxy_dir + "/cert.pem";
  target.access_log = g_proxy_dir + "/access.log";
  if (!write_certificate(key, target.ca_bundle)) {
    target.error = "cannot make nghttpx's test certificate with OpenSSL";
    return target;
  }
  const int port = free_port();
  std::vector<std::string> args = {
      kNghttpx,
      "--conf=/dev/null",  // never the machine's /etc/nghttpx/nghttpx.conf
      "--frontend=127.0.0.1," + std::to_string(port),
      "--backend=127.0.0.1," + std::to_string(backend_port) + ";;proto=http/1.1",
      "--workers=1",
      "--no-ocsp",
      "--accesslog-file=" + target.access_log,
      "--accesslog-format=$remote_port $alpn $status",
      "--errorlog-file=" + g_proxy_dir + "/error.log",
      key,
      target.ca_bundle};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Its start-up notice goes to stderr before the error log is open: keep the report clean.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const int spawned = posix_spawn(&g_proxy_pid, kNghttpx, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    g_proxy_pid = -1;
    target.error = std::string("cannot start ") + kNghttpx + ": " + std::strerror(spawned);
    return target;
  }
  for (int i = 0; i < 100 && !accepts(port); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!accepts(port)) {
    target.error = "nghttpx did not accept on 127.0.0.1:" + std::to_string(port) +
                   " within 5 s (see " + g_proxy_dir + "/error.log)";
    return target;
  }
  target.url = "https://127.0.0.1:" + std::to_string(port);
  return target;
}

void stop_proxy() {
  if (g_proxy_pid > 0) {
    kill(g_proxy_pid, SIGTERM);
    waitpid(g_proxy_pid, nullptr, 0);
  }
  if (g_proxy_dir.empty() || !g_http2.error.empty()) return;  // kept for a look when it failed
  for (const char* file : {"/key.pem", "/cert.pem", "/access.log", "/error.log"}) {
    unlink((g_proxy_dir + file).c_str());
  }
  rmdir(g_proxy_dir.c_str());
}

// Lines of the target's access log so far (0 without one).
std::size_t log_lines(const Target& target) {
  if (target.access_log.empty()) return 0;
  std::ifstream in(target.access_log);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

// Distinct client ports in the access log after its first `skip` lines: the connections a run
// used through nghttpx.
long connections_since(const Target& target, std::size_t skip) {
  std::ifstream in(target.access_log);
  std::set<std::string> ports;
  std::size_t index = 0;
  for (std::string line; std::getline(in, line); ++index) {
    if (index >= skip) ports.insert(line.substr(0, line.find(' ')));
  }
  return static_cast<long>(ports.size());
}

converse::Config client_config(const Target& target) {
  converse::Config config;
  config.region = "us-east-1";
  config.endpoint = target.url;
  credentials::Credentials keys;
  keys.access_key_id = "AKIDBENCH";
  keys.secret_access_key = Secret("bench-secret");
  config.credentials = credentials::make_static_provider(keys);
  config.retry.max_attempts = 1;
  http::CurlOptions options;
  options.max_idle_handles = 1024;
  options.ca_bundle = target.ca_bundle;
  config.transport = http::make_curl_transport(options);
  return config;
}

converse::ConverseRequest stream_request() {
  auto request = converse::parse_converse_request(kRequestBody);
  if (!request) std::abort();
  request->model_id = "us.amazon.nova-micro-v1:0";
  return std::move(request).value();
}

// What one run measured.
struct Run {
  double cpu = 0;
  double wall = 0;
  long widest_rss = 0;  // resident at the widest point, over the baseline
  long events = 0;
  long completed = 0;
  long connections = -1;  // -1: not measured
};

void report(benchmark::State& state, const Run& run, long streams) {
  state.SetIterationTime(run.wall);
  state.counters["cpu_us_per_event"] =
      run.events > 0 ? run.cpu * 1e6 / static_cast<double>(run.events) : 0;
  state.counters["peak_rss_kib"] = static_cast<double>(peak_rss_kib());
  state.counters["rss_kib_per_stream"] =
      static_cast<double>(run.widest_rss) / static_cast<double>(streams);
  state.counters["completed"] = static_cast<double>(run.completed);
  state.counters["wall_beyond_1s_ms"] = (run.wall - 1.0) * 1e3;
  if (run.connections >= 0) state.counters["connections"] = static_cast<double>(run.connections);
}

// The target when it is up; otherwise the benchmark is skipped with the reason.
const Target* available(benchmark::State& state, const Target& target) {
  if (target.error.empty()) return &target;
  state.SkipWithError(("HTTP/2 benchmarks skipped: " + target.error).c_str());
  return nullptr;
}

void concurrent_streams(benchmark::State& state, const Target& target) {
  const auto streams = state.range(0);
  for (auto _ : state) {
    auto engine = http::Engine::create();
    if (!engine) std::abort();
    auto client = converse::AsyncClient::create(client_config(target), **engine);
    if (!client) std::abort();
    const auto request = stream_request();
    const std::size_t logged = log_lines(target);
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    for (long i = 0; i < streams; ++i) {
      client->converse_stream(
          request,
          [&run](const converse::StreamEvent&) {
            ++run.events;
            return converse::StreamControl::Continue;
          },
          [&run](Result<converse::ConverseResponse> result) {
            if (result.ok() && result->usage && result->usage->output_tokens == kEvents - 4)
              ++run.completed;
          });
    }
    // Samples resident memory every 100 ms while the streams run.
    std::function<void()> sample = [&] {
      run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
      if (client->in_flight() > 0) (*engine)->add_timer(std::chrono::milliseconds(100), sample);
    };
    (*engine)->add_timer(std::chrono::milliseconds(100), sample);
    (*engine)->run();
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    // Read after the clock stops; over plain HTTP/1.1 it is one connection per stream anyway.
    if (!target.access_log.empty()) run.connections = connections_since(target, logged);
    report(state, run, streams);
  }
}

void BM_ConcurrentStreams(benchmark::State& state) {
  concurrent_streams(state, g_http1);
}

void BM_ConcurrentStreamsH2(benchmark::State& state) {
  if (const Target* target = available(state, g_http2)) concurrent_streams(state, *target);
}

size_t count_bytes(char*, size_t size, size_t count, void* user) {
  *static_cast<long*>(user) += static_cast<long>(size * count);
  return size * count;
}

void curl_multi_floor(benchmark::State& state, const Target& target) {
  const auto streams = state.range(0);
  // Signed once by the client's own signer would add nothing here: the server checks nothing, so
  // the floor sends the same headers unsigned.
  const std::string url = target.url + kModelPath;
  const bool http2 = !target.ca_bundle.empty();
  for (auto _ : state) {
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    CURLM* multi = curl_multi_init();
    // Multiplexing is libcurl's default since 7.62; set as the engine sets it.
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
    if (http2) {
      // The engine caps connections per host at what the calls need at 100 streams each
      // (docs/async.md, "HTTP/2"); without it libcurl 7.88 opened 901 connections for 1,000.
      curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                        static_cast<long>((streams + 99) / 100));
    }
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::vector<CURL*> handles;
    std::vector<long> bytes(static_cast<std::size_t>(streams), 0);
    for (long i = 0; i < streams; ++i) {
      CURL* easy = curl_easy_init();
      curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, kRequestBody);
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &count_bytes);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bytes[static_cast<std::size_t>(i)]);
      if (http2) {  // as the library's transport does for https://
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(easy, CURLOPT_CAINFO, target.ca_bundle.c_str());
      }
      curl_multi_add_handle(multi, easy);
      handles.push_back(easy);
    }
    int running = 1;
    auto next_sample = Steady::now();
    while (running > 0) {
      curl_multi_perform(multi, &running);
      if (Steady::now() >= next_sample) {
        run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
        next_sample += std::chrono::milliseconds(100);
      }
      if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->data.result == CURLE_OK) ++run.completed;
    }
    run.events = run.completed * kEvents;
    run.connections = 0;
    for (CURL* easy : handles) {
      long opened = 0;
      curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &opened);
      run.connections += opened;
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    report(state, run, streams);
  }
}

void BM_CurlMultiFloor(benchmark::State& state) {
  curl_multi_floor(state, g_http1);
}

void BM_CurlMultiFloorH2(benchmark::State& state) {
  if (const Target* target = available(state, g_http2)) curl_multi_floor(state, *target);
}

void BM_ThreadPerCall(benchmark::State& state) {
  const auto streams = state.range(0);
  for (auto _ : state) {
    auto client = converse::Client::create(client_config(g_http1));
    if (!client) std::abort();
    const auto request = stream_request();
    std::atomic<long> events{0}, completed{0};
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    std::vector<std::thread> threads;
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    for (long i = 0; i < streams; ++i) {
      threads.emplace_back([&] {
        auto response = client->converse_stream(request, [&](const converse::StreamEvent&) {
          ++events;
          return converse::StreamControl::Continue;
        });
        if (response.ok()) ++completed;
      });
    }
    for (auto& thread : threads) thread.join();
    done = true;
    sampler.join();
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    run.events = events;
    run.completed = completed;
    report(state, run, streams);
  }
}

BENCHMARK(BM_CurlMultiFloor)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConcurrentStreams)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ThreadPerCall)
    ->Arg(100)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CurlMultiFloorH2)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConcurrentStreamsH2)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  std::signal(SIGPIPE, SIG_IGN);
  // First: --help and a bad flag end the program here, before a server or proxy was started.
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  g_server = start_server();  // before any thread exists
  g_http1.url = "http://127.0.0.1:" + std::to_string(g_server.port);
  g_http2 = start_proxy(g_server.port);
  if (!g_http2.error.empty()) std::fprintf(stderr, "bench_async: %s\n", g_http2.error.c_str());
  benchmark::RunSpecifiedBenchmarks();
  stop_proxy();
  kill(g_server.pid, SIGTERM);
  waitpid(g_server.pid, nullptr, 0);
  return 0;
}
