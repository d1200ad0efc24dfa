#include "tests/integration/webhook_receiver.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "tests/integration/vtpmd_process.h"

namespace vtpmd::testing {
namespace {

const std::filesystem::path kSourceDir = VTPMD_SOURCE_DIR;

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Result<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start(const std::filesystem::path& dir) {
  const auto certificate = dir / "receiver.pem";
  const auto key = dir / "receiver.key";
  CommandResult made = RunCommand("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                                  "-subj /CN=receiver -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                                  key.string() + " -out " + certificate.string());
  if (made.exit_code != 0) return Internal("openssl could not make the receiver's certificate: " + made.output);

  int out[2];
  if (::pipe(out) != 0) return Internal("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    const std::string script = (kSourceDir / "tests/node/webhook_receiver.mjs").string();
    ::execlp("node", "node", script.c_str(), "--tls-cert", certificate.c_str(), "--tls-key", key.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c = 0;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  boost::system::error_code ec;
  const boost::json::value ready = boost::json::parse(line, ec);
  if (ec || !ready.is_object() || !ready.as_object().contains("port")) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Unavailable("the node webhook receiver did not start: '" + line + "'");
  }
  return std::unique_ptr<WebhookReceiver>(
      new WebhookReceiver(certificate, pid, ready.as_object().at("port").to_number<int>()));
}

WebhookReceiver::~WebhookReceiver() {
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::string WebhookReceiver::Control(const std::string& method, const std::string& path,
                                     const std::string& body) const {
  std::string command = "curl -sS --max-time 10 --cacert " + certificate_.string() + " -X " + method + " ";
  if (!body.empty()) command += "-H 'content-type: application/json' --data " + Quoted(body) + " ";
  CommandResult result = RunCommand(command + Url(path));
  return result.output;
}

void WebhookReceiver::AcceptSecrets(const std::string& path, const std::vector<std::string>& secrets) const {
  boost::json::array list;
  for (const std::string& secret : secrets) list.emplace_back(secret);
  Control("POST", "/control/secrets", boost::json::serialize(boost::json::object{{"path", path}, {"secrets", list}}));
}

void WebhookReceiver::Script(const std::string& path, const boost::json::array& answers) const {
  Control("POST", "/control/script", boost::json::serialize(boost::json::object{{"path", path}, {"answers", answers}}));
}

boost::json::array WebhookReceiver::Log() const {
  boost::system::error_code ec;
  boost::json::value log = boost::json::parse(Control("GET", "/control/log", ""), ec);
  return !ec && log.is_array() ? log.as_array() : boost::json::array();
}

std::vector<std::string> WebhookReceiver::AcceptedIds(const std::string& path) const {
  std::vector<std::string> out;
  for (const boost::json::value& entry : Log()) {
    const boost::json::object& e = entry.as_object();
    const boost::json::value& answered = e.at("answered");
    if (e.at("path").as_string() == path && e.at("verified").as_bool() && answered.is_int64() &&
        answered.as_int64() / 100 == 2) {
      out.emplace_back(e.at("id").as_string());
    }
  }
  return out;
}

}  // namespace vtpmd::testing
