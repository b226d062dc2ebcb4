// A plugin whose entry point throws a C++ exception across the C ABI.
#include <classifyd/plugin.h>

#include <stdexcept>

extern "C" CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry(
    uint16_t, uint16_t) {
  throw std::runtime_error("entry point exploded");
}
