#pragma once
// Which implementation classifies the bytes of a JSON body in 64-byte blocks.
namespace gb::records {

enum class ScanKernel {
  kAuto,    // the fastest this CPU supports
  kScalar,  // portable C++, one byte at a time into bit masks
  kSse2,    // x86-64 SSE2, which every x86-64 CPU has
  kAvx2,    // x86-64 AVX2 + PCLMULQDQ; only where the CPU has them
};

// True when `kernel` can run on this CPU (kAuto and kScalar always can).
bool scan_kernel_supported(ScanKernel kernel);

// kAuto -> the concrete kernel it stands for. Throws std::invalid_argument for
// a kernel this CPU lacks (a start-up misconfiguration, not an I/O error).
ScanKernel resolve_scan_kernel(ScanKernel kernel);

const char* to_string(ScanKernel kernel);

}  // namespace gb::records
