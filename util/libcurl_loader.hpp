// libcurl, loaded when first used instead of at program start.
//
// kiln-firstboot runs at every boot and needs HTTP only for network
// datasources and --wait-ready; linked normally, libcurl.so.4 and the 27
// libraries it brings (TLS, Kerberos, LDAP, SSH, IDN, ...) would be mapped
// and relocated before main() every time. libcurl_loader.cpp defines the
// libcurl functions kiln calls; each resolves libcurl's own through dlopen
// on first use. Callers keep using <curl/curl.h> as usual.
//
// The binaries that use it carry systemd's ELF dlopen note
// (https://systemd.io/ELF_DLOPEN_METADATA/) naming libcurl.so.4, so
// read_elf_deps() reports it and the builder installs and checks it like a
// DT_NEEDED library.
#pragma once

#include <optional>
#include <string>

namespace kiln {

// nullopt when libcurl is loaded (loading it if needed), else why it could
// not be: "load 'libcurl.so.4': <dlerror>".
std::optional<std::string> libcurl_unavailable();
// Why curl_global_init or curl_easy_init failed: the load error when libcurl
// could not be loaded, else "out of memory".
std::string libcurl_init_error();

}  // namespace kiln
