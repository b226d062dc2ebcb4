/* A plugin built for a future ABI major: the host must refuse it. */
#include <classifyd/plugin.h>

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)config; (void)error; (void)out;
  return CLASSIFYD_INTERNAL; /* Never reached: the host refuses first. */
}
static void Destroy(classifyd_instance* instance) { (void)instance; }
static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  (void)instance; (void)sink;
  return CLASSIFYD_OK;
}
static classifyd_status ClassifyBatch(
    classifyd_instance* instance, const classifyd_document* documents,
    size_t count, const classifyd_classify_options* options,
    const classifyd_result_sink* sink) {
  (void)instance; (void)documents; (void)count; (void)options; (void)sink;
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {
    sizeof(classifyd_plugin_api), CLASSIFYD_ABI_MAJOR + 1, 0,
    "future", "9.0.0", 0, Create, Destroy, ListLabels, ClassifyBatch};

CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry(
    uint16_t host_abi_major, uint16_t host_abi_minor) {
  (void)host_abi_major; (void)host_abi_minor;
  return &kApi;
}
