#pragma once
// Key material lives only in SecretBytes: move-only, never copied implicitly,
// wiped with OPENSSL_cleanse when it goes away, never printed.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/bytes.h"

namespace vtpmd {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  // Copies `data` in; the caller wipes its own copy.
  static SecretBytes CopyFrom(ByteView data);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  SecretBytes Clone() const { return CopyFrom(view()); }

  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_.get(), size_}; }
  std::span<std::uint8_t> mutable_view() { return {data_.get(), size_}; }

 private:
  void Wipe();

  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

}  // namespace vtpmd
