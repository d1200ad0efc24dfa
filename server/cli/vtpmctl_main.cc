// vtpmctl: the operator's command line over vtpmd's REST API.

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/file_io.h"
#include "core/random.h"
#include "policy/reference_policy.h"
#include "server/cli/api_client.h"
#include "server/cli/attestation_commands.h"
#include "server/cli/event_commands.h"
#include "server/cli/json_fields.h"
#include "server/cli/event_log_json.h"
#include "server/cli/quote_files.h"
#include "server/cli/subscription_commands.h"

namespace vtpmd::cli {
namespace {

constexpr char kUsage[] = R"(usage: vtpmctl [OPTIONS] COMMAND [ARGS]

Commands:
  status                                   server version, health and platform summary
  platform show                            the platform TPM: identity, EKs and certificates, AIK, PCRs
  platform quote [--nonce HEX] [--pcrs SEL] [--out-dir DIR]
                                           quote the platform PCRs; --out-dir writes quote.msg,
                                           quote.sig, quote.pcrs and ak.pem for tpm2_checkquote
  token create --role ROLE [--label TEXT] [--ttl SECONDS]
                                           prints the new bearer token (shown only once)
  token list
  token revoke ID
  instance create --vm UUID [--label TEXT] [--ek rsa2048,ecc-nist-p256] [--binding-uid UID] [--wait]
                                           a vTPM for the VM; --wait returns once it is manufactured
  instance list | show ID | delete ID | start ID | stop ID
  instance qemu-args ID                    the QEMU arguments that attach the VM to its vTPM
  policy create FILE                       an attestation policy from a JSON document (schema/policy.schema.json)
  policy list | show NAME [--version N] | delete NAME
  policy update NAME FILE                  a new version of the policy
  ca root                                  the root CA certificate (PEM)
  ca list                                  every issuer certificate
  attest --instance ID --tcti TCTI --aik-handle HANDLE --aik-chain FILE --policy NAME
         [--pcrs SEL] [--event-log FILE] [--no-deep-quote]
                                           quote in the guest's vTPM (tpm2-tss) over a fresh nonce,
                                           submit the evidence, print the verdict and why
                                           (exit 1 when contraindicated)
  attestation show ID | list [--instance ID] [--status S]
                                           stored attestation results
  events list [--after SEQ] [--types PATTERNS] [--limit N]
                                           a page of the event log, oldest first; PATTERNS are
                                           comma-separated types or prefixes (instance.*,policy.deleted)
  events tail [--after SEQ] [--types PATTERNS]
                                           follow events live, one JSON line each, until interrupted;
                                           reconnects after a dropped connection without gaps
  events redeliver EVENT_ID [--subscription ID]
                                           send an event again (same webhook-id) to every subscription
                                           that selects it, or to the one named
  subscription create --webhook-url URL --types PATTERNS [--vms UUID,...] [--instances UUID,...]
                                           a webhook subscription; prints it, then its signing secret
                                           (whsec_..., shown only once)
  subscription list | show ID | delete ID  show also prints how far delivery has got
  subscription pause ID | resume ID        hold deliveries back, or send what is owed and go on
  subscription rotate ID                   a new signing secret (shown only once); the old one still
                                           signs for a grace period
  subscription deliveries ID [--limit N] [--before SEQ]
                                           delivery attempts, newest first, one line each
  eventlog show FILE                       offline: every event of a TCG firmware event log, as JSON
  eventlog replay FILE                     offline: the PCR values the log's events extend to, per bank

Options:
  --url URL          vtpmd's address (env VTPMD_URL; default https://127.0.0.1:8443)
  --cacert FILE      trust anchor (env VTPMD_CACERT; default ./vtpmd-data/root-ca.pem)
  --token-file FILE  bearer token file (env VTPMD_TOKEN_FILE; default ./vtpmd-data/admin.token)
                     (env VTPMD_TOKEN holds the token itself)
  --insecure         do not verify the server certificate (bootstrap only)
  --json             print the server's JSON instead of text

Exit codes: 0 ok, 1 server (offline: the input) refused or failed, 2 usage, 3 unreachable or untrusted,
4 denied.
)";

struct Invocation {
  std::vector<std::string> words;             // command and positional arguments
  std::map<std::string, std::string> flags;   // --name value
  bool json = false;
  bool insecure = false;
};

// Flags that take no value.
bool IsSwitch(std::string_view name) {
  return name == "json" || name == "insecure" || name == "help" || name == "wait" || name == "no-deep-quote";
}

Result<Invocation> ParseArguments(int argc, char** argv) {
  Invocation out;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      out.words.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(2);
    if (arg == "json") { out.json = true; continue; }
    if (arg == "insecure") { out.insecure = true; continue; }
    if (IsSwitch(arg)) { out.flags[std::string(arg)] = ""; continue; }
    std::string name(arg), value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      if (i + 1 >= argc) return InvalidArgument("--" + name + " needs a value");
      value = argv[++i];
    }
    out.flags[name] = value;
  }
  return out;
}

std::optional<std::string> FlagOrEnv(const Invocation& inv, const std::string& flag, const char* env) {
  if (auto it = inv.flags.find(flag); it != inv.flags.end()) return it->second;
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return std::string(value);
  return std::nullopt;
}

std::optional<std::string> ExistingFile(const char* path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return std::string(path);
  return std::nullopt;
}

Result<std::optional<SecretBytes>> LoadToken(const Invocation& inv) {
  if (const char* token = std::getenv("VTPMD_TOKEN"); token != nullptr && *token != '\0') {
    return std::optional<SecretBytes>(SecretBytes::CopyFrom(AsBytes(token)));
  }
  auto file = FlagOrEnv(inv, "token-file", "VTPMD_TOKEN_FILE");
  if (!file) file = ExistingFile("vtpmd-data/admin.token");
  if (!file) return std::optional<SecretBytes>();
  VTPMD_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(*file, 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  SecretBytes token = SecretBytes::CopyFrom(AsBytes(text));
  OPENSSL_cleanse(text.data(), text.size());
  return std::optional<SecretBytes>(std::move(token));
}

// Whether `words` are `command` followed by exactly `arguments` positional arguments.
bool NamesCommand(const std::vector<std::string>& words, const std::vector<std::string_view>& command,
                  std::size_t arguments) {
  return words.size() == command.size() + arguments && std::equal(command.begin(), command.end(), words.begin());
}

// Commands on local files: they run without a server, so before anything connects.
struct OfflineCommand {
  std::vector<std::string_view> words;
  Result<boost::json::object> (*run)(const std::filesystem::path& file);
};

const OfflineCommand* FindOfflineCommand(const std::vector<std::string>& words) {
  static const std::vector<OfflineCommand> kCommands = {
      {{"eventlog", "show"}, &EventLogShowJson},
      {{"eventlog", "replay"}, &EventLogReplayJson},
  };
  for (const OfflineCommand& command : kCommands) {
    if (NamesCommand(words, command.words, 1)) return &command;
  }
  return nullptr;
}

class Commands {
 public:
  using Action = Status (Commands::*)();
  struct Spec {
    std::vector<std::string_view> words;  // the command's fixed words
    std::size_t arguments;                // positional arguments after them
    Action action;
  };

  // The command the words name, or nullptr: checked before anything connects.
  static const Spec* Find(const std::vector<std::string>& words) {
    static const std::vector<Spec> kSpecs = {
        {{"status"}, 0, &Commands::ShowStatus},       {{"platform", "show"}, 0, &Commands::PlatformShow},
        {{"platform", "quote"}, 0, &Commands::PlatformQuote}, {{"token", "create"}, 0, &Commands::TokenCreate},
        {{"token", "list"}, 0, &Commands::TokenList}, {{"token", "revoke"}, 1, &Commands::TokenRevoke},
        {{"ca", "root"}, 0, &Commands::CaRoot},       {{"ca", "list"}, 0, &Commands::CaList},
        {{"instance", "create"}, 0, &Commands::InstanceCreate}, {{"instance", "list"}, 0, &Commands::InstanceList},
        {{"instance", "show"}, 1, &Commands::InstanceShow},     {{"instance", "delete"}, 1, &Commands::InstanceDelete},
        {{"instance", "start"}, 1, &Commands::InstanceStart},   {{"instance", "stop"}, 1, &Commands::InstanceStop},
        {{"instance", "qemu-args"}, 1, &Commands::InstanceQemuArgs},
        {{"policy", "create"}, 1, &Commands::PolicyCreate},     {{"policy", "list"}, 0, &Commands::PolicyList},
        {{"policy", "show"}, 1, &Commands::PolicyShow},         {{"policy", "update"}, 2, &Commands::PolicyUpdate},
        {{"policy", "delete"}, 1, &Commands::PolicyDelete},
        {{"attest"}, 0, &Commands::AttestInstance},             {{"attestation", "show"}, 1, &Commands::AttestationShow},
        {{"attestation", "list"}, 0, &Commands::AttestationList},
        {{"events", "list"}, 0, &Commands::EventsList},         {{"events", "tail"}, 0, &Commands::EventsTail},
        {{"events", "redeliver"}, 1, &Commands::EventsRedeliver},
        {{"subscription", "create"}, 0, &Commands::SubscriptionCreate},
        {{"subscription", "list"}, 0, &Commands::SubscriptionList},
        {{"subscription", "show"}, 1, &Commands::SubscriptionShow},
        {{"subscription", "pause"}, 1, &Commands::SubscriptionPause},
        {{"subscription", "resume"}, 1, &Commands::SubscriptionResume},
        {{"subscription", "delete"}, 1, &Commands::SubscriptionDelete},
        {{"subscription", "rotate"}, 1, &Commands::SubscriptionRotate},
        {{"subscription", "deliveries"}, 1, &Commands::SubscriptionDeliveries},
    };
    for (const Spec& spec : kSpecs) {
      if (NamesCommand(words, spec.words, spec.arguments)) return &spec;
    }
    return nullptr;
  }

  Commands(ApiClient& api, const Invocation& inv) : api_(api), inv_(inv) {}
  Status Run(const Spec& spec) { return (this->*spec.action)(); }

 private:
  // Prints the raw JSON under --json, otherwise the text `render` produces.
  template <typename Render>
  void Print(const boost::json::value& value, Render render) {
    if (inv_.json) {
      std::cout << boost::json::serialize(value) << "\n";
    } else {
      render();
    }
  }

  std::optional<std::string> Flag(const std::string& name) const {
    auto it = inv_.flags.find(name);
    return it == inv_.flags.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

  Status ShowStatus() {
    VTPMD_ASSIGN_OR_RETURN(auto health, api_.Call("GET", "/healthz"));
    VTPMD_ASSIGN_OR_RETURN(auto version, api_.Call("GET", "/v1/version"));
    auto platform = api_.Call("GET", "/v1/platform");
    boost::json::object all{{"health", health}, {"version", version}};
    if (platform.ok()) all["platform"] = *platform;
    Print(all, [&] {
      std::cout << "vtpmd " << Str(version, "version") << ": " << Str(health, "status") << "\n";
      if (platform.ok()) {
        const bool simulated = platform->as_object().at("simulated").as_bool();
        std::cout << "platform TPM: " << (simulated ? "SIMULATED (swtpm run by vtpmd)" : "hardware") << ", "
                  << Str(platform->as_object().at("tpm"), "manufacturer") << "\n";
      } else {
        std::cout << "platform: " << platform.error().message() << "\n";
      }
    });
    return Ok();
  }

  Status PlatformShow() {
    VTPMD_ASSIGN_OR_RETURN(auto platform, api_.Call("GET", "/v1/platform"));
    Print(platform, [&] {
      const auto& p = platform.as_object();
      std::cout << "simulated:    " << (p.at("simulated").as_bool() ? "yes" : "no") << "\n"
                << "tcti:         " << Str(platform, "tcti") << "\n"
                << "manufacturer: " << Str(p.at("tpm"), "manufacturer") << " (" << Str(p.at("tpm"), "vendor")
                << ", firmware " << Str(p.at("tpm"), "firmware_version") << ")\n";
      for (const auto& ek : Arr(platform, "endorsement_keys")) {
        std::cout << "EK " << Str(ek, "algorithm") << " at " << Str(ek, "handle") << ": name " << Str(ek, "name")
                  << ", certificate " << Str(ek, "certificate_status") << "\n";
      }
      std::cout << "AIK at " << Str(p.at("attestation_key"), "handle") << ": name "
                << Str(p.at("attestation_key"), "name") << "\n";
      for (const auto& [bank, values] : p.at("pcrs").as_object()) {
        std::cout << "PCRs " << std::string(bank) << ": " << values.as_object().size() << " values\n";
      }
    });
    return Ok();
  }

  Status PlatformQuote() {
    std::string nonce;
    if (auto given = Flag("nonce")) {
      nonce = *given;
    } else {
      OsRng rng;
      VTPMD_ASSIGN_OR_RETURN(Bytes random, rng.Generate(32));
      nonce = HexEncode(random);
    }
    boost::json::object request{{"nonce", nonce}};
    if (auto pcrs = Flag("pcrs")) request["pcrs"] = *pcrs;
    VTPMD_ASSIGN_OR_RETURN(auto quote, api_.Call("POST", "/v1/platform/quote", boost::json::value(request)));
    if (auto dir = Flag("out-dir")) {
      VTPMD_RETURN_IF_ERROR(WriteQuoteFiles(quote.as_object(), nonce, *dir));
    }
    Print(quote, [&] {
      std::cout << "nonce:         " << nonce << "\n"
                << "pcr selection: " << Str(quote, "pcr_selection") << "\n"
                << "attest:        " << Str(quote, "attest") << "\n"
                << "signature:     " << Str(quote, "signature") << "\n";
      if (auto dir = Flag("out-dir")) {
        std::cout << "check with:    tpm2_checkquote -u " << *dir << "/ak.pem -m " << *dir << "/quote.msg -s "
                  << *dir << "/quote.sig -f " << *dir << "/quote.pcrs -g sha256 -q " << nonce << "\n";
      }
    });
    return Ok();
  }

  Status TokenCreate() {
    auto role = Flag("role");
    if (!role) return InvalidArgument("token create needs --role admin|challenger|subscriber|host");
    boost::json::object request{{"role", *role}};
    if (auto label = Flag("label")) request["label"] = *label;
    if (auto ttl = Flag("ttl")) {
      char* end = nullptr;
      const long long seconds = std::strtoll(ttl->c_str(), &end, 10);
      if (end == ttl->c_str() || *end != '\0' || seconds <= 0) return InvalidArgument("--ttl must be a positive integer");
      request["ttl_seconds"] = seconds;
    }
    VTPMD_ASSIGN_OR_RETURN(auto token, api_.Call("POST", "/v1/tokens", boost::json::value(request)));
    Print(token, [&] {
      std::cerr << "created token " << Str(token, "id") << " (" << Str(token, "role") << "); it is shown only once\n";
      std::cout << Str(token, "token") << "\n";
    });
    return Ok();
  }

  Status TokenList() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/tokens"));
    Print(list, [&] {
      for (const auto& t : Arr(list, "tokens")) {
        std::string state = Str(t, "revoked_at").empty() ? "active" : "revoked " + Str(t, "revoked_at");
        std::cout << Str(t, "id") << "  " << Str(t, "role") << "  " << state << "  " << Str(t, "label") << "\n";
      }
    });
    return Ok();
  }

  Status TokenRevoke() {
    const std::string& id = inv_.words[2];
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("DELETE", "/v1/tokens/" + id));
    Print(answer, [&] { std::cout << "revoked " << id << "\n"; });
    return Ok();
  }

  Status CaRoot() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/ca/certificates"));
    for (const auto& issuer : Arr(list, "issuers")) {
      if (Str(issuer, "role") == "root") {
        std::cout << Str(issuer, "certificate_pem");
        return Ok();
      }
    }
    return Internal("the server listed no root certificate");
  }

  Status CaList() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/ca/certificates"));
    Print(list, [&] {
      for (const auto& issuer : Arr(list, "issuers")) {
        std::cout << Str(issuer, "role") << "  " << Str(issuer, "subject") << "  until " << Str(issuer, "not_after")
                  << "  sha256:" << Str(issuer, "sha256_fingerprint") << "\n";
      }
    });
    return Ok();
  }

  static void PrintInstance(const boost::json::value& instance) {
    std::cout << Str(instance, "id") << "  vm " << Str(instance, "vm_id") << "  " << Str(instance, "status");
    if (!Str(instance, "status_detail").empty()) std::cout << " (" << Str(instance, "status_detail") << ")";
    if (!Str(instance, "label").empty()) std::cout << "  " << Str(instance, "label");
    std::cout << "\n";
  }

  Status InstanceCreate() {
    auto vm = Flag("vm");
    if (!vm) return InvalidArgument("instance create needs --vm UUID");
    boost::json::object request{{"vm_id", *vm}};
    if (auto label = Flag("label")) request["label"] = *label;
    if (auto eks = Flag("ek")) request["ek_algorithms"] = CommaSeparated(*eks);
    if (auto uid = Flag("binding-uid")) {
      char* end = nullptr;
      const long long value = std::strtoll(uid->c_str(), &end, 10);
      if (end == uid->c_str() || *end != '\0') return InvalidArgument("--binding-uid must be a number");
      request["binding_uid"] = value;
    }
    VTPMD_ASSIGN_OR_RETURN(auto instance, api_.Call("POST", "/v1/instances", boost::json::value(request)));
    if (inv_.flags.count("wait")) {
      const std::string target = "/v1/instances/" + Str(instance, "id");
      // Manufacturing a TPM takes a fraction of a second to seconds (RSA key
      // generation); poll finely on the open connection, bounded to a minute.
      for (int i = 0; i < 3000 && Str(instance, "status") == "provisioning"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        VTPMD_ASSIGN_OR_RETURN(instance, api_.Call("GET", target));
      }
      if (Str(instance, "status") != "running") {
        return Internal("instance " + Str(instance, "id") + " is " + Str(instance, "status") + ": " +
                        Str(instance, "status_detail"));
      }
    }
    Print(instance, [&] { PrintInstance(instance); });
    return Ok();
  }

  Status InstanceList() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/instances"));
    Print(list, [&] {
      for (const auto& instance : Arr(list, "instances")) PrintInstance(instance);
    });
    return Ok();
  }

  Status InstanceShow() {
    VTPMD_ASSIGN_OR_RETURN(auto instance, api_.Call("GET", "/v1/instances/" + inv_.words[2]));
    Print(instance, [&] {
      PrintInstance(instance);
      for (const auto& ek : Arr(instance, "endorsement_keys")) {
        std::cout << "  EK " << Str(ek, "algorithm") << " at " << Str(ek, "handle") << ", certificate in NV "
                  << Str(ek, "nv_index") << " (serial " << Str(ek, "certificate_serial") << ")\n";
      }
      const auto& attach = instance.as_object().at("attach");
      std::cout << "  tools: -T " << Str(attach, "tcti") << "\n  qemu:  " << Str(attach, "qemu_args") << "\n";
    });
    return Ok();
  }

  Status InstanceDelete() {
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("DELETE", "/v1/instances/" + inv_.words[2]));
    Print(answer, [&] { std::cout << "deleted " << inv_.words[2] << "\n"; });
    return Ok();
  }

  Status InstanceStart() { return InstanceAction("start"); }
  Status InstanceStop() { return InstanceAction("stop"); }
  Status InstanceAction(const std::string& action) {
    VTPMD_ASSIGN_OR_RETURN(auto instance, api_.Call("POST", "/v1/instances/" + inv_.words[2] + "/" + action));
    Print(instance, [&] { PrintInstance(instance); });
    return Ok();
  }

  Status InstanceQemuArgs() {
    VTPMD_ASSIGN_OR_RETURN(auto instance, api_.Call("GET", "/v1/instances/" + inv_.words[2]));
    std::cout << Str(instance.as_object().at("attach"), "qemu_args") << "\n";
    return Ok();
  }

  // The server judges the document; only JSON is checked here.
  static Result<boost::json::value> PolicyFile(const std::string& path) {
    VTPMD_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, policy::kMaxPolicyDocumentSize));
    boost::system::error_code ec;
    boost::json::value document = boost::json::parse(text, ec);
    if (ec) return InvalidArgument(path + ": malformed JSON: " + ec.message());
    return document;
  }

  // Checked here so that a name cannot reach into another path of the API.
  static Result<std::string> PolicyPath(const std::string& name) {
    VTPMD_RETURN_IF_ERROR(policy::ValidatePolicyName(name));
    return "/v1/policies/" + name;
  }

  static std::string PolicyVersionLine(const boost::json::value& policy) {
    return Str(policy, "name") + "  version " + Str(policy, "version") + " of " + Str(policy, "latest_version") +
           "  " + Str(policy, "status") + "  created " + Str(policy, "created_at") + "\n";
  }

  Status PolicyCreate() {
    VTPMD_ASSIGN_OR_RETURN(auto document, PolicyFile(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto policy, api_.Call("POST", "/v1/policies", document));
    Print(policy, [&] { std::cout << PolicyVersionLine(policy); });
    return Ok();
  }

  Status PolicyList() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/policies?limit=1000"));
    Print(list, [&] {
      for (const auto& policy : Arr(list, "policies")) {
        std::cout << Str(policy, "name") << "  version " << Str(policy, "latest_version") << "  updated "
                  << Str(policy, "updated_at") << "  " << Str(policy, "description") << "\n";
      }
      if (!Str(list, "next_after").empty()) std::cout << "(more after " << Str(list, "next_after") << ")\n";
    });
    return Ok();
  }

  // Prints the document itself, ready to edit and update from.
  Status AttestInstance() {
    AttestOptions options;
    for (auto [flag, field] : {std::pair{"instance", &options.instance_id}, std::pair{"tcti", &options.tcti},
                               std::pair{"aik-handle", &options.aik_handle}, std::pair{"aik-chain", &options.aik_chain_file},
                               std::pair{"policy", &options.policy}}) {
      auto value = Flag(flag);
      if (!value) return InvalidArgument(std::string("attest needs --") + flag);
      *field = *value;
    }
    if (auto pcrs = Flag("pcrs")) options.pcrs = *pcrs;
    options.event_log_file = Flag("event-log");
    options.deep_quote = !Flag("no-deep-quote");
    VTPMD_ASSIGN_OR_RETURN(auto answer, Attest(api_, options));
    Print(answer, [&] { std::cout << AttestationText(answer); });
    return AttestationVerdictStatus(answer);
  }

  Status AttestationShow() {
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("GET", "/v1/attestations/" + inv_.words[2]));
    Print(answer, [&] { std::cout << AttestationText(answer); });
    return Ok();
  }

  Status AttestationList() {
    std::string query;
    for (const char* name : {"instance", "status"}) {
      if (auto value = Flag(name)) query += std::string(query.empty() ? "?" : "&") + name + "=" + *value;
    }
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/attestations" + query));
    Print(list, [&] {
      for (const auto& a : Arr(list, "attestations")) {
        std::cout << Str(a, "id") << "  " << Str(a, "created_at") << "  " << Str(a, "status") << "  "
                  << Str(a, "subject") << " " << Str(a, "instance_id") << "\n";
      }
    });
    return Ok();
  }

  EventFilter EventsFilter() const { return {Flag("after"), Flag("types")}; }

  Status EventsList() {
    VTPMD_ASSIGN_OR_RETURN(auto page, ListEvents(api_, EventsFilter(), Flag("limit")));
    Print(page, [&] { std::cout << EventPageText(page); });
    return Ok();
  }

  // Event lines are JSON already, with or without --json.
  Status EventsTail() { return TailEvents(api_, EventsFilter(), std::cout); }

  Status EventsRedeliver() {
    const std::string& event_id = inv_.words[2];
    VTPMD_ASSIGN_OR_RETURN(std::string target, RedeliverTarget(event_id));
    VTPMD_ASSIGN_OR_RETURN(boost::json::object request, RedeliverRequest(Flag("subscription")));
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("POST", target, boost::json::value(std::move(request))));
    Print(answer, [&] { std::cout << RedeliveredText(event_id, answer); });
    return Ok();
  }

  Status SubscriptionCreate() {
    // Not --url: that is the server's address, an option of every command.
    auto url = Flag("webhook-url");
    auto types = Flag("types");
    if (!url || !types) return InvalidArgument("subscription create needs --webhook-url URL and --types PATTERNS");
    VTPMD_ASSIGN_OR_RETURN(boost::json::object request,
                           SubscriptionCreateRequest(*url, *types, Flag("vms"), Flag("instances")));
    VTPMD_ASSIGN_OR_RETURN(auto created, api_.Call("POST", "/v1/subscriptions", boost::json::value(std::move(request))));
    Print(created, [&] { PrintSubscriptionSecret(created, "created"); });
    return Ok();
  }

  Status SubscriptionList() {
    VTPMD_ASSIGN_OR_RETURN(auto list, api_.Call("GET", "/v1/subscriptions"));
    Print(list, [&] {
      for (const auto& subscription : Arr(list, "subscriptions")) std::cout << SubscriptionLine(subscription);
    });
    return Ok();
  }

  Status SubscriptionShow() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, SubscriptionPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto subscription, api_.Call("GET", target));
    Print(subscription, [&] { std::cout << SubscriptionDetailText(subscription); });
    return Ok();
  }

  Status SubscriptionPause() { return SubscriptionSetState("paused"); }
  Status SubscriptionResume() { return SubscriptionSetState("active"); }
  Status SubscriptionSetState(std::string_view state) {
    VTPMD_ASSIGN_OR_RETURN(std::string target, SubscriptionPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto subscription,
                           api_.Call("PATCH", target, boost::json::value(boost::json::object{{"state", state}})));
    Print(subscription, [&] { std::cout << SubscriptionLine(subscription); });
    return Ok();
  }

  Status SubscriptionDelete() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, SubscriptionPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("DELETE", target));
    Print(answer, [&] { std::cout << "deleted " << inv_.words[2] << "\n"; });
    return Ok();
  }

  Status SubscriptionRotate() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, SubscriptionPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto rotated, api_.Call("POST", target + "/rotate-secret"));
    Print(rotated, [&] { PrintSubscriptionSecret(rotated, "rotated"); });
    return Ok();
  }

  Status SubscriptionDeliveries() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, DeliveriesTarget(inv_.words[2], Flag("before"), Flag("limit")));
    VTPMD_ASSIGN_OR_RETURN(auto page, api_.Call("GET", target));
    Print(page, [&] { std::cout << DeliveriesText(page); });
    return Ok();
  }

  Status PolicyShow() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, PolicyPath(inv_.words[2]));
    if (auto version = Flag("version")) {
      const auto digit = [](char c) { return c >= '0' && c <= '9'; };
      if (version->empty() || !std::all_of(version->begin(), version->end(), digit)) {
        return InvalidArgument("--version must be a version number");
      }
      target += "?version=" + *version;
    }
    VTPMD_ASSIGN_OR_RETURN(auto policy, api_.Call("GET", target));
    Print(policy, [&] {
      std::cerr << PolicyVersionLine(policy);
      std::cout << boost::json::serialize(policy.as_object().at("document")) << "\n";
    });
    return Ok();
  }

  Status PolicyUpdate() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, PolicyPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto document, PolicyFile(inv_.words[3]));
    VTPMD_ASSIGN_OR_RETURN(auto policy, api_.Call("PUT", target, document));
    Print(policy, [&] { std::cout << PolicyVersionLine(policy); });
    return Ok();
  }

  Status PolicyDelete() {
    VTPMD_ASSIGN_OR_RETURN(std::string target, PolicyPath(inv_.words[2]));
    VTPMD_ASSIGN_OR_RETURN(auto answer, api_.Call("DELETE", target));
    Print(answer, [&] { std::cout << "deleted " << inv_.words[2] << " (its versions stay readable)\n"; });
    return Ok();
  }

  ApiClient& api_;
  const Invocation& inv_;
};

int Main(int argc, char** argv) {
  auto inv = ParseArguments(argc, argv);
  if (!inv.ok()) {
    std::cerr << "vtpmctl: " << inv.error().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (inv->flags.count("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (const OfflineCommand* offline = FindOfflineCommand(inv->words)) {
    auto output = offline->run(inv->words.back());
    if (!output.ok()) {
      std::cerr << "vtpmctl: " << output.error().message() << "\n";
      return ExitCodeFor(output.error());
    }
    std::cout << boost::json::serialize(*output) << "\n";
    return kExitOk;
  }
  const Commands::Spec* command = Commands::Find(inv->words);
  if (command == nullptr) {
    std::cerr << "vtpmctl: unknown command\n\n" << kUsage;
    return kExitUsage;
  }
  ClientSettings settings;
  settings.url = FlagOrEnv(*inv, "url", "VTPMD_URL").value_or(settings.url);
  settings.ca_file = FlagOrEnv(*inv, "cacert", "VTPMD_CACERT");
  if (!settings.ca_file) settings.ca_file = ExistingFile("vtpmd-data/root-ca.pem");
  settings.insecure = inv->insecure;
  if (settings.insecure) std::cerr << "vtpmctl: WARNING: --insecure: the server's identity is not verified\n";
  auto token = LoadToken(*inv);
  if (!token.ok()) {
    std::cerr << "vtpmctl: " << token.error().message() << "\n";
    return kExitUsage;
  }
  settings.token = std::move(*token);

  auto api = ApiClient::Connect(std::move(settings));
  if (!api.ok()) {
    std::cerr << "vtpmctl: " << api.error().message() << "\n";
    return api.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitUnreachable;
  }
  Commands commands(**api, *inv);
  Status status = commands.Run(*command);
  if (status.ok()) return kExitOk;
  std::cerr << "vtpmctl: " << status.error().message() << "\n";
  return ExitCodeFor(status.error());
}

}  // namespace
}  // namespace vtpmd::cli

int main(int argc, char** argv) { return vtpmd::cli::Main(argc, argv); }
