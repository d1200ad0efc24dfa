#include "schema/schema.h"

#include <charconv>
#include <cstdlib>
#include <utility>
#include <vector>

namespace vtpmd::schema_files {
extern const std::pair<std::string_view, std::string_view> kMigrationFiles[];
extern const std::size_t kMigrationFiles_count;
extern const std::pair<std::string_view, std::string_view> kApiFiles[];
extern const std::size_t kApiFiles_count;
}  // namespace vtpmd::schema_files

namespace vtpmd::schema {
namespace {

std::vector<Migration> ParseMigrationFiles() {
  std::vector<Migration> out;
  for (std::size_t i = 0; i < schema_files::kMigrationFiles_count; ++i) {
    const auto& [file_name, sql] = schema_files::kMigrationFiles[i];
    int version = 0;
    const auto [end, ec] = std::from_chars(file_name.data(), file_name.data() + file_name.size(), version);
    // A misnamed migration is a build defect; refuse to run rather than skip it.
    if (ec != std::errc() || end == file_name.data() || *end != '_') std::abort();
    std::string_view name = file_name.substr(static_cast<std::size_t>(end - file_name.data()) + 1);
    if (name.ends_with(".sql")) name.remove_suffix(4);
    out.push_back({version, name, sql});
  }
  return out;
}

}  // namespace

std::span<const Migration> Migrations() {
  static const std::vector<Migration> migrations = ParseMigrationFiles();
  return migrations;
}

std::string_view OpenApiJson() { return schema_files::kApiFiles[0].second; }

}  // namespace vtpmd::schema
