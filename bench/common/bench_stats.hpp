#pragma once
// What every benchmark measures with: medians of runs, a process's peak RSS,
// a fresh SQLite file. Header-only; benchmarks only.
#include <fmt/format.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace gb::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

// VmHWM of a live process in KiB (0 once it is gone). Per address space, so
// unlike a child's ru_maxrss it does not include the RSS of the (big,
// simulator-holding) parent that the child inherited before its exec.
inline long vm_hwm_kib(pid_t pid) {
  std::FILE* f = std::fopen(fmt::format("/proc/{}/status", pid).c_str(), "r");
  if (f == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

// A SQLite file and its WAL companions, so the next run starts empty.
inline void remove_sqlite_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace gb::bench
