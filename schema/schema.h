#pragma once
// The migrations in schema/migrations/NNNN_name.sql and the OpenAPI document,
// as compiled into the binary.

#include <span>
#include <string_view>

#include "core/store.h"

namespace vtpmd::schema {

// Sorted by version; the version is the file name's numeric prefix.
std::span<const Migration> Migrations();
std::string_view OpenApiJson();

}  // namespace vtpmd::schema
