# Installs the SDK as a CMake package (find_package(classifyd)) and a
# pkg-config file (classifyd-plugin.pc), for plugins built out of tree.
include(CMakePackageConfigHelpers)

# The plugin ABI major, read from the header that defines it.
file(STRINGS ${PROJECT_SOURCE_DIR}/plugins/include/classifyd/plugin.h _abi
     REGEX "^#define CLASSIFYD_ABI_MAJOR [0-9]+")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" CLASSIFYD_ABI_MAJOR "${_abi}")

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/classifydConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/classifydConfig.cmake
  INSTALL_DESTINATION ${CLASSIFYD_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CLASSIFYD_INSTALL_PLUGIN_LIBDIR
            CLASSIFYD_INSTALL_CONFDIR)
# 0.x: a minor release may change the SDK, so only the same minor matches.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/classifydConfigVersion.cmake
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(EXPORT classifydTargets
  NAMESPACE classifyd::
  DESTINATION ${CLASSIFYD_INSTALL_CMAKEDIR})
install(FILES
    ${PROJECT_BINARY_DIR}/cmake/classifydConfig.cmake
    ${PROJECT_BINARY_DIR}/cmake/classifydConfigVersion.cmake
    ${PROJECT_SOURCE_DIR}/cmake/classifydPlugin.cmake
  DESTINATION ${CLASSIFYD_INSTALL_CMAKEDIR})

file(RELATIVE_PATH CLASSIFYD_PC_PREFIX_FROM_PCDIR
     ${CMAKE_INSTALL_PREFIX}/${CLASSIFYD_INSTALL_PKGCONFIGDIR}
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" CLASSIFYD_PC_PREFIX_FROM_PCDIR
       "${CLASSIFYD_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/classifyd-plugin.pc.in
               ${PROJECT_BINARY_DIR}/cmake/classifyd-plugin.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/classifyd-plugin.pc
  DESTINATION ${CLASSIFYD_INSTALL_PKGCONFIGDIR})
