#include "firstboot/instance_state.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

#include "firstboot/root_ops.hpp"
#include "util/error.hpp"
#include "util/sync_batch.hpp"

namespace kiln::firstboot {

InstanceState::InstanceState(const RootDir& root, std::string instance_id)
    : root_(root), id_(std::move(instance_id)), dir_(std::string(kStateDir) + "/instances/" + id_) {
  load();
}

bool InstanceState::complete() const {
  return root_.exists(dir_ + "/complete");
}
bool InstanceState::was_interrupted() const {
  return root_.exists(dir_ + "/in-progress");
}

void InstanceState::begin(const SeedData& seed) {
  ensure_dir(root_, kStateDir, 0700, std::nullopt);
  ensure_dir(root_, std::string(kStateDir) + "/instances", 0700, std::nullopt);
  ensure_dir(root_, dir_, 0700, std::nullopt);
  // Raw data may hold secrets (tokens, password hashes): 0600, in a 0700 dir.
  write_if_changed(root_, dir_ + "/user-data", seed.user_data.data, 0600);
  if (seed.meta_data) write_if_changed(root_, dir_ + "/meta-data", seed.meta_data->data, 0600);
  if (seed.network_config)
    write_if_changed(root_, dir_ + "/network-config", seed.network_config->data, 0600);
  if (!was_interrupted())
    root_.write_file(dir_ + "/in-progress", std::to_string(std::time(nullptr)) + "\n", 0600);
}

bool InstanceState::done(const std::string& item) const {
  return done_.count(item) != 0;
}

std::optional<AppendRecord> InstanceState::append_record(const std::string& item) const {
  auto it = appends_.find(item);
  if (it == appends_.end()) return std::nullopt;
  return it->second;
}

void InstanceState::record_append(const std::string& item, const AppendRecord& record) {
  appends_[item] = record;
  save();
}

void InstanceState::mark_done(const std::string& item) {
  done_.insert(item);
  save();
}

void InstanceState::finish() {
  // Everything the run wrote is durable before the marker that says so;
  // the marker and its companions are then made durable together.
  sync_barrier();
  root_.write_file(dir_ + "/complete", std::to_string(std::time(nullptr)) + "\n", 0600);
  root_.write_file(std::string(kStateDir) + "/last-instance", id_ + "\n", 0600);
  root_.remove(dir_ + "/in-progress");
  sync_barrier();
}

void InstanceState::load() {
  auto text = root_.read_file(dir_ + "/progress.json", 1 << 20);
  if (!text) return;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error("read '" + root_.path() + dir_ + "/progress.json': not a JSON object");
  }
  const nlohmann::json done = j.value("done", nlohmann::json::array());
  for (const auto& item : done) {
    if (item.is_string()) done_.insert(item.get<std::string>());
  }
  // Older records: "pending" holds the expected result of an append under
  // way, and nothing is kept once it is done.
  const nlohmann::json pending = j.value("pending", nlohmann::json::object());
  for (const auto& [k, v] : pending.items()) {
    if (v.is_string()) appends_[k] = {"", v.get<std::string>()};
  }
  const nlohmann::json appends = j.value("appends", nlohmann::json::object());
  for (const auto& [k, v] : appends.items()) {
    if (!v.is_object()) continue;
    const nlohmann::json base = v.value("base", nlohmann::json());
    const nlohmann::json result = v.value("result", nlohmann::json());
    if (base.is_string() && result.is_string())
      appends_[k] = {base.get<std::string>(), result.get<std::string>()};
  }
}

void InstanceState::save() const {
  // A record of progress is durable at once, and only after what it records:
  // "done" must never outlive a lost write, or a crash would skip the redo.
  // Two barriers (one syncfs each) cost less than the record's own fsyncs
  // of the file and its directory after the first.
  sync_barrier();
  nlohmann::json appends = nlohmann::json::object();
  for (const auto& [item, r] : appends_)
    appends[item] = {{"base", r.base_sha256}, {"result", r.result_sha256}};
  nlohmann::json j = {{"done", done_}, {"appends", appends}};
  root_.write_file(dir_ + "/progress.json", j.dump() + "\n", 0600);
  sync_barrier();
}

}  // namespace kiln::firstboot
