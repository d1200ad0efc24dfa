#include "policy/pcr_values_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/pcr_selection.h"

namespace vtpmd::policy {
namespace {

using boost::json::error_code;
using boost::json::string_view;

Result<unsigned> ParsePcrIndex(std::string_view text) {
  if (text.empty() || text.size() > 2 || (text.size() == 2 && text[0] == '0')) {
    return InvalidArgument("bad PCR index '" + std::string(text) + "'");
  }
  unsigned index = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return InvalidArgument("bad PCR index '" + std::string(text) + "'");
    index = index * 10 + static_cast<unsigned>(c - '0');
  }
  if (index >= tpm::kPcrCount) return InvalidArgument("PCR index " + std::to_string(index) + " out of range 0-23");
  return index;
}

// Receives the parser's events and accepts exactly one shape: an object of banks,
// each an object of PCR values. The object is built as the events arrive, so a
// duplicate key is seen (a DOM would silently keep one of the two).
class PcrValuesHandler {
 public:
  static constexpr std::size_t max_object_size = tpm::kPcrCount;
  static constexpr std::size_t max_array_size = 0;
  static constexpr std::size_t max_key_size = 8;
  static constexpr std::size_t max_string_size = 2 * 64;  // a SHA-512 digest in hex

  PcrValues& values() { return values_; }
  const std::string& problem() const { return problem_; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code& ec) { return Refuse(ec, "arrays are not allowed"); }
  bool on_array_end(std::size_t, error_code& ec) { return Refuse(ec, "arrays are not allowed"); }

  bool on_object_begin(error_code& ec) {
    if (depth_ == 0 || (depth_ == 1 && bank_)) {
      ++depth_;
      return true;
    }
    return Refuse(ec, depth_ == 1 ? "a bank must be an object" : "a PCR value must be a hex string");
  }

  bool on_object_end(std::size_t size, error_code& ec) {
    if (depth_ == 2 && size == 0) return Refuse(ec, "bank " + std::string(HashAlgName(*bank_)) + " has no PCRs");
    --depth_;
    bank_.reset();
    return true;
  }

  bool on_key_part(string_view part, std::size_t, error_code&) {
    text_.append(part.data(), part.size());
    return true;
  }

  bool on_key(string_view part, std::size_t, error_code& ec) {
    text_.append(part.data(), part.size());
    const std::string key = std::exchange(text_, {});
    return depth_ == 1 ? OnBank(key, ec) : OnPcr(key, ec);
  }

  bool on_string_part(string_view part, std::size_t, error_code&) {
    text_.append(part.data(), part.size());
    return true;
  }

  bool on_string(string_view part, std::size_t, error_code& ec) {
    text_.append(part.data(), part.size());
    const std::string text = std::exchange(text_, {});
    if (depth_ != 2) return RefuseScalar(ec);
    auto value = HexDecode(text);
    if (!value.ok() || value->size() != DigestSize(*bank_)) {
      return Refuse(ec, "PCR " + std::to_string(pcr_) + " of bank " + std::string(HashAlgName(*bank_)) +
                            " is not a hex " + std::string(HashAlgName(*bank_)) + " digest");
    }
    values_[*bank_][pcr_] = std::move(*value);
    return true;
  }

  bool on_number_part(string_view, error_code& ec) { return RefuseScalar(ec); }
  bool on_int64(std::int64_t, string_view, error_code& ec) { return RefuseScalar(ec); }
  bool on_uint64(std::uint64_t, string_view, error_code& ec) { return RefuseScalar(ec); }
  bool on_double(double, string_view, error_code& ec) { return RefuseScalar(ec); }
  bool on_bool(bool, error_code& ec) { return RefuseScalar(ec); }
  bool on_null(error_code& ec) { return RefuseScalar(ec); }
  bool on_comment_part(string_view, error_code& ec) { return Refuse(ec, "comments are not allowed"); }
  bool on_comment(string_view, error_code& ec) { return Refuse(ec, "comments are not allowed"); }

 private:
  bool OnBank(const std::string& name, error_code& ec) {
    auto alg = HashAlgFromName(name);
    if (!alg.ok()) return Refuse(ec, "unknown PCR bank '" + name + "'");
    if (values_.contains(*alg)) return Refuse(ec, "bank " + name + " given twice");
    bank_ = *alg;
    return true;
  }

  bool OnPcr(const std::string& key, error_code& ec) {
    auto index = ParsePcrIndex(key);
    if (!index.ok()) return Refuse(ec, index.error().message());
    const auto bank = values_.find(*bank_);
    if (bank != values_.end() && bank->second.contains(*index)) {
      return Refuse(ec, "PCR " + key + " of bank " + std::string(HashAlgName(*bank_)) + " given twice");
    }
    pcr_ = *index;
    return true;
  }

  bool RefuseScalar(error_code& ec) {
    if (depth_ == 2) return Refuse(ec, "a PCR value must be a hex string");
    return Refuse(ec, depth_ == 1 ? "a bank must be an object" : "expected an object of banks");
  }

  bool Refuse(error_code& ec, std::string problem) {
    problem_ = std::move(problem);
    ec = boost::json::error::syntax;
    return false;
  }

  int depth_ = 0;
  std::optional<HashAlg> bank_;  // the bank whose object is open or about to open
  unsigned pcr_ = 0;             // the PCR whose value comes next
  std::string text_;             // a key or string arriving in parts
  PcrValues values_;
  std::string problem_;
};

}  // namespace

Result<PcrValues> ParsePcrValuesJson(std::string_view json) {
  if (json.size() > kMaxPcrValuesJsonSize) return InvalidArgument("PCR values JSON is too large");
  boost::json::basic_parser<PcrValuesHandler> parser{boost::json::parse_options{}};
  error_code ec;
  const std::size_t consumed = parser.write_some(false, json.data(), json.size(), ec);
  if (ec || !parser.done() || consumed != json.size()) {
    const std::string& problem = parser.handler().problem();
    return InvalidArgument("PCR values JSON: " + (problem.empty() ? ec.message() : problem));
  }
  return std::move(parser.handler().values());
}

}  // namespace vtpmd::policy
