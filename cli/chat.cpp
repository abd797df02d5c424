// `chat` (docs/cli.md): a conversation on a terminal. Each line typed is a user turn sent with the
// whole history through ConverseStream; the answer streams in; commands start with '/'.
// Not a terminal on stdin: one turn per line read, answers on stdout, so it scripts.
#include <bedrock_lite/converse.h>

#include <signal.h>
#include <sys/select.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "answer_output.h"
#include "cli.h"
#include "request_options.h"

namespace bedrock_lite::cli {
namespace {

using converse::ConverseRequest;

// Set by SIGINT while a chat runs on a terminal; a second one during the same answer leaves.
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) {
  if (g_interrupted != 0) {
    // Ctrl-C twice: the transfer did not stop (no byte arrived to stop it at); leave as a
    // program interrupted by the user does.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  g_interrupted = 1;
}

// While an answer is written, SA_RESTART: an interrupted write to the terminal goes on instead of
// failing and losing text. At the prompt, none: Ctrl-C interrupts the read, which starts a new
// line.
void install_interrupt_handler(bool restart) {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGINT, &action, nullptr);
}

// At the prompt: waits until stdin has a line or Ctrl-C comes; false for Ctrl-C. SIGINT stays
// blocked outside pselect(), which unblocks it atomically for the wait, so a Ctrl-C that comes
// between the prompt and the wait is not lost (a read() started after it would block, and the
// next Ctrl-C would end the program).
bool wait_for_line() {
  sigset_t blocked;
  sigset_t previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &previous);
  while (g_interrupted == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(STDIN_FILENO, &readable);
    const int ready = pselect(STDIN_FILENO + 1, &readable, nullptr, nullptr, nullptr, &previous);
    if (ready > 0 || (ready < 0 && errno != EINTR)) break;  // getline() reads or reports it
  }
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  return g_interrupted == 0;
}

void add_usage(converse::TokenUsage& total, const converse::TokenUsage& usage) {
  auto add = [](std::optional<std::int64_t>& sum, const std::optional<std::int64_t>& value) {
    if (value) sum = sum.value_or(0) + *value;
  };
  add(total.input_tokens, usage.input_tokens);
  add(total.output_tokens, usage.output_tokens);
  add(total.total_tokens, usage.total_tokens);
  add(total.cache_read_input_tokens, usage.cache_read_input_tokens);
  add(total.cache_write_input_tokens, usage.cache_write_input_tokens);
}

void note(const std::string& text) {
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

constexpr const char* kCommandHelp =
    "commands: /attach FILE, /system TEXT (empty: none), /save FILE, /load FILE, /usage, /exit; "
    "Ctrl-C stops an answer, Ctrl-D leaves";

class Chat {
 public:
  Chat(const RequestOptions& options, ConverseRequest base, converse::Client client, bool terminal)
      : options_(options), base_(std::move(base)), client_(std::move(client)), terminal_(terminal) {
    if (base_.messages) history_ = std::move(*base_.messages);
    base_.messages.reset();
  }

  void attach(std::vector<converse::ContentBlock> blocks) {
    for (auto& block : blocks) pending_.push_back(std::move(block));
  }

  // Reads and answers lines until end of input or /exit. The exit status.
  int run();

 private:
  bool command(const std::string& line);  // false: leave
  void turn(const std::string& text);
  ConverseRequest conversation() const;
  void save(const std::string& path);
  void load(const std::string& path);
  void failed(const Error& error) {
    report_failure(error);
    status_ = kExitFailure;
  }

  const RequestOptions& options_;
  ConverseRequest base_;  // every member but the messages
  converse::Client client_;
  bool terminal_;
  std::vector<converse::Message> history_;
  std::vector<converse::ContentBlock> pending_;  // attachments for the next turn
  converse::TokenUsage usage_;
  int status_ = kExitOk;
};

ConverseRequest Chat::conversation() const {
  ConverseRequest request = base_;
  request.messages = history_;
  return request;
}

void Chat::save(const std::string& path) {
  auto json = converse::to_json(conversation());
  if (!json) return failed(json.error());
  std::FILE* out = std::fopen(path.c_str(), "wb");
  bool written = out != nullptr && std::fwrite(json->data(), 1, json->size(), out) == json->size();
  if (out != nullptr && std::fclose(out) != 0) written = false;
  if (!written) {
    return failed(make_error(ErrorKind::Usage,
                             "/save: cannot write '" + path + "': " + std::strerror(errno)));
  }
  note("saved " + std::to_string(history_.size()) + " messages to " + path);
}

void Chat::load(const std::string& path) {
  auto text = read_input(path, "conversation file");
  if (!text) return failed(text.error());
  auto request = converse::parse_converse_request(*text);
  if (!request) {
    Error error = std::move(request).error();
    error.message = path + ": " + error.message;
    return failed(error);
  }
  request->model_id = base_.model_id;
  history_ = request->messages.value_or(std::vector<converse::Message>{});
  request->messages.reset();
  base_ = std::move(request).value();
  note("loaded " + std::to_string(history_.size()) + " messages from " + path);
}

bool Chat::command(const std::string& line) {
  const auto space = line.find(' ');
  const std::string name = line.substr(0, space);
  const std::string argument = space == std::string::npos ? "" : line.substr(space + 1);
  if (name == "/exit" || name == "/quit") return false;
  if (name == "/attach" && !argument.empty()) {
    auto blocks = read_attachments({argument});
    if (!blocks) {
      failed(blocks.error());
    } else {
      attach(std::move(blocks).value());
      note("attached " + argument + " to the next turn");
    }
  } else if (name == "/system") {
    if (argument.empty()) {
      base_.system.reset();
    } else {
      converse::SystemContentBlock block;
      block.text = argument;
      base_.system = std::vector<converse::SystemContentBlock>{std::move(block)};
    }
  } else if (name == "/save" && !argument.empty()) {
    save(argument);
  } else if (name == "/load" && !argument.empty()) {
    load(argument);
  } else if (name == "/usage") {
    note(usage_line(usage_) + " (" + std::to_string(history_.size()) + " messages)");
  } else if (name == "/help") {
    note(kCommandHelp);
  } else {
    failed(
        make_error(ErrorKind::Usage, "unknown chat command '" + line + "' (" + kCommandHelp + ")"));
  }
  return true;
}

void Chat::turn(const std::string& text) {
  ConverseRequest request = conversation();
  if (auto done = add_user_turn(request, pending_, text); !done) return failed(done.error());
  std::vector<converse::Message> asked = *request.messages;
  if (auto done = place_cache_points(request, options_); !done) return failed(done.error());
  AnswerPrinter printer(options_.show_reasoning);
  g_interrupted = 0;
  auto response = client_.converse_stream(request, [&](const converse::StreamEvent& event) {
    printer.on_event(event);
    return g_interrupted != 0 ? converse::StreamControl::Stop : converse::StreamControl::Continue;
  });
  printer.finish();
  const bool interrupted = g_interrupted != 0;
  g_interrupted = 0;
  if (response) {
    if (response->usage) add_usage(usage_, *response->usage);
    if (response->output.message) asked.push_back(*response->output.message);
    history_ = std::move(asked);
    pending_.clear();
    return;
  }
  if (!interrupted && response.error().kind != ErrorKind::Cancelled)
    return failed(response.error());
  // Ctrl-C: the partial answer stays in the conversation; without any, the question goes too.
  if (printer.text().empty()) {
    note("[answer interrupted before any text: the question is not kept]");
    return;
  }
  converse::ContentBlock partial;
  partial.text = printer.text();
  asked.push_back(converse::Message{"assistant", {std::move(partial)}, {}});
  history_ = std::move(asked);
  pending_.clear();
  note("[answer interrupted: the partial answer is kept]");
}

int Chat::run() {
  if (terminal_) note("chat with " + base_.model_id + "; " + kCommandHelp);
  char* buffer = nullptr;
  std::size_t capacity = 0;
  while (true) {
    errno = 0;
    ssize_t read = -1;
    if (terminal_) {
      install_interrupt_handler(false);
      std::fputs("> ", stdout);
      std::fflush(stdout);
      if (wait_for_line()) {
        read = getline(&buffer, &capacity, stdin);
      } else {
        errno = EINTR;
      }
      install_interrupt_handler(true);
    } else {
      read = getline(&buffer, &capacity, stdin);
    }
    if (read < 0) {
      if (errno == EINTR && terminal_) {
        // Ctrl-C at the prompt: the line is dropped; a new prompt.
        clearerr(stdin);
        g_interrupted = 0;
        std::fputs("\n", stdout);
        continue;
      }
      if (terminal_) std::fputs("\n", stdout);  // Ctrl-D
      break;
    }
    std::string line(buffer, static_cast<std::size_t>(read));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '/') {
      if (!command(line)) break;
    } else {
      turn(line);
    }
  }
  std::free(buffer);
  return status_;
}

}  // namespace

int run_chat(const GlobalOptions& global, const std::vector<std::string>& args) {
  RequestOptions options;
  CommandLine line;
  line.name = "chat";
  line.summary =
      "A conversation on a terminal: each line is a user turn, the answer streams in "
      "(docs/cli.md). Not a terminal: one turn per line read, answers on stdout.";
  line.options = request_option_table(RequestCommand::Chat, options);
  if (auto done = parse_command_line(line, args)) return *done;
  if (auto problem = check_request_options(options); !problem.empty()) return usage_error(problem);
  auto base = build_base_request(options);
  if (!base) return report_failure(base.error());
  auto attachments = read_attachments(options.attachments);
  if (!attachments) return report_failure(attachments.error());
  auto client = make_cli_client(global);
  if (!client) return report_failure(client.error());
  const bool terminal = isatty(STDIN_FILENO) != 0;
  if (terminal) install_interrupt_handler(true);
  Chat chat(options, std::move(base).value(), std::move(client).value(), terminal);
  chat.attach(std::move(attachments).value());
  return chat.run();
}

}  // namespace bedrock_lite::cli
