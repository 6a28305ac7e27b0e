// Libraries loaded on first use (dlopen) instead of at program start, for
// the ones a program needs only on some paths: each one linked normally is
// mapped and relocated before main() on every run.
//
// A program that loads a library this way declares it in systemd's ELF
// dlopen metadata (https://systemd.io/ELF_DLOPEN_METADATA/): a note owned by
// "FDO", type 0x407c0c0a, whose descriptor is a NUL-terminated JSON array,
// so read_elf_deps() reports it and the builder installs and checks it like
// a DT_NEEDED library. Define one per library:
//
//   constexpr char kJson[] = R"([{"feature":"x","soname":["libx.so.1"]}])";
//   [[gnu::section(".note.dlopen"), gnu::used, gnu::aligned(4)]]
//   constinit const ElfDlopenNote<sizeof kJson> kNote{kJson};
//
// The section name makes the assembler give it SHT_NOTE and the linker a
// PT_NOTE segment; `used` keeps it, since nothing refers to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {

template <size_t N>
struct ElfDlopenNote {
  uint32_t namesz = 4;
  uint32_t descsz = N;
  uint32_t type = 0x407c0c0a;
  char name[4] = {'F', 'D', 'O', '\0'};
  char desc[(N + 3) & ~size_t{3}] = {};
  constexpr explicit ElfDlopenNote(const char (&json)[N]) noexcept {
    for (size_t i = 0; i < N; ++i) desc[i] = json[i];
  }
};

// dlopen(soname) with every symbol bound now and kept local; never closed,
// since its functions serve the rest of the process. nullptr and `error`
// ("load 'SONAME': <dlerror>") when it cannot be loaded.
void* open_library(const char* soname, std::string& error);

// The address of `name` in `handle`, or nullptr and `error` set to
// "load 'SONAME': no NAME" (unless an earlier error is already there).
void* library_symbol(void* handle, const char* soname, const char* name, std::string& error);

template <typename Fn>
bool resolve_symbol(void* handle, const char* soname, const char* name, Fn& out,
                    std::string& error) {
  out = reinterpret_cast<Fn>(library_symbol(handle, soname, name, error));
  return out != nullptr;
}

}  // namespace kiln
