#include "server/http/response_stream.h"

#include <gtest/gtest.h>

namespace vtpmd::http {
namespace {

using Closure = ResponseStream::Closure;

TEST(ResponseStream, QueuesPushesInOrderUntilTaken) {
  ResponseStream stream(100);
  EXPECT_TRUE(stream.Push("ab"));
  EXPECT_TRUE(stream.Push("cd"));
  ResponseStream::Pending pending = stream.Take();
  EXPECT_EQ(pending.bytes, "abcd");
  EXPECT_EQ(pending.closure, Closure::kOpen);
  EXPECT_EQ(stream.Take().bytes, "");
}

TEST(ResponseStream, TakenBytesCountAgainstTheBoundUntilWritten) {
  ResponseStream stream(4);
  EXPECT_TRUE(stream.Push("abc"));
  EXPECT_EQ(stream.Take().bytes, "abc");
  EXPECT_TRUE(stream.Push("d"));
  stream.Written(3);
  EXPECT_TRUE(stream.Push("efg"));
  EXPECT_FALSE(stream.closed());
}

TEST(ResponseStream, APushBeyondTheBoundClosesTheStream) {
  ResponseStream stream(4);
  int closes = 0;
  stream.OnClose([&closes] { ++closes; });
  EXPECT_TRUE(stream.Push("abc"));
  EXPECT_FALSE(stream.Push("de"));
  EXPECT_EQ(stream.closure(), Closure::kOverflow);
  EXPECT_EQ(stream.Take().bytes, "") << "a dropped client gets nothing more";
  EXPECT_FALSE(stream.Push("f"));
  EXPECT_EQ(closes, 1);
}

TEST(ResponseStream, EndKeepsTheQueuedBytesForTheClient) {
  ResponseStream stream(100);
  EXPECT_TRUE(stream.Push("last words"));
  stream.End();
  ResponseStream::Pending pending = stream.Take();
  EXPECT_EQ(pending.bytes, "last words");
  EXPECT_EQ(pending.closure, Closure::kEnded);
}

TEST(ResponseStream, WakesOncePerTakeAndOnClose) {
  ResponseStream stream(100);
  int wakes = 0;
  stream.Attach([&wakes] { ++wakes; });
  EXPECT_TRUE(stream.Push("a"));
  EXPECT_TRUE(stream.Push("b"));
  EXPECT_EQ(wakes, 1);
  stream.Take();
  EXPECT_TRUE(stream.Push("c"));
  EXPECT_EQ(wakes, 2);
  EXPECT_TRUE(stream.Close(Closure::kClientGone));
  EXPECT_EQ(wakes, 3);
  EXPECT_FALSE(stream.Close(Closure::kServerClosing)) << "the first closure is the one that counts";
  EXPECT_EQ(stream.closure(), Closure::kClientGone);
  stream.Detach();
  EXPECT_FALSE(stream.Push("d"));
  EXPECT_EQ(wakes, 3);
}

TEST(ResponseStream, OnCloseOfAClosedStreamRunsAtOnce) {
  ResponseStream stream(100);
  stream.End();
  bool ran = false;
  stream.OnClose([&ran] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace vtpmd::http
