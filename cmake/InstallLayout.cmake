# Where `cmake --install` puts things (docs/deployment.md, "Install
# layout"). Paths are relative to the prefix unless they must not be.
include(GNUInstallDirs)

set(CLASSIFYD_INSTALL_PLUGIN_LIBDIR ${CMAKE_INSTALL_LIBDIR}/classifyd/plugins)
set(CLASSIFYD_INSTALL_MODELDIR ${CMAKE_INSTALL_DATADIR}/classifyd/models)
set(CLASSIFYD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/classifyd)
set(CLASSIFYD_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Settings and manifests go to <sysconfdir>/classifyd. GNUInstallDirs makes
# that /etc for prefix /usr (and /etc/opt/X for /opt/X); for any other
# prefix it is <prefix>/etc, and then the destination stays relative so that
# `cmake --install --prefix DIR` puts it under DIR like everything else.
set(CLASSIFYD_INSTALL_FULL_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/classifyd)
if(CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL
   "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}")
  set(CLASSIFYD_INSTALL_CONFDIR ${CMAKE_INSTALL_SYSCONFDIR}/classifyd)
else()
  set(CLASSIFYD_INSTALL_CONFDIR ${CLASSIFYD_INSTALL_FULL_CONFDIR})
endif()
