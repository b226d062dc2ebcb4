/* Small helpers the purpose-built C test plugins share: reading manifest
 * options, finding marker strings in documents, the entry point. Header only
 * (static inline), so each plugin stays one self-contained shared library. */
#ifndef CLASSIFYD_TESTS_PLUGINS_TEST_PLUGIN_UTIL_H_
#define CLASSIFYD_TESTS_PLUGINS_TEST_PLUGIN_UTIL_H_

#include <classifyd/plugin.h>
#include <string.h>

/* Whether `option`'s key is `key`. */
static inline int OptionKeyIs(const classifyd_option* option, const char* key) {
  return option->key.size == strlen(key) &&
         memcmp(option->key.data, key, option->key.size) == 0;
}

/* Whether `text` contains `marker`; an empty marker is never contained. */
static inline int TextContains(const classifyd_string* text,
                               const char* marker) {
  size_t m = strlen(marker);
  if (m == 0 || m > text->size) return 0;
  for (size_t i = 0; i + m <= text->size; ++i) {
    if (memcmp(text->data + i, marker, m) == 0) return 1;
  }
  return 0;
}

/* Whether `option` is `key` = `value`. */
static inline int OptionIs(const classifyd_option* option, const char* key,
                           const char* value) {
  return OptionKeyIs(option, key) && option->value.size == strlen(value) &&
         memcmp(option->value.data, value, option->value.size) == 0;
}

/* Defines the entry point, returning the static table `api` whatever the
 * host's version (the host checks the versions itself). */
#define CLASSIFYD_TEST_PLUGIN_ENTRY(api)                               \
  CLASSIFYD_EXPORT const classifyd_plugin_api* classifyd_plugin_entry( \
      uint16_t host_abi_major, uint16_t host_abi_minor) {              \
    (void)host_abi_major;                                              \
    (void)host_abi_minor;                                              \
    return &(api);                                                     \
  }

#endif /* CLASSIFYD_TESTS_PLUGINS_TEST_PLUGIN_UTIL_H_ */
