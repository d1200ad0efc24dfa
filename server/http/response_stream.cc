#include "server/http/response_stream.h"

#include <algorithm>
#include <utility>

namespace vtpmd::http {

bool ResponseStream::Push(std::string_view bytes) {
  std::function<void()> on_close;
  {
    std::lock_guard lock(mu_);
    if (closure_ != Closure::kOpen) return false;
    if (bytes.size() > max_queued_bytes_ - std::min(unwritten_, max_queued_bytes_)) {
      on_close = CloseLocked(Closure::kOverflow);
    } else {
      queued_.append(bytes);
      unwritten_ += bytes.size();
      if (!wake_outstanding_ && wake_) {
        wake_outstanding_ = true;
        wake_();
      }
      return true;
    }
  }
  if (on_close) on_close();
  return false;
}

void ResponseStream::End() { Close(Closure::kEnded); }

bool ResponseStream::closed() const { return closure() != Closure::kOpen; }

std::size_t ResponseStream::unwritten() const {
  std::lock_guard lock(mu_);
  return unwritten_;
}

ResponseStream::Closure ResponseStream::closure() const {
  std::lock_guard lock(mu_);
  return closure_;
}

void ResponseStream::OnClose(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (closure_ == Closure::kOpen) {
      on_close_ = std::move(callback);
      return;
    }
  }
  callback();
}

void ResponseStream::Attach(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void ResponseStream::Detach() {
  std::lock_guard lock(mu_);
  wake_ = nullptr;
}

ResponseStream::Pending ResponseStream::Take() {
  std::lock_guard lock(mu_);
  wake_outstanding_ = false;
  return {std::exchange(queued_, std::string()), closure_};
}

void ResponseStream::Written(std::size_t bytes) {
  std::lock_guard lock(mu_);
  unwritten_ -= std::min(bytes, unwritten_);
}

bool ResponseStream::Close(Closure why) {
  std::function<void()> on_close;
  {
    std::lock_guard lock(mu_);
    if (closure_ != Closure::kOpen) return false;
    on_close = CloseLocked(why);
  }
  if (on_close) on_close();
  return true;
}

std::function<void()> ResponseStream::CloseLocked(Closure why) {
  closure_ = why;
  // Only a producer's own end is flushed; every other closure drops the client.
  if (why != Closure::kEnded) queued_.clear();
  if (wake_) wake_();
  return std::exchange(on_close_, nullptr);
}

}  // namespace vtpmd::http
