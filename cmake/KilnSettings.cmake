# One INTERFACE target carries the language standard, warnings and sanitizer
# settings; every kiln target links it.
add_library(kiln-settings INTERFACE)
target_compile_features(kiln-settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_options(kiln-settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE)
# Only record the shared libraries a binary really uses, so kiln-firstboot's
# runtime closure inside an image stays minimal.
target_link_options(kiln-settings INTERFACE -Wl,--as-needed)
# GCC 12 at -O3 reports impossible overlapping memcpy calls inside
# std::string's operator+ (GCC bug 105329); the diagnostic is wrong there.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(kiln-settings INTERFACE -Wno-restrict)
  # Likewise, at -O3 it reports std::string members of aggregates built from
  # brace initialisers as maybe-uninitialized; the sanitizer build (-O2 with
  # ASan/UBSan) keeps the warning and checks for the real thing.
  target_compile_options(kiln-settings INTERFACE $<$<CONFIG:Release>:-Wno-maybe-uninitialized>)
endif()
if(KILN_WERROR)
  target_compile_options(kiln-settings INTERFACE -Werror)
endif()
if(KILN_SANITIZE)
  target_compile_options(kiln-settings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
    # GCC 12's flow analysis reports false "maybe uninitialized" warnings in
    # libstdc++ (std::regex, std::function) once sanitizers are on.
    -Wno-maybe-uninitialized)
  target_link_options(kiln-settings INTERFACE -fsanitize=address,undefined)
endif()
if(KILN_CLANG_TIDY)
  find_program(CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${CLANG_TIDY_EXE})
endif()

# Where kiln looks for its data (overlays/, images/) when run from a build tree.
set(KILN_SOURCE_DIR ${PROJECT_SOURCE_DIR})
