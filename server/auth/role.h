#pragma once

#include <initializer_list>
#include <string_view>

#include "core/result.h"

namespace vtpmd::auth {

// Roles from the brief: operators (admin), remote challengers, relying parties
// (subscriber) and peer hosts (host).
enum class Role { kAdmin, kChallenger, kSubscriber, kHost };

std::string_view RoleName(Role role);
Result<Role> RoleFromName(std::string_view name);

// The set of roles a route admits.
class RoleSet {
 public:
  RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= Bit(r);
  }
  static RoleSet Any() { return {Role::kAdmin, Role::kChallenger, Role::kSubscriber, Role::kHost}; }
  bool Contains(Role role) const { return (bits_ & Bit(role)) != 0; }

 private:
  static unsigned Bit(Role role) { return 1u << static_cast<unsigned>(role); }
  unsigned bits_ = 0;
};

}  // namespace vtpmd::auth
