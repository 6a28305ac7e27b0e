#include "builder/dpkg_status.hpp"

#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace kiln {

std::map<std::string, std::string> parse_dpkg_status(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string name;
  std::string version;
  std::string status;
  std::string arch;
  auto flush = [&] {
    if (!name.empty() && status == "install ok installed") {
      std::string key = name;
      if (out.count(key) != 0 && out[key] != version) key += ":" + arch;
      out[key] = version;
    }
    name.clear();
    version.clear();
    status.clear();
    arch.clear();
  };
  for (const auto& line : split(text, '\n')) {
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;  // continuation
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view key(line.data(), colon);
    std::string value(trim(std::string_view(line).substr(colon + 1)));
    if (key == "Package") name = value;
    if (key == "Version") version = value;
    if (key == "Status") status = value;
    if (key == "Architecture") arch = value;
  }
  flush();
  return out;
}

std::map<std::string, std::string> read_installed_packages(const RootDir& root) {
  auto text = root.read_file("/var/lib/dpkg/status", 256ULL << 20);
  if (!text) return {};
  return parse_dpkg_status(*text);
}

std::string package_list_sha256(const std::map<std::string, std::string>& packages) {
  Sha256 h;
  for (const auto& [name, version] : packages) h.update(name + "=" + version + "\n");
  return h.hex_digest();
}

}  // namespace kiln
