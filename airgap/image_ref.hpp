// Image references ("busybox:1.36", "registry.example.com:5000/team/app@sha256:...")
// parsed and normalised the way Docker and containerd do: a bare name lives
// on docker.io, under library/ when it has a single path component, and a
// reference without tag or digest means :latest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::airgap {

struct ImageRef {
  std::string domain;      // "docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // empty when only a digest was given
  std::string digest;      // "sha256:..." or empty

  // domain/repository
  [[nodiscard]] std::string name() const;
  // The normalised reference: name[:tag][@digest].
  [[nodiscard]] std::string str() const;
  // name:tag, or name@digest when there is no tag: how the image is named
  // in containerd once imported.
  [[nodiscard]] std::string image_name() const;
  // The tag of the reference, or its digest: what OCI's ref.name annotation holds.
  [[nodiscard]] std::string ref_name() const;
  // Where the distribution API lives: docker.io means registry-1.docker.io.
  [[nodiscard]] std::string api_host() const;
};

std::optional<ImageRef> try_parse_image_ref(std::string_view s);
// Throws (exit 2) "image reference 'X' is not valid".
ImageRef parse_image_ref(std::string_view s);

}  // namespace kiln::airgap
