#include "firstboot/target_facts.hpp"

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace kiln::firstboot {

TargetFacts read_target_facts(const RootDir& root) {
  TargetFacts f;
  f.root = &root;
  auto text = root.read_file(kImageJsonPath, 1 << 20);
  if (!text) return f;
  const std::string shown = root.path() + kImageJsonPath;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error("read '" + shown + "': not a JSON object");
  }
  f.image_json_found = true;
  auto it = j.find("rke2");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_object() || !it->contains("version") || !(*it)["version"].is_string()) {
      throw Error("read '" + shown + "': rke2.version must be a string");
    }
    f.image_has_rke2 = true;
    f.rke2_version = (*it)["version"].get<std::string>();
  }
  return f;
}

}  // namespace kiln::firstboot
