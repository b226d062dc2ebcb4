/* A shared library that is not a classifyd plugin: no entry symbol. */
#include <classifyd/plugin.h>

CLASSIFYD_EXPORT int not_a_plugin(void) { return 42; }
