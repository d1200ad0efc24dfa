#include "core/secret_bytes.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace vtpmd {

SecretBytes::SecretBytes(std::size_t size) : data_(new std::uint8_t[size]()), size_(size) {}

SecretBytes SecretBytes::CopyFrom(ByteView data) {
  SecretBytes out(data.size());
  std::copy(data.begin(), data.end(), out.data());
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (data_ && size_ > 0) OPENSSL_cleanse(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

}  // namespace vtpmd
