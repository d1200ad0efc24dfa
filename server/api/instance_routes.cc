#include "server/api/instance_routes.h"

#include <boost/json.hpp>

#include "core/bytes.h"
#include "core/uuid.h"
#include "server/api/json_io.h"
#include "server/api/requests.h"
#include "server/api/time_format.h"
#include "server/api/tpm_json.h"

namespace vtpmd::api {
namespace {

std::string QemuArguments(const app::AttachPaths& paths) {
  return "-chardev socket,id=chrtpm,path=" + paths.control_socket.string() +
         " -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0";
}

// Table 2 of the vTPM paper, per method: what the privacy CA interprets, what a
// verifier of an AIK' certificate must know, and what a migration invalidates.
boost::json::object CertificationJson(std::string_view method) {
  if (method == "aik-certifies-ek") {
    return {{"method", method},
            {"links_to_platform", true},
            {"ca_interprets", "the EK' certificate and the platform AIK's quote over it (platform binding extension)"},
            {"verifier_needs", "the vtpmd root; the EK' certificate names the platform AIK that vouched for it"},
            {"migration_invalidates", "the EK' certificate and every AIK' certified with it: both are revoked and a "
                                      "new EK is made on the destination"}};
  }
  if (method == "aik-certifies-aik") {
    return {{"method", method},
            {"links_to_platform", true},
            {"ca_interprets", "the EK' certificate; the AIK' certificate is signed in the platform TPM by the host "
                              "signing key the platform AIK certified"},
            {"verifier_needs", "the vtpmd root; the AIK' chain runs through this host's signing key"},
            {"migration_invalidates", "the AIK' certificates (re-enrolled on the destination); the EK' certificate "
                                      "stays valid"}};
  }
  return {{"method", method},
          {"links_to_platform", false},
          {"ca_interprets", "the EK' certificate from the local EK authority"},
          {"verifier_needs", "the vtpmd root (the privacy CA's public key)"},
          {"migration_invalidates", "nothing: no certificate links the vTPM to its host"}};
}

boost::json::object InstanceJson(const app::InstanceRecord& record, const app::AttachPaths& paths) {
  boost::json::array eks;
  for (const auto& ek : record.endorsement_keys) {
    eks.push_back(boost::json::object{{"algorithm", ek.algorithm},
                                      {"handle", HandleText(ek.handle)},
                                      {"nv_index", HandleText(ek.nv_index)},
                                      {"public", Base64Encode(ek.public_area)},
                                      {"name", HexEncode(ek.name)},
                                      {"certificate_serial", ek.certificate_serial}});
  }
  boost::json::array algorithms;
  for (const auto& alg : record.ek_algorithms) algorithms.push_back(boost::json::string(alg));
  boost::json::object out{{"id", record.id},
                          {"vm_id", record.vm_id},
                          {"label", record.label},
                          {"certification_method", record.certification_method},
                          {"certification", CertificationJson(record.certification_method)},
                          {"ek_algorithms", std::move(algorithms)},
                          {"status", app::InstanceStatusName(record.status)},
                          {"created_at", Rfc3339FromUnixSeconds(record.created_at)},
                          {"endorsement_keys", std::move(eks)},
                          {"attach",
                           boost::json::object{{"data_socket", paths.data_socket.string()},
                                               {"control_socket", paths.control_socket.string()},
                                               {"tcti", "swtpm:path=" + paths.data_socket.string()},
                                               {"qemu_args", QemuArguments(paths)}}}};
  if (!record.status_detail.empty()) out["status_detail"] = record.status_detail;
  if (record.binding_uid) out["binding_uid"] = *record.binding_uid;
  return out;
}

// Path ids are checked before anything is looked up: a malformed id is a 400, not a 404.
Result<std::string> InstanceId(const http::PathParams& params) {
  auto id = CanonicalUuid(params.Get("id"));
  if (!id.ok()) return id.error().WithContext("instance id");
  return id;
}

}  // namespace

Status AddInstanceRoutes(http::Router& router, const auth::Authorizer& authorizer, app::InstanceManager& instances) {
  const auth::RoleSet admin{auth::Role::kAdmin};
  auto show = [&instances](const app::InstanceRecord& record, unsigned status) {
    return JsonResponse(status, InstanceJson(record, instances.Attach(record.id)));
  };

  VTPMD_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/instances",
      [&authorizer, &instances, admin, show](const http::HttpRequest& request,
                                              const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(CreateInstanceRequest parsed, ParseCreateInstanceRequest(request));
        VTPMD_ASSIGN_OR_RETURN(app::InstanceRecord record, instances.Create(parsed));
        // 202: the TPM is being manufactured; GET shows "running" once it is ready.
        http::HttpResponse response = show(record, 202);
        response.headers.emplace_back("Location", "/v1/instances/" + record.id);
        return response;
      }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/instances",
      [&authorizer, &instances, admin](const http::HttpRequest& request,
                                       const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(auto records, instances.List());
        boost::json::array items;
        for (const auto& record : records) items.push_back(InstanceJson(record, instances.Attach(record.id)));
        return JsonResponse(200, boost::json::object{{"instances", std::move(items)}});
      }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/instances/{id}",
      [&authorizer, &instances, admin, show](const http::HttpRequest& request,
                                              const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(std::string id, InstanceId(params));
        VTPMD_ASSIGN_OR_RETURN(app::InstanceRecord record, instances.Get(id));
        return show(record, 200);
      }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "DELETE", "/v1/instances/{id}",
      [&authorizer, &instances, admin](const http::HttpRequest& request,
                                       const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(std::string id, InstanceId(params));
        VTPMD_RETURN_IF_ERROR(instances.Delete(id));
        http::HttpResponse response;
        response.status = 204;
        return response;
      }));

  for (const bool start : {true, false}) {
    VTPMD_RETURN_IF_ERROR(router.Add(
        "POST", start ? "/v1/instances/{id}/start" : "/v1/instances/{id}/stop",
        [&authorizer, &instances, admin, show, start](const http::HttpRequest& request,
                                                       const http::PathParams& params) -> Result<http::HttpResponse> {
          VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
          VTPMD_ASSIGN_OR_RETURN(std::string id, InstanceId(params));
          VTPMD_RETURN_IF_ERROR(start ? instances.StartInstance(id) : instances.StopInstance(id));
          VTPMD_ASSIGN_OR_RETURN(app::InstanceRecord record, instances.Get(id));
          return show(record, 200);
        }));
  }
  return Ok();
}

}  // namespace vtpmd::api
