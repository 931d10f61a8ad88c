#include "controller/raft/ready_loop.h"

namespace ferry::raft {

void ReadyLoop::run() {
  if (running_) return;  // a persist that completed inline re-entered through the driver
  running_ = true;
  while (!in_flight_ && node_.has_ready()) {
    in_flight_ = node_.ready();
    auto token = std::make_shared<Token>();
    token_ = token;
    driver_.persist(*in_flight_, [this, token] {
      if (token->cancelled) return;
      if (token->inside) {
        token->done = true;  // finished below, once persist() returns
        return;
      }
      finish();
      run();
    });
    token->inside = false;
    if (!token->done) break;  // persisting asynchronously: run() resumes from the callback
    finish();
  }
  running_ = false;
}

void ReadyLoop::finish() {
  Ready ready = std::move(*in_flight_);
  in_flight_.reset();
  token_.reset();
  // Raft's ordering: persisted (above) -> send -> apply -> advance.
  if (!ready.messages.empty()) driver_.send(std::move(ready.messages));
  driver_.apply(ready);
  node_.advance();
  driver_.advanced(ready);
}

}  // namespace ferry::raft
