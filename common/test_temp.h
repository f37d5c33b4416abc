// Test-only: a private scratch folder per test process.
//
// ctest runs test processes side by side (the two parameterisations of one
// test at once, a Release and a sanitizer binary, ...), so a fixed file name
// under /tmp is a race: one process reads what the other is half-way through
// writing. Every test that writes a file takes its path from here. The folder
// is removed at exit unless SYSTOLE_KEEP_TEMP is set (then its path is printed).
#ifndef SYSTOLE_COMMON_TEST_TEMP_H_
#define SYSTOLE_COMMON_TEST_TEMP_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace systole::testing {

inline const std::string& ProcessTempDir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/systole_test_XXXXXX";
    char* d = mkdtemp(tmpl.data());
    if (d == nullptr) {
      std::fprintf(stderr, "cannot create a temporary folder from %s\n", tmpl.c_str());
      std::abort();
    }
    auto* path = new std::string(d);
    if (std::getenv("SYSTOLE_KEEP_TEMP") == nullptr) {
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(ProcessTempDir(), ec);
      });
    } else {
      std::printf("keeping %s\n", d);
    }
    return path;
  }();
  return *dir;
}

// `name` inside this process's scratch folder.
inline std::string TempPath(const std::string& name) { return ProcessTempDir() + "/" + name; }

}  // namespace systole::testing

#endif  // SYSTOLE_COMMON_TEST_TEMP_H_
