/* A plugin that needs a newer minor ABI than the host has. */
#include <classifyd/plugin.h>

static const classifyd_plugin_api kApi = {
    sizeof(classifyd_plugin_api), CLASSIFYD_ABI_MAJOR,
    CLASSIFYD_ABI_MINOR + 1, "newer", "1.0.0", 0, 0, 0, 0, 0};

CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry(
    uint16_t host_abi_major, uint16_t host_abi_minor) {
  (void)host_abi_major; (void)host_abi_minor;
  return &kApi;
}
