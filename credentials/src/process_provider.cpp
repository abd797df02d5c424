// credential_process (docs/wire-protocol.md §5.6): the command runs without a shell, its stdout is
// a Version 1 JSON document (never logged), its stderr is kept, capped, for the error message.
#include <bedrock_lite/credentials.h>

#include "credentials_json.h"

#include <bedrock_lite/internal/text.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bedrock_lite::credentials {
namespace {

// The most of a process's stderr an error quotes.
constexpr std::size_t kMaxStderrBytes = 1000;

Error process_error(const std::string& where, const std::string& what) {
  return make_error(ErrorKind::Config, where + ": " + what);
}

// POSIX shell word splitting without expansion: blanks separate words; '...' is literal;
// "..." keeps blanks and lets backslash escape \ " $ `; a backslash outside quotes escapes the
// next character. botocore uses shlex.split with the same rules.
Result<std::vector<std::string>> split_command_line(const std::string& text,
                                                    const std::string& where) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      auto close = text.find('\'', i + 1);
      if (close == std::string::npos) return process_error(where, "unterminated ' in command");
      word.append(text, i + 1, close - i - 1);
      i = close;
      in_word = true;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && std::strchr("\\\"$`", text[j + 1])) ++j;
        word += text[j];
      }
      if (j >= text.size()) return process_error(where, "unterminated \" in command");
      i = j;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 < text.size()) word += text[++i];
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return process_error(where, "credential_process is empty");
  return words;
}

// The program to run: a path as given when it has a '/', else searched in the snapshot's PATH
// (not the process's: the snapshot is the library's only view of the environment).
std::optional<std::string> find_program(const std::string& name, const Environment& environment) {
  if (name.find('/') != std::string::npos) return name;
  const std::string path = environment.get("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_end(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
};

using SteadyTime = std::chrono::steady_clock::time_point;

struct ProcessOutput {
  std::string out;
  std::string err;
  int status = 0;
};

// Starts the program with stdin on /dev/null and stdout and stderr on the pipes' write ends.
Result<pid_t> spawn_process(const std::string& program, const std::vector<std::string>& words,
                            const Environment& environment, Pipe& out_pipe, Pipe& err_pipe,
                            const std::string& where) {
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  const auto env_strings = environment.to_envp();
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.fds[1], 2);
  pid_t pid = 0;
  const int spawn_result =
      ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_result != 0) {
    return process_error(where, "cannot run '" + program + "': " + std::strerror(spawn_result));
  }
  return pid;
}

// Reads stdout (bounded: more is an error) and stderr (kept up to its bound) until both close,
// within the deadline. The error, if any, says why reading stopped.
std::optional<Error> read_output(Pipe& out_pipe, Pipe& err_pipe, SteadyTime deadline,
                                 const ProcessSettings& settings, const std::string& where,
                                 ProcessOutput& output) {
  bool out_open = true, err_open = true;
  char buffer[4096];
  while (out_open || err_open) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      return make_error(ErrorKind::Timeout, where + ": did not finish within " +
                                                std::to_string(settings.timeout.count()) + " ms");
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (out_open) fds[count++] = pollfd{out_pipe.fds[0], POLLIN, 0};
    if (err_open) fds[count++] = pollfd{err_pipe.fds[0], POLLIN, 0};
    const int ready = ::poll(fds, count, static_cast<int>(remaining.count()));
    if (ready < 0 && errno != EINTR) {
      return process_error(where, std::string("poll failed: ") + std::strerror(errno));
    }
    std::optional<Error> failure;
    for (nfds_t i = 0; i < count && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      const bool is_out = fds[i].fd == out_pipe.fds[0];
      if (n <= 0) {
        (is_out ? out_open : err_open) = false;
        continue;
      }
      const auto size = static_cast<std::size_t>(n);
      if (is_out) {
        output.out.append(buffer, size);
        if (output.out.size() > settings.max_stdout_bytes) {
          failure = make_error(ErrorKind::Protocol, where + ": wrote more than " +
                                                        std::to_string(settings.max_stdout_bytes) +
                                                        " bytes on stdout");
        }
      } else if (output.err.size() < settings.max_stderr_bytes) {
        output.err.append(buffer, std::min(size, settings.max_stderr_bytes - output.err.size()));
      }
    }
    if (failure) return failure;
  }
  return std::nullopt;
}

// Reaps the child: at once (killed) when it failed us, else waits for it within the deadline,
// which is a failure of its own when it passes. Returns the wait status.
int reap(pid_t pid, std::optional<Error>& failure, SteadyTime deadline,
         const ProcessSettings& settings, const std::string& where) {
  int status = 0;
  for (;;) {
    if (failure) ::kill(pid, SIGKILL);
    const pid_t done = ::waitpid(pid, &status, failure ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline) {
      failure =
          make_error(ErrorKind::Timeout, where + ": did not exit within " +
                                             std::to_string(settings.timeout.count()) + " ms");
      continue;
    }
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status;
}

// Runs the credential_process program to its end and returns what it wrote and its status.
Result<ProcessOutput> run_process(const std::vector<std::string>& words,
                                  const Environment& environment, const ProcessSettings& settings,
                                  const std::string& where) {
  auto program = find_program(words[0], environment);
  if (!program) return process_error(where, "program '" + words[0] + "' not found in PATH");

  Pipe out_pipe, err_pipe;
  if (::pipe2(out_pipe.fds, O_CLOEXEC) != 0 || ::pipe2(err_pipe.fds, O_CLOEXEC) != 0) {
    return process_error(where, std::string("cannot create pipes: ") + std::strerror(errno));
  }
  auto pid = spawn_process(*program, words, environment, out_pipe, err_pipe, where);
  if (!pid) return std::move(pid).error();
  out_pipe.close_end(1);
  err_pipe.close_end(1);

  ProcessOutput output;
  const auto deadline = std::chrono::steady_clock::now() + settings.timeout;
  std::optional<Error> failure = read_output(out_pipe, err_pipe, deadline, settings, where, output);
  const int status = reap(*pid, failure, deadline, settings, where);
  if (failure) return *failure;
  output.status = status;
  return output;
}

}  // namespace

Result<Credentials> run_credential_process(const std::string& command_line,
                                           const std::string& profile_name,
                                           const Environment& environment,
                                           const ProcessSettings& settings) {
  const std::string where = "credential_process of profile '" + profile_name + "'";
  auto words = split_command_line(command_line, where);
  if (!words) return std::move(words).error();
  auto output = run_process(*words, environment, settings, where);
  if (!output) return std::move(output).error();
  const std::string stderr_text = internal::one_line(output->err, kMaxStderrBytes);
  const std::string stderr_note = stderr_text.empty() ? "" : "; stderr: " + stderr_text;
  if (WIFSIGNALED(output->status)) {
    return process_error(
        where, "killed by signal " + std::to_string(WTERMSIG(output->status)) + stderr_note);
  }
  if (!WIFEXITED(output->status) || WEXITSTATUS(output->status) != 0) {
    return process_error(
        where, "exited with status " + std::to_string(WEXITSTATUS(output->status)) + stderr_note);
  }
  detail::CredentialsDocument shape;
  shape.session_token_member = "SessionToken";
  shape.session_token_required = false;
  shape.expiration_required = false;
  shape.require_version_1 = true;
  auto credentials =
      detail::parse_credentials_document(output->out, where, shape, "process:" + profile_name);
  if (!credentials) {
    Error error = std::move(credentials).error();
    error.message += stderr_note;
    return error;
  }
  return credentials;
}

}  // namespace bedrock_lite::credentials
