/* A plugin that ends the process the way careless library code does: a
 * document containing `exit_marker` (manifest option) makes classify_batch
 * call exit() with `exit_status` (option, default 0). Every other document
 * gets the label "ok". The daemon must not take that for a clean stop. */
#include <classifyd/plugin.h>
#include <stdlib.h>
#include <string.h>

#define OPTION_CAPACITY 256

typedef struct classifyd_instance {
  char marker[OPTION_CAPACITY];
  int status;
} Instance;

static int KeyIs(const classifyd_option* option, const char* key) {
  return option->key.size == strlen(key) &&
         memcmp(option->key.data, key, option->key.size) == 0;
}

static void CopyOption(const classifyd_string* value, char* out) {
  size_t n =
      value->size < OPTION_CAPACITY - 1 ? value->size : OPTION_CAPACITY - 1;
  memcpy(out, value->data, n);
  out[n] = '\0';
}

static int Contains(const classifyd_string* text, const char* marker) {
  size_t m = strlen(marker);
  if (m == 0 || m > text->size) return 0;
  for (size_t i = 0; i + m <= text->size; ++i) {
    if (memcmp(text->data + i, marker, m) == 0) return 1;
  }
  return 0;
}

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)error;
  Instance* instance = calloc(1, sizeof(Instance));
  if (instance == NULL) return CLASSIFYD_RESOURCE_EXHAUSTED;
  for (size_t i = 0; i < config->option_count; ++i) {
    const classifyd_option* o = &config->options[i];
    if (KeyIs(o, "exit_marker")) CopyOption(&o->value, instance->marker);
    if (KeyIs(o, "exit_status")) {
      char value[OPTION_CAPACITY];
      CopyOption(&o->value, value);
      instance->status = atoi(value);
    }
  }
  *out = instance;
  return CLASSIFYD_OK;
}

static void Destroy(classifyd_instance* instance) { free(instance); }

static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  (void)instance;
  sink->add(sink->context, "ok", 2);
  return CLASSIFYD_OK;
}

static classifyd_status ClassifyBatch(classifyd_instance* instance,
                                      const classifyd_document* documents,
                                      size_t count,
                                      const classifyd_classify_options* options,
                                      const classifyd_result_sink* sink) {
  (void)options;
  for (size_t i = 0; i < count; ++i) {
    if (Contains(&documents[i].text, instance->marker)) exit(instance->status);
  }
  for (size_t i = 0; i < count; ++i) {
    sink->add_label(sink->context, i, "ok", 2, 0.9f, NULL, 0);
  }
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {sizeof(classifyd_plugin_api),
                                          CLASSIFYD_ABI_MAJOR,
                                          CLASSIFYD_ABI_MINOR,
                                          "exit-call",
                                          "1.0.0",
                                          0,
                                          Create,
                                          Destroy,
                                          ListLabels,
                                          ClassifyBatch};

CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry(
    uint16_t host_abi_major, uint16_t host_abi_minor) {
  (void)host_abi_major;
  (void)host_abi_minor;
  return &kApi;
}
