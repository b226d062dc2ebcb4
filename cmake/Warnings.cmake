# Warnings are errors for the project's own code.
add_compile_options(-Wall -Wextra -Werror -Wno-unused-parameter)
# Clang checks the lock annotations (ABSL_GUARDED_BY and the like, over
# daemon/sync/mutex.h); GCC ignores them.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wthread-safety>)
endif()
