#include "tests/cli/process_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

extern char** environ;

namespace ferry::cli::test {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.starts_with("FERRY_") && !entry.starts_with("FERRY_LOG_LEVEL=")) continue;
    if (!spec.home.empty() && entry.starts_with("HOME=")) continue;
    env.push_back(entry);
  }
  if (!spec.home.empty()) env.push_back("HOME=" + spec.home);
  env.insert(env.end(), spec.env.begin(), spec.env.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Reads what is available; returns false at end of file.
bool drain(int fd, std::string& into) {
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      into.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

Child spawn(const ProcessSpec& spec) {
  std::vector<std::string> argv_strings = {spec.program};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env_strings = child_environment(spec);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(env_strings);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  Child child;
  child.pid = ::fork();
  if (child.pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  child.stdin_fd = in_pipe[1];
  child.stdout_fd = out_pipe[0];
  child.stderr_fd = err_pipe[0];
  set_nonblocking(child.stdin_fd);
  set_nonblocking(child.stdout_fd);
  set_nonblocking(child.stderr_fd);
  return child;
}

// Feeds stdin and collects stdout/stderr until both close or the deadline passes (then the
// child is killed and `timed_out` set).
void pump(Child& child, const ProcessSpec& spec, int64_t deadline_ms, ProcessResult& result) {
  size_t written = 0;
  if (spec.stdin_data.empty()) {
    ::close(child.stdin_fd);
    child.stdin_fd = -1;
  }
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    int64_t left = deadline_ms - now_ms();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(child.pid, SIGKILL);
      break;
    }
    pollfd fds[3] = {{out_open ? child.stdout_fd : -1, POLLIN, 0},
                     {err_open ? child.stderr_fd : -1, POLLIN, 0},
                     {child.stdin_fd, POLLOUT, 0}};
    ::poll(fds, 3, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (fds[0].revents != 0) out_open = drain(child.stdout_fd, result.out);
    if (fds[1].revents != 0) err_open = drain(child.stderr_fd, result.err);
    if (child.stdin_fd >= 0 && fds[2].revents != 0) {
      ssize_t n = ::write(child.stdin_fd, spec.stdin_data.data() + written,
                          spec.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = spec.stdin_data.size();
      if (written == spec.stdin_data.size()) {
        ::close(child.stdin_fd);
        child.stdin_fd = -1;
      }
    }
  }
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
  // A child that exits before reading all of stdin must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  int64_t start = now_ms();
  Child child = spawn(spec);
  ProcessResult result;
  pump(child, spec, start + spec.timeout_ms, result);
  if (child.stdin_fd >= 0) ::close(child.stdin_fd);
  ::close(child.stdout_fd);
  ::close(child.stderr_fd);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  result.elapsed_ms = now_ms() - start;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

bool valid_json_lines(const std::string& text) {
  ProcessSpec spec;
  spec.program = "/usr/bin/python3";
  spec.args = {"-c",
               "import json,sys\n"
               "lines=sys.stdin.read().splitlines()\n"
               "assert lines\n"
               "[json.loads(l) for l in lines]\n"};
  spec.stdin_data = text;
  spec.timeout_ms = 60'000;
  ProcessResult r = run_process(spec);
  if (r.exit_code != 0) std::cerr << "python3 json check failed: " << r.err;
  return r.exit_code == 0;
}

}  // namespace ferry::cli::test
