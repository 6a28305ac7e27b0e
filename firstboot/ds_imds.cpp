// EC2 instance metadata, IMDSv2 only: a session token from a PUT, then
// instance-id, local-hostname, public keys and user-data. A missing endpoint
// costs at most the probe budget (2 s by default), whatever the network
// does; once the token came back, the remaining requests share their own
// bounded budget.
#include "firstboot/datasource.hpp"
#include "firstboot/http_client.hpp"
#include "firstboot/limits.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace kiln::firstboot {
namespace {

using Clock = std::chrono::steady_clock;

class Imds {
 public:
  Imds(std::string base, std::string token, Clock::time_point deadline)
      : base_(std::move(base)), token_(std::move(token)), deadline_(deadline) {}

  // nullopt for 404; throws for anything else that is not 200.
  std::optional<std::string> get(const std::string& path, size_t limit = 64 * 1024) const {
    HttpRequest req;
    req.url = base_ + path;
    req.headers = {"X-aws-ec2-metadata-token: " + token_};
    req.timeout = std::chrono::milliseconds(5000);
    req.max_bytes = limit;
    HttpResult r = http_request_until(req, deadline_);
    if (r.ok()) return r.body;
    if (r.status == 404) return std::nullopt;
    throw Error("fetch '" + req.url + "' from IMDS: " +
                (r.status != 0 ? "HTTP status " + std::to_string(r.status) : r.error));
  }

 private:
  std::string base_;
  std::string token_;
  Clock::time_point deadline_;
};

}  // namespace

bool running_on_ec2() {
  auto read_trimmed = [](const std::string& p) {
    try {
      return std::string(trim(read_file_if_exists(p, 4096).value_or("")));
    } catch (const Error&) {
      return std::string();
    }
  };
  return read_trimmed("/sys/class/dmi/id/sys_vendor") == "Amazon EC2" ||
         read_trimmed("/sys/class/dmi/id/board_asset_tag").starts_with("i-") ||
         read_trimmed("/sys/hypervisor/uuid").starts_with("ec2");
}

std::optional<SeedData> read_imds(const std::string& base_url,
                                  std::chrono::milliseconds probe_budget,
                                  std::chrono::milliseconds fetch_budget) {
  std::string base = base_url;
  while (base.ends_with("/")) base.pop_back();
  HttpRequest token_req;
  token_req.method = "PUT";
  token_req.url = base + "/latest/api/token";
  token_req.headers = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
  token_req.timeout = probe_budget;
  token_req.max_bytes = 4096;
  HttpResult token = http_request_until(token_req, Clock::now() + probe_budget);
  if (!token.ok() || trim(token.body).empty()) return std::nullopt;  // no IMDSv2 here

  Imds imds(base, std::string(trim(token.body)), Clock::now() + fetch_budget);
  SeedData s;
  s.source = "imds";
  s.location = base;
  MetaData md;
  auto id = imds.get("/latest/meta-data/instance-id");
  if (!id || trim(*id).empty())
    throw Error("fetch '" + base + "/latest/meta-data/instance-id' from IMDS: no instance id");
  md.instance_id = std::string(trim(*id));
  if (std::string why = check_instance_id(md.instance_id); !why.empty()) {
    s.read_problems.push_back(
        {base + "/latest/meta-data/instance-id", 0, 0, "'" + md.instance_id + "' " + why, false});
  }
  if (auto host = imds.get("/latest/meta-data/local-hostname")) {
    std::string h(trim(*host));
    if (!h.empty()) md.local_hostname = h;
  }
  if (auto keys = imds.get("/latest/meta-data/public-keys/")) {
    // One "INDEX=name" line per key pair.
    for (const auto& line : split(*keys, '\n')) {
      std::string index(trim(line.substr(0, line.find('='))));
      if (index.empty()) continue;
      if (auto key = imds.get("/latest/meta-data/public-keys/" + index + "/openssh-key")) {
        std::string k(trim(*key));
        if (!k.empty()) md.public_keys.push_back(k);
      }
    }
  }
  s.meta = md;
  s.user_data.name = base + "/latest/user-data";
  if (auto ud = imds.get("/latest/user-data", kMaxUserDataBytes)) s.user_data.data = *ud;
  return s;
}

}  // namespace kiln::firstboot
