# Run at install time (install(CODE) in models/CMakeLists.txt): writes the
# bundled manifests with their `model = "../<dir>/<file>"` paths (relative
# to models/plugins.d in the source tree) rewritten to the absolute path of
# the installed model, under the prefix chosen at install time; a
# `calibration = "../<dir>/<file>"` line likewise.
#
# In: CLASSIFYD_MANIFESTS (source manifests), CLASSIFYD_STAGE_DIR (where to
# write), CLASSIFYD_MODEL_DIR (installed models, absolute, without DESTDIR).
file(MAKE_DIRECTORY ${CLASSIFYD_STAGE_DIR})
foreach(manifest IN LISTS CLASSIFYD_MANIFESTS)
  file(READ ${manifest} text)
  string(REGEX MATCH "\nmodel = \"[^\"\n]*\"" model_line "\n${text}")
  if(NOT model_line MATCHES "\"\\.\\./[^\"]+\"$")
    message(FATAL_ERROR "${manifest}: expected a model line of the form "
                        "model = \"../<dir>/<file>\" to rewrite for install")
  endif()
  string(REGEX REPLACE "(^|\n)(model|calibration) = \"\\.\\./"
         "\\1\\2 = \"${CLASSIFYD_MODEL_DIR}/" text "${text}")
  get_filename_component(name ${manifest} NAME)
  file(WRITE ${CLASSIFYD_STAGE_DIR}/${name} "${text}")
endforeach()
