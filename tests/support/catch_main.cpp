#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// ThreadSanitizer, for every test executable: Debian's libcpp-httplib (the test servers) is not
// instrumented, so its workers' internal hand-offs look like races to TSan (memcpy/memcmp inside
// the library with no frame of ours). Our own code is still checked; only reports from
// interceptors called by that library are suppressed. Unused outside TSan builds.
extern "C" __attribute__((visibility("default"))) const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so\n";
}
