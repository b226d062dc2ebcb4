# CLASSIFYD_SANITIZE=address,undefined or thread instruments everything the
# project builds (daemon, plugins, tests).
#
# Sanitizer builds (RelWithDebInfo, as deploy/setup.sh configures them)
# compile at -O1 with line tables only (-g1): a report still names the file
# and line of every frame, and the build takes about half the compile time
# of -O2 -g. -O1 is also what the sanitizers' own documentation recommends.
if(CLASSIFYD_SANITIZE)
  set(_flags -fsanitize=${CLASSIFYD_SANITIZE} -fno-omit-frame-pointer)
  if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
    set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -g1 -DNDEBUG")
    set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1 -DNDEBUG")
  else()
    list(APPEND _flags -g)
  endif()
  if(CLASSIFYD_SANITIZE MATCHES "undefined")
    list(APPEND _flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_flags})
  add_link_options(-fsanitize=${CLASSIFYD_SANITIZE})
endif()
