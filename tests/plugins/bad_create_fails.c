/* A plugin whose create() always fails with a message. */
#include <classifyd/plugin.h>
#include <string.h>

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  static const char kMessage[] = "model checksum mismatch (on purpose)";
  (void)config; (void)out;
  error->set_error(error->context, kMessage, strlen(kMessage));
  return CLASSIFYD_FAILED_PRECONDITION;
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
    sizeof(classifyd_plugin_api), CLASSIFYD_ABI_MAJOR, CLASSIFYD_ABI_MINOR,
    "create-fails", "1.0.0", 0, Create, Destroy, ListLabels, ClassifyBatch};

CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry(
    uint16_t host_abi_major, uint16_t host_abi_minor) {
  (void)host_abi_major; (void)host_abi_minor;
  return &kApi;
}
