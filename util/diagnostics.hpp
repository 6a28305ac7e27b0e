// Positioned diagnostics ("FILE:LINE:COL: message"), collected so a parser can
// report every problem in an input rather than stopping at the first.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string message;
  bool warning = false;
  [[nodiscard]] std::string str() const;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(int line, int column, std::string message);
  void warning(int line, int column, std::string message);
  // A diagnostic about another file this input names (a spec's seed files).
  void add(Diagnostic d);
  [[nodiscard]] bool has_errors() const;
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
  // This file's errors in position order, then other files' in the order
  // they were added.
  [[nodiscard]] std::vector<Diagnostic> errors() const;
  [[nodiscard]] std::vector<Diagnostic> warnings() const;
  [[nodiscard]] const std::string& file() const { return file_; }
  // All errors, one per line.
  [[nodiscard]] std::string render_errors() const;
  // Throws kiln::Error(first error, exit_code) with every error as detail
  // when there is more than one.
  void throw_if_errors(int exit_code) const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace kiln
