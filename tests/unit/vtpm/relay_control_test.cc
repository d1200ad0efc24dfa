// The swtpm control channel through the relay, used the way QEMU uses it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>

#include "tests/unit/vtpm/relay_test_support.h"
#include "vtpm/relay/control_protocol.h"

namespace vtpmd::vtpm {
namespace {

using namespace swtpm_ctrl;
using testing::Client;
using testing::Hub;
using testing::ControlRequest;
using testing::RelayedTpm;

std::uint32_t U32At(ByteView bytes, std::size_t offset) {
  if (bytes.size() < offset + 4) return 0xFFFFFFFF;
  return static_cast<std::uint32_t>(bytes[offset]) << 24 | static_cast<std::uint32_t>(bytes[offset + 1]) << 16 |
         static_cast<std::uint32_t>(bytes[offset + 2]) << 8 | bytes[offset + 3];
}

Bytes Be32(std::uint32_t v) {
  return ControlRequest(v);
}

// Sends CMD_SET_DATAFD with `fd` attached, as QEMU's tpm_emulator does.
bool SendSetDataFd(int control, int fd) {
  Bytes request = ControlRequest(kSetDataFd);
  iovec iov{.iov_base = request.data(), .iov_len = request.size()};
  alignas(cmsghdr) char buffer[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buffer;
  msg.msg_controllen = sizeof(buffer);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return ::sendmsg(control, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
}

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ours = UniqueFd(fds[0]);
    theirs = UniqueFd(fds[1]);
  }
  UniqueFd ours;
  UniqueFd theirs;
};

TEST(RelayControlTest, SetDataFdCarriesTpmCommandsLikeQemu) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client control = Client::Connect(tpm.control_path());
  SocketPair pair;
  ASSERT_TRUE(SendSetDataFd(control.fd(), pair.theirs.get()));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  pair.theirs.Reset();  // QEMU closes its copy too

  Client data(std::move(pair.ours));
  for (std::uint16_t n : {std::uint16_t{8}, std::uint16_t{16}, std::uint16_t{32}}) {
    EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(n))).size(), n);
  }
  EXPECT_TRUE(tpm.relay().Stats().guest_data_attached);
  // The data channel is taken: tpm.sock is refused while it lasts.
  Client other = Client::Connect(tpm.socket_path());
  EXPECT_TRUE(other.ClosedByPeer());
}

TEST(RelayControlTest, QemuStartupSequence) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client control = Client::Connect(tpm.control_path());
  SocketPair pair;
  ASSERT_TRUE(SendSetDataFd(control.fd(), pair.theirs.get()));
  ASSERT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  Client data(std::move(pair.ours));

  // Capabilities: QEMU needs these for a TPM 2; state blobs are not offered.
  ASSERT_TRUE(control.Send(ControlRequest(kGetCapability)));
  const Bytes caps = control.ReadExactly(8);
  const std::uint64_t bits = static_cast<std::uint64_t>(U32At(caps, 0)) << 32 | U32At(caps, 4);
  const std::uint64_t needed = kCapInit | kCapShutdown | kCapGetTpmEstablished | kCapSetLocality |
                               kCapResetTpmEstablished | kCapSetDataFd | kCapStop | kCapSetBufferSize;
  EXPECT_EQ(bits & needed, needed);
  EXPECT_EQ(bits & ((1U << 8) | (1U << 9)), 0U);  // PTM_CAP_GET/SET_STATEBLOB

  // set_buffer_size: STOP, SET_BUFFERSIZE, then INIT (QEMU pads bodies to the union size).
  ASSERT_TRUE(control.Send(ControlRequest(kStop)));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  ASSERT_TRUE(control.Send(ControlRequest(kSetBufferSize, Be32(3968))));
  const Bytes sizes = control.ReadExactly(16);
  EXPECT_EQ(U32At(sizes, 0), kSuccess);
  EXPECT_EQ(U32At(sizes, 4), 3968U);
  ASSERT_TRUE(control.Send(ControlRequest(kInit, Be32(0))));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);

  ASSERT_TRUE(control.Send(ControlRequest(kSetLocality, Bytes{0, 0, 0, 0})));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  ASSERT_TRUE(control.Send(ControlRequest(kGetTpmEstablished)));
  EXPECT_EQ(U32At(control.ReadExactly(8), 0), kSuccess);

  // After INIT the TPM wants TPM2_Startup, as the firmware would send it.
  const Bytes startup = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0};
  EXPECT_EQ(testing::ResponseCode(data.Exchange(startup)), 0U);
  EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(16))).size(), 16U);

  // QEMU's exit: CMD_SHUTDOWN is acknowledged but swtpm keeps running.
  ASSERT_TRUE(control.Send(ControlRequest(kShutdown)));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  EXPECT_TRUE(tpm.swtpm().Alive());
  auto random = tpm.relay().Transmit(testing::GetRandomCommand(8));
  ASSERT_TRUE(random.ok()) << random.error().message();
  EXPECT_EQ(testing::RandomBytes(*random).size(), 8U);
}

TEST(RelayControlTest, Tpm2TssSetLocalityWithOneByteBody) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client control = Client::Connect(tpm.control_path());
  ASSERT_TRUE(control.Send(ControlRequest(kSetLocality, Bytes{2})));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  ASSERT_TRUE(control.Send(ControlRequest(kSetLocality, Bytes{0})));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  EXPECT_EQ(tpm.relay().Stats().control_forwarded, 2U);
}

TEST(RelayControlTest, WhatWouldBypassTheRelayIsRefused) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client control = Client::Connect(tpm.control_path());
  ASSERT_TRUE(control.Send(ControlRequest(kSetLocality, Bytes{4})));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadLocality);
  ASSERT_TRUE(control.Send(ControlRequest(kGetStateBlob, Bytes(12))));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadOrdinal);
  ASSERT_TRUE(control.Send(ControlRequest(kStoreVolatile)));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadOrdinal);
  ASSERT_TRUE(control.Send(ControlRequest(kCancelTpmCmd)));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kFail);
  // SET_DATAFD without a descriptor, or with one that is not a socket.
  ASSERT_TRUE(control.Send(ControlRequest(kSetDataFd)));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadParameter);
  UniqueFd file(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(SendSetDataFd(control.fd(), file.get()));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadParameter);
  EXPECT_FALSE(tpm.relay().Stats().guest_data_attached);
  // The connection survived all of that.
  ASSERT_TRUE(control.Send(ControlRequest(kGetConfig)));
  EXPECT_EQ(U32At(control.ReadExactly(8), 0), kSuccess);
  const RelayStats stats = tpm.relay().Stats();
  EXPECT_EQ(stats.control_refused, 6U);
  EXPECT_EQ(stats.control_forwarded, 1U);
}

TEST(RelayControlTest, UnknownCommandIsRefusedAndClosed) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  for (std::uint32_t code : {0x99U, kSetStateBlob, kHashData}) {
    Client control = Client::Connect(tpm.control_path());
    ASSERT_TRUE(control.Send(ControlRequest(code, Bytes(12, 0xFF))));
    EXPECT_EQ(U32At(control.ReadExactly(4), 0), kBadOrdinal) << code;
    EXPECT_TRUE(control.ClosedByPeer()) << code;
  }
  Client control = Client::Connect(tpm.control_path());
  ASSERT_TRUE(control.Send(ControlRequest(kGetCapability)));
  EXPECT_EQ(control.ReadExactly(8).size(), 8U);
}

TEST(RelayControlTest, SecondDataFdIsRefusedWhileTheFirstIsOpen) {
  RelayedTpm tpm(Hub());
  ASSERT_TRUE(tpm.ready());
  Client control = Client::Connect(tpm.control_path());
  SocketPair first;
  ASSERT_TRUE(SendSetDataFd(control.fd(), first.theirs.get()));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  first.theirs.Reset();
  SocketPair second;
  ASSERT_TRUE(SendSetDataFd(control.fd(), second.theirs.get()));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kIoError);
  // Once the first holder hangs up (QEMU restarted), a new descriptor is taken.
  first.ours.Reset();
  SocketPair third;
  ASSERT_TRUE(SendSetDataFd(control.fd(), third.theirs.get()));
  EXPECT_EQ(U32At(control.ReadExactly(4), 0), kSuccess);
  third.theirs.Reset();
  Client data(std::move(third.ours));
  EXPECT_EQ(testing::RandomBytes(data.Exchange(testing::GetRandomCommand(8))).size(), 8U);
}

}  // namespace
}  // namespace vtpmd::vtpm
