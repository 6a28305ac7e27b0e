// Exit codes and size limits of kiln-firstboot. The limits bound what the
// agent is willing to read and hold from any datasource, so a hostile or
// broken seed cannot exhaust memory at boot; docs/cloud-config.md lists them.
#pragma once

#include <cstddef>

namespace kiln::firstboot {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;       // a step failed while applying
constexpr int kExitInvalidData = 2;   // the data (or the command line) is invalid
constexpr int kExitNoDatasource = 3;  // no datasource had data

constexpr size_t kMaxMetaDataBytes = 64 * 1024;
constexpr size_t kMaxNetworkConfigBytes = 256 * 1024;
// user-data as read from the datasource (possibly gzip-compressed)...
constexpr size_t kMaxUserDataBytes = 1024 * 1024;
// ...and after gzip and MIME decoding.
constexpr size_t kMaxDecodedUserDataBytes = 4 * 1024 * 1024;
// One write_files entry after base64/gzip decoding, and all of them together.
constexpr size_t kMaxWriteFileBytes = 4 * 1024 * 1024;
constexpr size_t kMaxWriteFilesTotalBytes = 16 * 1024 * 1024;

}  // namespace kiln::firstboot
