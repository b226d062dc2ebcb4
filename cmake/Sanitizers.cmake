# CLASSIFYD_SANITIZE=address,undefined or thread instruments everything the
# project builds (daemon, plugins, tests).
if(CLASSIFYD_SANITIZE)
  set(_flags -fsanitize=${CLASSIFYD_SANITIZE} -fno-omit-frame-pointer -g)
  if(CLASSIFYD_SANITIZE MATCHES "undefined")
    list(APPEND _flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_flags})
  add_link_options(-fsanitize=${CLASSIFYD_SANITIZE})
endif()
