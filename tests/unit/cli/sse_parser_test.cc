#include "server/cli/sse_parser.h"

#include <gtest/gtest.h>

namespace vtpmd::cli {
namespace {

TEST(SseParser, ParsesTheServersFrames) {
  SseParser parser;
  auto events = parser.Feed("retry: 2000\n\nid: 7\nevent: policy.deleted\ndata: {\"seq\":7}\n\n: heartbeat\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "policy.deleted");
  EXPECT_EQ(events[0].data, "{\"seq\":7}");
  EXPECT_EQ(parser.retry_ms(), 2000u);
  EXPECT_EQ(parser.last_event_id(), "7");
}

TEST(SseParser, AnySplitOfTheBytesGivesTheSameEvents) {
  const std::string text = "id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\rdata: y\r\rdata: z\n\n";
  SseParser whole;
  const auto expected = whole.Feed(text);
  ASSERT_EQ(expected.size(), 3u);
  for (std::size_t split = 0; split <= text.size(); ++split) {
    SseParser parser;
    auto events = parser.Feed(std::string_view(text).substr(0, split));
    auto rest = parser.Feed(std::string_view(text).substr(split));
    events.insert(events.end(), rest.begin(), rest.end());
    ASSERT_EQ(events.size(), expected.size()) << "split at " << split;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].id, expected[i].id);
      EXPECT_EQ(events[i].event, expected[i].event);
      EXPECT_EQ(events[i].data, expected[i].data);
    }
  }
  EXPECT_EQ(expected[1].id, "2");
  EXPECT_EQ(expected[1].event, "message");
  EXPECT_EQ(expected[2].id, "2") << "the last id carries over to events without one";
}

TEST(SseParser, JoinsDataLinesAndKeepsSpacesAfterTheFirst) {
  SseParser parser;
  auto events = parser.Feed("data:one\ndata:  two\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "one\n two\n");
}

TEST(SseParser, CommentsAndDatalessEventsDispatchNothing) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed(": heartbeat\n\nevent: lonely\n\nid: 5\n\n").empty());
  EXPECT_EQ(parser.last_event_id(), "5");
  auto events = parser.Feed("data: after\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message") << "the type does not outlive its event";
}

TEST(SseParser, AnIncompleteEventWaitsForItsBlankLine) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("id: 3\ndata: partial\n").empty());
  EXPECT_EQ(parser.Feed("\n").size(), 1u);
}

TEST(SseParser, IgnoresMalformedRetry) {
  SseParser parser;
  parser.Feed("retry: soon\nretry: -5\nretry: 12x\n\n");
  EXPECT_FALSE(parser.retry_ms().has_value());
}

TEST(SseParser, FailsOnAnOverlongLine) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("data: " + std::string(SseParser::kMaxEventBytes, 'a')).empty());
  EXPECT_TRUE(parser.failed());
  EXPECT_TRUE(parser.Feed("\n\ndata: x\n\n").empty());
}

TEST(SseParser, FailsOnAnOverlongEvent) {
  SseParser parser;
  const std::string line = "data: " + std::string(1000, 'a') + "\n";
  std::string many;
  while (many.size() <= 2 * SseParser::kMaxEventBytes) many += line;
  EXPECT_TRUE(parser.Feed(many).empty());
  EXPECT_TRUE(parser.failed());
}

}  // namespace
}  // namespace vtpmd::cli
