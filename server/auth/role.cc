#include "server/auth/role.h"

#include <string>

namespace vtpmd::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kChallenger: return "challenger";
    case Role::kSubscriber: return "subscriber";
    case Role::kHost: return "host";
  }
  return "admin";
}

Result<Role> RoleFromName(std::string_view name) {
  for (Role role : {Role::kAdmin, Role::kChallenger, Role::kSubscriber, Role::kHost}) {
    if (RoleName(role) == name) return role;
  }
  return InvalidArgument("unknown role '" + std::string(name) + "' (admin, challenger, subscriber, host)");
}

}  // namespace vtpmd::auth
