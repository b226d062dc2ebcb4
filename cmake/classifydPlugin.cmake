# classifyd_add_plugin(<name> <sources>...) builds <name>.so, a loadable
# classifyd plugin that exports only its entry symbol.
#
# One definition for the bundled plugins (included by plugins/CMakeLists.txt)
# and for plugins built out of tree (included by classifydConfig.cmake after
# find_package(classifyd)). It needs the target classifyd::plugin_sdk and the
# variable CLASSIFYD_PLUGIN_VERSION_SCRIPT (the path of plugin.map).
# In tree, CLASSIFYD_PLUGIN_OUTPUT_DIR puts the libraries where the daemon
# of the same build finds them.
include_guard(GLOBAL)

function(classifyd_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE classifyd::plugin_sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${CLASSIFYD_PLUGIN_VERSION_SCRIPT})
  if(CLASSIFYD_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${CLASSIFYD_PLUGIN_OUTPUT_DIR})
  endif()
  # STB_GNU_UNIQUE symbols (C++ inline statics) would make dlclose() a
  # no-op and leak every reloaded copy of the plugin.
  target_compile_options(${name} PRIVATE
    $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_options(${name} PRIVATE
    -Wl,--version-script=${CLASSIFYD_PLUGIN_VERSION_SCRIPT})
  if(NOT CLASSIFYD_SANITIZE)
    # Catch missing libraries at link time rather than at dlopen. Sanitizer
    # runtimes live in the executable, so a sanitized plugin has undefined
    # symbols by design.
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
