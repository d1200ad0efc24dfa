#pragma once
// A response body produced over time (Server-Sent Events): the handler answers with
// an HttpResponse carrying a ResponseStream, keeps the stream, and pushes bytes into
// it from any thread for as long as it stays open. The transport sends the head
// without Content-Length, forwards the bytes in order, and ends the connection with
// the stream. Boost-free: the transport's side is a wake callback and two calls.
//
// The bytes queued and not yet written are bounded: a client that reads slower than
// the producer writes is dropped, never buffered for without limit.

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace vtpmd::http {

class ResponseStream {
 public:
  enum class Closure {
    kOpen,
    kEnded,          // the producer is done: the queued bytes are written, then the connection ends
    kOverflow,       // a push would have exceeded the bound: the client is dropped
    kClientGone,     // the connection failed or the client closed it
    kServerClosing,  // drain, shutdown, or the client's token was revoked or expired
  };

  explicit ResponseStream(std::size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {}
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // --- Producer side, any thread.

  // Queues `bytes` for the client. False once the stream is closed, which includes
  // this push taking the queue past its bound (the stream then closes: kOverflow).
  bool Push(std::string_view bytes);
  // No more bytes; the connection ends once the queued ones are written.
  void End();
  bool closed() const;
  // Bytes pushed and not yet written to the client: a producer replaying a backlog
  // paces itself by it, so that only live traffic can overflow the bound.
  std::size_t unwritten() const;
  // Runs once, when the stream closes for any reason (End() included), on the
  // closing thread and outside the stream's lock; at once if it is already closed.
  // It must not block: it may run on an I/O thread.
  void OnClose(std::function<void()> callback);

  // --- Transport side.

  // `wake` is called (under the stream's lock, so it must only post) when bytes are
  // queued into an empty queue and when the stream closes. Detach() guarantees that
  // no call is running or will follow.
  void Attach(std::function<void()> wake);
  void Detach();
  struct Pending {
    std::string bytes;  // to write now; they count against the bound until Written()
    Closure closure;
  };
  Pending Take();
  Closure closure() const;
  void Written(std::size_t bytes);
  // Closes with `why` unless already closed; returns whether this call closed it.
  bool Close(Closure why);

 private:
  // Under mu_; returns the close callback to run once the lock is released.
  std::function<void()> CloseLocked(Closure why);

  const std::size_t max_queued_bytes_;
  mutable std::mutex mu_;
  std::string queued_;            // pushed, not yet taken
  std::size_t unwritten_ = 0;     // queued_ plus taken but not yet written
  bool wake_outstanding_ = false;  // a wake was sent and no Take() followed yet
  Closure closure_ = Closure::kOpen;
  std::function<void()> wake_;
  std::function<void()> on_close_;
};

}  // namespace vtpmd::http
