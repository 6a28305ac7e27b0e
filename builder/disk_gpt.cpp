#include "builder/disk_gpt.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.hpp"
#include "util/fdisk_ptr.hpp"
#include "util/strings.hpp"

namespace kiln {
namespace {

constexpr uint64_t kSector = 512;

[[noreturn]] void fail(const std::string& verb, const std::string& disk, int rc) {
  int err = rc < 0 ? -rc : 0;
  throw Error(verb + " '" + disk + "': " + (err != 0 ? std::strerror(err) : "libfdisk failed"), 1,
              err);
}

FdiskContextPtr open_disk(const std::string& disk, bool read_only) {
  FdiskContextPtr cxt(fdisk_new_context());
  if (!cxt) throw Error("create partition context for '" + disk + "': out of memory");
  fdisk_disable_dialogs(cxt.get(), 1);
  int rc = fdisk_assign_device(cxt.get(), disk.c_str(), read_only ? 1 : 0);
  if (rc != 0) fail("open disk", disk, rc);
  return cxt;
}

std::string upper(const char* s) {
  std::string out = s != nullptr ? s : "";
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void write_gpt(const std::string& disk, const GptTable& table) {
  FdiskContextPtr cxt = open_disk(disk, false);
  int rc = fdisk_create_disklabel(cxt.get(), "gpt");
  if (rc != 0) fail("create GPT on", disk, rc);
  rc = fdisk_set_disklabel_id_from_string(cxt.get(), table.disk_guid.c_str());
  if (rc != 0) fail("set disk GUID of", disk, rc);
  struct fdisk_label* label = fdisk_get_label(cxt.get(), nullptr);
  size_t partno = 0;
  for (const GptEntry& e : table.entries) {
    if (e.start % kSector != 0 || e.size % kSector != 0) {
      throw Error("add partition '" + e.name + "' to '" + disk +
                  "': start and size must be multiples of 512 bytes");
    }
    FdiskParttypePtr type(fdisk_label_parse_parttype(label, e.type_guid.c_str()));
    FdiskPartitionPtr pa(fdisk_new_partition());
    if (!type || !pa)
      throw Error("add partition '" + e.name + "' to '" + disk + "': out of memory");
    fdisk_partition_set_partno(pa.get(), partno++);
    fdisk_partition_set_start(pa.get(), e.start / kSector);
    fdisk_partition_set_size(pa.get(), e.size / kSector);
    fdisk_partition_set_name(pa.get(), e.name.c_str());
    fdisk_partition_set_uuid(pa.get(), e.uuid.c_str());
    fdisk_partition_set_type(pa.get(), type.get());
    rc = fdisk_add_partition(cxt.get(), pa.get(), nullptr);
    if (rc != 0) fail("add partition '" + e.name + "' to", disk, rc);
  }
  rc = fdisk_write_disklabel(cxt.get());
  if (rc != 0) fail("write GPT to", disk, rc);
  rc = fdisk_deassign_device(cxt.get(), 0);
  if (rc != 0) fail("close disk", disk, rc);
}

GptTable read_gpt(const std::string& disk) {
  FdiskContextPtr cxt = open_disk(disk, true);
  if (!fdisk_is_labeltype(cxt.get(), FDISK_DISKLABEL_GPT)) {
    throw Error("read GPT of '" + disk + "': no GPT found");
  }
  GptTable out;
  char* id = nullptr;
  if (fdisk_get_disklabel_id(cxt.get(), &id) == 0 && id != nullptr) {
    out.disk_guid = upper(id);
    std::free(id);
  }
  struct fdisk_table* raw = nullptr;
  int rc = fdisk_get_partitions(cxt.get(), &raw);
  if (rc != 0) fail("read partitions of", disk, rc);
  FdiskTablePtr tb(raw);
  for (size_t i = 0; i < fdisk_table_get_nents(tb.get()); ++i) {
    struct fdisk_partition* pa = fdisk_table_get_partition(tb.get(), i);
    if (pa == nullptr) continue;
    GptEntry e;
    const char* name = fdisk_partition_get_name(pa);
    e.name = name != nullptr ? name : "";
    e.uuid = upper(fdisk_partition_get_uuid(pa));
    struct fdisk_parttype* type = fdisk_partition_get_type(pa);
    e.type_guid = type != nullptr ? upper(fdisk_parttype_get_string(type)) : "";
    e.start = fdisk_partition_get_start(pa) * kSector;
    e.size = fdisk_partition_get_size(pa) * kSector;
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace kiln
