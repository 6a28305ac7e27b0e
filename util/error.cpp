#include "util/error.hpp"

#include <cstring>

namespace kiln {

Error::Error(std::string message, int exit_code, int err)
    : message_(std::move(message)), exit_code_(exit_code), errno_(err) {
  render();
}

Error Error::from_errno(std::string_view verb, std::string_view path, int err) {
  std::string msg(verb);
  msg += " '";
  msg += path;
  msg += "': ";
  msg += std::strerror(err);
  return Error(std::move(msg), 1, err);
}

Error& Error::add_context(std::string context) {
  context_.push_back(std::move(context));
  render();
  return *this;
}

Error& Error::set_detail(std::string detail) {
  detail_ = std::move(detail);
  return *this;
}

Error& Error::set_exit_code(int code) {
  exit_code_ = code;
  return *this;
}

void Error::render() {
  rendered_ = message_;
  for (const auto& c : context_) {
    rendered_ += ", ";
    rendered_ += c;
  }
}

void throw_errno(std::string_view verb, std::string_view path) {
  throw Error::from_errno(verb, path, errno);
}

void throw_errno(std::string_view verb, std::string_view path, int err) {
  throw Error::from_errno(verb, path, err);
}

}  // namespace kiln
