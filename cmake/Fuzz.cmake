# CLASSIFYD_FUZZ=ON builds the libFuzzer targets in tests/fuzz with clang,
# instrumenting everything the project builds with ASan+UBSan and libFuzzer's
# coverage (the fuzzer's own main() is linked only into the targets). Use a
# build directory of its own: ./test.sh --fuzz SECONDS uses build/fuzz.
option(CLASSIFYD_FUZZ "Build the libFuzzer targets (clang only)" OFF)
if(CLASSIFYD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CLASSIFYD_FUZZ needs clang: configure with "
                        "CC=clang CXX=clang++ in a build directory of its own")
  endif()
  if(CLASSIFYD_SANITIZE)
    message(FATAL_ERROR "CLASSIFYD_FUZZ brings its own sanitizers; leave "
                        "CLASSIFYD_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer
                      -g)
  add_link_options(-fsanitize=address,undefined)
endif()
