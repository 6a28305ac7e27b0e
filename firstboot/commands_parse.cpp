#include "firstboot/cloud_config_sections.hpp"
#include "firstboot/yaml_helpers.hpp"
#include "util/strings.hpp"
#include "util/yaml_reader.hpp"

namespace kiln::firstboot {

std::vector<CommandSpec> parse_commands(const YAML::Node& n, Diagnostics& d,
                                        const std::string& key) {
  std::vector<CommandSpec> out;
  if (!expect_sequence(n, d, key)) return out;
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const std::string what = key + "[" + std::to_string(i) + "]";
    CommandSpec c;
    if (item.IsScalar() && !yaml_is_null(item)) {
      if (trim(item.Scalar()).empty()) {
        yaml_error(d, item, what + " is an empty command");
        continue;
      }
      // A string is a shell command line: the user asked for a shell.
      c.shell = true;
      c.argv = {"/bin/sh", "-c", item.Scalar()};
    } else if (item.IsSequence()) {
      auto argv = read_strings(item, d, what, false);
      if (!argv) continue;
      if (argv->empty() || argv->front().value.empty()) {
        yaml_error(d, item, what + " is an empty command");
        continue;
      }
      for (const auto& a : *argv) c.argv.push_back(a.value);
    } else {
      yaml_error(d, item,
                 what + " must be a command line string or an argv list, got " + yaml_kind(item));
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kiln::firstboot
