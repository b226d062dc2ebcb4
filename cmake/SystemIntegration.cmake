# What an operator's system needs beside the binaries: the systemd unit,
# sysusers.d and tmpfiles.d snippets, man pages (help2man, from each
# program's --help), bash completion, and the operator documentation.
# Installed by `cmake --install` and packaged by deploy/package.sh.
#
# Paths follow the prefix, except that for prefix /usr the systemd
# directories are the ones systemd's pkg-config file names (on Debian 12 the
# unit goes to /lib/systemd/system), where systemctl and debhelper look.
set(CLASSIFYD_INSTALL_UNITDIR lib/systemd/system)
set(CLASSIFYD_INSTALL_SYSUSERSDIR lib/sysusers.d)
set(CLASSIFYD_INSTALL_TMPFILESDIR lib/tmpfiles.d)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(_unitdir systemd systemdsystemunitdir)
  pkg_get_variable(_sysusersdir systemd sysusersdir)
  pkg_get_variable(_tmpfilesdir systemd tmpfilesdir)
  foreach(kind unit sysusers tmpfiles)
    string(TOUPPER ${kind} _upper)
    if(_${kind}dir)
      set(CLASSIFYD_INSTALL_${_upper}DIR ${_${kind}dir})
    endif()
  endforeach()
endif()

set(_deploy ${PROJECT_SOURCE_DIR}/deploy)
install(FILES ${_deploy}/systemd/classifyd.service
  DESTINATION ${CLASSIFYD_INSTALL_UNITDIR})
install(FILES ${_deploy}/systemd/classifyd.sysusers.conf
  DESTINATION ${CLASSIFYD_INSTALL_SYSUSERSDIR} RENAME classifyd.conf)
install(FILES ${_deploy}/systemd/classifyd.tmpfiles.conf
  DESTINATION ${CLASSIFYD_INSTALL_TMPFILESDIR} RENAME classifyd.conf)

# bash-completion loads a command's completion from a file of its name.
foreach(command classifyd classifyctl classifyd-train)
  install(FILES ${_deploy}/bash-completion/classifyd
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
    RENAME ${command})
endforeach()

install(FILES
    ${PROJECT_SOURCE_DIR}/docs/operations.md
    ${PROJECT_SOURCE_DIR}/docs/metrics.md
    ${PROJECT_SOURCE_DIR}/docs/deployment.md
    ${PROJECT_SOURCE_DIR}/docs/security.md
    ${PROJECT_SOURCE_DIR}/docs/plugins.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages. help2man runs each built program with --help; the program is
# found on PATH so its usage line names the command, not the build path.
find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(STATUS "help2man not found: no man pages (deploy/setup.sh installs it)")
  return()
endif()
set(_man_dir ${PROJECT_BINARY_DIR}/man/man1)
set(_man_pages)
function(_classifyd_man_page target summary)
  set(page ${_man_dir}/${target}.1)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_dir}
    COMMAND ${CMAKE_COMMAND} -E env
      "PATH=$<TARGET_FILE_DIR:${target}>:$ENV{PATH}"
      ${HELP2MAN} --no-info --no-discard-stderr
      --version-string=${PROJECT_VERSION}
      --name=${summary}
      --include=${PROJECT_SOURCE_DIR}/deploy/man/see-also.h2m
      --output=${page} ${target}
    DEPENDS ${target} ${PROJECT_SOURCE_DIR}/deploy/man/see-also.h2m
    VERBATIM)
  set(_man_pages ${_man_pages} ${page} PARENT_SCOPE)
endfunction()
_classifyd_man_page(classifyd "content-classification daemon (gRPC)")
_classifyd_man_page(classifyctl "command-line client of classifyd")
_classifyd_man_page(classifyd-train "train and evaluate classifyd's fastText models")
add_custom_target(classifyd_man_pages ALL DEPENDS ${_man_pages})
install(FILES ${_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
