#include "util/diagnostics.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace kiln {

std::string Diagnostic::str() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  s += ": ";
  if (warning) s += "warning: ";
  s += message;
  return s;
}

void Diagnostics::error(int line, int column, std::string message) {
  items_.push_back({file_, line, column, std::move(message), false});
}

void Diagnostics::warning(int line, int column, std::string message) {
  items_.push_back({file_, line, column, std::move(message), true});
}

void Diagnostics::add(Diagnostic d) {
  items_.push_back(std::move(d));
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const auto& d) { return !d.warning; });
}

std::vector<Diagnostic> Diagnostics::errors() const {
  std::vector<Diagnostic> out;
  for (const auto& d : items_) {
    if (!d.warning) out.push_back(d);
  }
  auto others = std::stable_partition(out.begin(), out.end(),
                                      [&](const Diagnostic& d) { return d.file == file_; });
  std::stable_sort(out.begin(), others, [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

std::vector<Diagnostic> Diagnostics::warnings() const {
  std::vector<Diagnostic> out;
  for (const auto& d : items_) {
    if (d.warning) out.push_back(d);
  }
  return out;
}

std::string Diagnostics::render_errors() const {
  std::string s;
  for (const auto& d : errors()) s += d.str() + "\n";
  return s;
}

void Diagnostics::throw_if_errors(int exit_code) const {
  auto errs = errors();
  if (errs.empty()) return;
  Error e(errs.front().str(), exit_code);
  if (errs.size() > 1) {
    std::string rest;
    for (size_t i = 1; i < errs.size(); ++i) rest += errs[i].str() + "\n";
    e.set_detail(rest);
  }
  throw e;
}

}  // namespace kiln
