// The relay's framing and control-channel policy as pure functions.

#include <gtest/gtest.h>

#include <algorithm>

#include "vtpm/relay/control_protocol.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {
namespace {

using namespace swtpm_ctrl;

Bytes U32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(TpmFrameTest, ParsesHeaderAndRefusesShortInput) {
  const Bytes command = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8};
  auto header = ParseTpmHeader(command);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->tag, 0x8001);
  EXPECT_EQ(header->size, 12U);
  EXPECT_EQ(header->code, 0x17BU);
  EXPECT_FALSE(ParseTpmHeader(ByteView(command).first(9)).ok());
}

TEST(TpmFrameTest, ErrorResponseTagFollowsTheRequestFamily) {
  EXPECT_EQ(TpmErrorResponse(0x8001, kTpmRcCommandSize), (Bytes{0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x42}));
  EXPECT_EQ(TpmErrorResponse(0x1234, kTpmRcBadTag), (Bytes{0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0x1E}));
  // TPM 1.2 request: TPM 1.2 response tag, which QEMU's version probe relies on.
  EXPECT_EQ(TpmErrorResponse(0x00C1, kTpmRcBadTag), (Bytes{0x00, 0xC4, 0, 0, 0, 10, 0, 0, 0, 0x1E}));
}

TEST(TpmFrameTest, WholeCommandMustMatchItsSizeField) {
  const Bytes command = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8};
  EXPECT_TRUE(CheckWholeCommand(command, 4096).ok());
  EXPECT_FALSE(CheckWholeCommand(ByteView(command).first(11), 4096).ok());
  EXPECT_FALSE(CheckWholeCommand(command, 11).ok());
  Bytes bad_tag = command;
  bad_tag[1] = 0x03;
  EXPECT_FALSE(CheckWholeCommand(bad_tag, 4096).ok());
}

// Feeds `bytes` into the stream as one read would deliver them.
void Arrive(TpmCommandStream& stream, ByteView bytes) {
  std::span<std::uint8_t> space = stream.Space(bytes.size());
  std::copy(bytes.begin(), bytes.end(), space.begin());
  stream.Received(bytes.size());
}

using NextKind = TpmCommandStream::Next::Kind;

TEST(TpmCommandStreamTest, ReadsAheadForAWholeCommandInOneRead) {
  TpmCommandStream stream(4096);
  EXPECT_TRUE(stream.empty());
  const TpmCommandStream::Next next = stream.Examine();
  EXPECT_EQ(next.kind, NextKind::kNeedBytes);
  EXPECT_EQ(next.room, TpmCommandStream::kReadAhead);
  // Never more than the limit, even before the size field is known.
  EXPECT_EQ(TpmCommandStream(64).Examine().room, 64U);
}

TEST(TpmCommandStreamTest, CommandSplitAcrossReadsIsAssembled) {
  const Bytes command = {0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x7B, 0, 8, 0xAA, 0xBB};
  TpmCommandStream stream(4096);
  Arrive(stream, ByteView(command).first(3));  // mid-header
  EXPECT_EQ(stream.Examine().kind, NextKind::kNeedBytes);
  EXPECT_EQ(stream.Examine().room, TpmCommandStream::kReadAhead - 3);
  Arrive(stream, ByteView(command).subspan(3, 9));  // header and part of the body
  // The size is known now: exactly the rest of this command.
  EXPECT_EQ(stream.Examine().kind, NextKind::kNeedBytes);
  EXPECT_EQ(stream.Examine().room, 2U);
  Arrive(stream, ByteView(command).subspan(12));
  ASSERT_EQ(stream.Examine().kind, NextKind::kCommand);
  EXPECT_EQ(stream.TakeCommand(), command);
  EXPECT_TRUE(stream.empty());
}

TEST(TpmCommandStreamTest, CommandsSentAheadComeOutOneAtATime) {
  const Bytes first = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8};
  const Bytes second = {0x80, 0x02, 0, 0, 0, 11, 0, 0, 0x01, 0x7E, 7};
  const Bytes bad_tag = {0x12, 0x34, 0, 0, 0, 10, 0, 0, 0, 1};
  const Bytes third_head = {0x80, 0x01, 0, 0, 0, 12, 0};
  TpmCommandStream stream(4096);
  Arrive(stream, Concat({first, second, bad_tag, third_head}));
  ASSERT_EQ(stream.Examine().kind, NextKind::kCommand);
  EXPECT_EQ(stream.TakeCommand(), first);
  ASSERT_EQ(stream.Examine().kind, NextKind::kCommand);
  EXPECT_EQ(stream.TakeCommand(), second);
  // A bad tag is refused without losing the stream: what follows still counts.
  const TpmCommandStream::Next refused = stream.Examine();
  ASSERT_EQ(refused.kind, NextKind::kRefuse);
  EXPECT_EQ(refused.tag, 0x1234);
  EXPECT_EQ(refused.rc, kTpmRcBadTag);
  EXPECT_FALSE(refused.then_close);
  stream.SkipCommand();
  const TpmCommandStream::Next rest = stream.Examine();
  ASSERT_EQ(rest.kind, NextKind::kNeedBytes);
  EXPECT_EQ(rest.room, TpmCommandStream::kReadAhead - third_head.size());
  Arrive(stream, Bytes{0, 0, 0x01, 0x7B, 0});
  EXPECT_EQ(stream.Examine().room, 12U - third_head.size() - 5);
}

TEST(TpmCommandStreamTest, ImpossibleSizesEndTheStream) {
  for (const std::uint8_t size : {std::uint8_t{4}, std::uint8_t{65}}) {
    TpmCommandStream stream(64);
    Arrive(stream, Bytes{0x80, 0x01, 0, 0, 0, size, 0, 0, 0x01, 0x7B});
    const TpmCommandStream::Next next = stream.Examine();
    ASSERT_EQ(next.kind, NextKind::kRefuse) << int{size};
    EXPECT_EQ(next.rc, kTpmRcCommandSize);
    EXPECT_EQ(next.tag, 0x8001);
    EXPECT_TRUE(next.then_close);
  }
}

TEST(ControlProtocolTest, UnknownAndUnframeableCommandsHaveNoEntry) {
  EXPECT_EQ(FindControlCommand(0x99), nullptr);
  EXPECT_EQ(FindControlCommand(kHashData), nullptr);
  EXPECT_EQ(FindControlCommand(kSetStateBlob), nullptr);
  ASSERT_NE(FindControlCommand(kSetDataFd), nullptr);
  EXPECT_EQ(FindControlCommand(kSetDataFd)->handling, ControlHandling::kSetDataFd);
}

TEST(ControlProtocolTest, PolicyAnswersWhatMustNotReachSwtpm) {
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kShutdown), {}), kSuccess);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kCancelTpmCmd), {}), kFail);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kGetStateBlob), Bytes(12)), kBadOrdinal);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kStoreVolatile), {}), kBadOrdinal);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kInit), Bytes(4)), std::nullopt);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kStop), {}), std::nullopt);
}

TEST(ControlProtocolTest, LocalityFourIsRefused) {
  const ControlCommand& set_locality = *FindControlCommand(kSetLocality);
  EXPECT_EQ(LocalAnswer(set_locality, Bytes{3}), std::nullopt);
  EXPECT_EQ(LocalAnswer(set_locality, Bytes{0, 0, 0, 0}), std::nullopt);  // QEMU's padded form
  EXPECT_EQ(LocalAnswer(set_locality, Bytes{4}), kBadLocality);
  EXPECT_EQ(LocalAnswer(*FindControlCommand(kResetTpmEstablished), Bytes{4, 0, 0, 0}), kBadLocality);
}

TEST(ControlProtocolTest, CapabilitiesAreFilteredToWhatTheRelayPasses) {
  const ControlCommand& caps = *FindControlCommand(kGetCapability);
  // swtpm 0.7 offers 0xffff: everything up to GET_INFO and the command header.
  auto filtered = GuestControlResponse(caps, Bytes{0, 0, 0, 0, 0, 0, 0xff, 0xff}, 4096);
  ASSERT_TRUE(filtered.ok());
  const std::uint64_t expected = kCapInit | kCapShutdown | kCapGetTpmEstablished | kCapSetLocality |
                                 kCapResetTpmEstablished | kCapStop | kCapGetConfig | kCapSetDataFd | kCapSetBufferSize;
  EXPECT_EQ(*filtered, Concat({U32(0), U32(static_cast<std::uint32_t>(expected))}));
  EXPECT_FALSE(GuestControlResponse(caps, Bytes(7), 4096).ok());
}

TEST(ControlProtocolTest, BufferSizeIsClampedBothWays) {
  const ControlCommand& set_size = *FindControlCommand(kSetBufferSize);
  EXPECT_EQ(BackendControlRequest(set_size, U32(8192), 3000), Concat({U32(kSetBufferSize), U32(3000)}));
  EXPECT_EQ(BackendControlRequest(set_size, U32(0), 3000), Concat({U32(kSetBufferSize), U32(0)}));
  auto response = GuestControlResponse(set_size, Concat({U32(0), U32(4096), U32(2808), U32(4096)}), 3000);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(*response, Concat({U32(0), U32(3000), U32(2808), U32(3000)}));
  // A failed answer is the bare result and passes unchanged.
  response = GuestControlResponse(set_size, U32(kBadOrdinal), 3000);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(*response, U32(kBadOrdinal));
}

TEST(ControlProtocolTest, ResponseCompletenessDependsOnTheResult) {
  const ControlCommand& established = *FindControlCommand(kGetTpmEstablished);
  EXPECT_FALSE(ControlResponseComplete(established, Bytes(3)));
  EXPECT_FALSE(ControlResponseComplete(established, Bytes(4)));  // success so far: 8 bytes due
  EXPECT_TRUE(ControlResponseComplete(established, Bytes(8)));
  EXPECT_TRUE(ControlResponseComplete(established, U32(kBadOrdinal)));  // failures are 4 bytes
  const ControlCommand& caps = *FindControlCommand(kGetCapability);
  EXPECT_FALSE(ControlResponseComplete(caps, Bytes{0, 0, 0, 1}));  // no result code: always 8
  EXPECT_TRUE(ControlResponseComplete(caps, Bytes(8)));
}

}  // namespace
}  // namespace vtpmd::vtpm
