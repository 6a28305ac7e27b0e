// A GPT written onto a plain file with libfdisk: no loop device, no root.
// Every GUID is given by the caller, so the table is reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

// GPT partition type GUIDs kiln uses (upper-case, as libfdisk reports them).
inline constexpr const char* kGptTypeEsp = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
inline constexpr const char* kGptTypeRootX86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
inline constexpr const char* kGptTypeLinuxData = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

struct GptEntry {
  std::string name;  // partition name (PARTLABEL)
  std::string type_guid;
  std::string uuid;    // unique partition GUID
  uint64_t start = 0;  // bytes, a multiple of 512
  uint64_t size = 0;   // bytes, a multiple of 512
};

struct GptTable {
  std::string disk_guid;
  std::vector<GptEntry> entries;
};

// Writes a protective MBR, the GPT and its backup onto `disk` (an existing
// file of the final size). Partitions are numbered in order from 1.
void write_gpt(const std::string& disk, const GptTable& table);

// Reads the GPT of `disk` back (GUIDs upper-case).
GptTable read_gpt(const std::string& disk);

}  // namespace kiln
