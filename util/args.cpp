#include "util/args.hpp"

#include <algorithm>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace kiln {

bool ParsedArgs::has(const std::string& name) const { return values_.count(name) != 0; }

std::optional<std::string> ParsedArgs::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<long long> ParsedArgs::get_int(const std::string& name, long long min,
                                             long long max) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  size_t used = 0;
  long long n = 0;
  bool ok = !v->empty();
  try {
    n = std::stoll(*v, &used, 10);
  } catch (...) {
    ok = false;
  }
  if (!ok || used != v->size() || n < min || n > max) {
    throw Error(program_ + ": option '--" + name + "' expects an integer from " +
                    std::to_string(min) + " to " + std::to_string(max) + ", got '" + *v +
                    "' (see '" + program_ + " --help')",
                kExitUsage);
  }
  return n;
}

ArgParser::ArgParser(std::string program, std::string usage, std::string summary)
    : program_(std::move(program)), usage_(std::move(usage)), summary_(std::move(summary)) {}

ArgParser& ArgParser::flag(std::string name, char short_name, std::string help) {
  options_.push_back({std::move(name), short_name, "", std::move(help), true});
  return *this;
}

ArgParser& ArgParser::option(std::string name, char short_name, std::string value_name,
                             std::string help, bool repeatable) {
  options_.push_back(
      {std::move(name), short_name, std::move(value_name), std::move(help), repeatable});
  return *this;
}

ArgParser& ArgParser::positional(std::string name, std::string help, size_t min, size_t max) {
  positionals_.push_back({std::move(name), std::move(help), min, max});
  return *this;
}

ArgParser& ArgParser::epilog(std::string text) {
  epilog_ = std::move(text);
  return *this;
}

const ArgParser::Option* ArgParser::find_long(const std::string& name) const {
  for (const auto& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

const ArgParser::Option* ArgParser::find_short(char c) const {
  for (const auto& o : options_) {
    if (o.short_name != 0 && o.short_name == c) return &o;
  }
  return nullptr;
}

void ArgParser::usage_error(const std::string& message) const {
  throw Error(program_ + ": " + message + " (see '" + program_ + " --help')", kExitUsage);
}

ParsedArgs ArgParser::parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  out.program_ = program_;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positionals || a == "-" || a.empty() || a[0] != '-') {
      out.positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help_ = true;
      return out;
    }
    const Option* opt = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;
    if (a.starts_with("--")) {
      std::string name = a.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      shown = "--" + name;
      opt = find_long(name);
      if (opt == nullptr) {
        std::vector<std::string> names{"help"};
        for (const auto& o : options_) names.push_back(o.name);
        std::string hint = closest_match(name, names);
        usage_error("unknown option '" + shown + "'" +
                    (hint.empty() ? "" : "; did you mean '--" + hint + "'?"));
      }
    } else {
      if (a.size() != 2) usage_error("unknown option '" + a + "'");
      shown = a;
      opt = find_short(a[1]);
      if (opt == nullptr) usage_error("unknown option '" + a + "'");
    }
    std::vector<std::string>& slot = out.values_[opt->name];
    if (!opt->repeatable && !slot.empty()) usage_error("option '" + shown + "' given twice");
    if (opt->value_name.empty()) {
      if (inline_value) usage_error("option '" + shown + "' takes no value");
      slot.emplace_back("true");
      continue;
    }
    if (inline_value) {
      slot.push_back(*inline_value);
    } else if (i + 1 < args.size()) {
      slot.push_back(args[++i]);
    } else {
      usage_error("option '" + shown + "' needs a value (" + opt->value_name + ")");
    }
  }
  size_t min_total = 0;
  size_t max_total = 0;
  for (const auto& p : positionals_) {
    min_total += p.min;
    max_total = (p.max == std::numeric_limits<size_t>::max() ||
                 max_total == std::numeric_limits<size_t>::max())
                    ? std::numeric_limits<size_t>::max()
                    : max_total + p.max;
  }
  if (out.positionals_.size() < min_total) {
    for (const auto& p : positionals_) {
      if (p.min > 0) {
        size_t before = 0;
        for (const auto& q : positionals_) {
          if (&q == &p) break;
          before += q.min;
        }
        if (out.positionals_.size() <= before) usage_error("missing argument " + p.name);
      }
    }
    usage_error("missing arguments");
  }
  if (out.positionals_.size() > max_total) {
    usage_error("unexpected argument '" + out.positionals_[max_total] + "'");
  }
  return out;
}

std::string ArgParser::help() const {
  std::string h = "Usage: " + program_ + (usage_.empty() ? "" : " " + usage_) + "\n\n" + summary_ +
                  "\n";
  if (!positionals_.empty()) {
    h += "\nArguments:\n";
    for (const auto& p : positionals_) {
      std::string left = "  " + p.name;
      left.resize(std::max<size_t>(left.size() + 2, 28), ' ');
      h += left + p.help + "\n";
    }
  }
  h += "\nOptions:\n";
  auto row = [&h](std::string left, const std::string& help) {
    left = "  " + left;
    if (left.size() + 2 > 28) {
      h += left + "\n" + std::string(28, ' ') + help + "\n";
    } else {
      left.resize(28, ' ');
      h += left + help + "\n";
    }
  };
  for (const auto& o : options_) {
    std::string left = o.short_name != 0 ? std::string("-") + o.short_name + ", " : "    ";
    left += "--" + o.name;
    if (!o.value_name.empty()) left += " " + o.value_name;
    row(left, o.help);
  }
  row("-h, --help", "Show this help and exit");
  if (!epilog_.empty()) h += "\n" + epilog_ + (epilog_.ends_with('\n') ? "" : "\n");
  return h;
}

}  // namespace kiln
