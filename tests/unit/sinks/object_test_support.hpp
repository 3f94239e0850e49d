#pragma once
// Helpers for the object landing tests: sources of batches, reading files
// back through independent paths (zlib directly, OpenSSL's one-shot digest,
// nlohmann::json), records with known keys.
#include <openssl/evp.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "records/record.hpp"
#include "records/record_parser.hpp"
#include "sinks/types.hpp"

namespace gb::sinks::test {

namespace fs = std::filesystem;

// Hands out copies of its batches; optionally fails with `fail` instead of
// the batch at index `fail_at`, or calls `before` before each batch.
class VectorSource final : public BatchSource {
 public:
  explicit VectorSource(std::vector<records::RecordBatch> batches) : batches_(std::move(batches)) {}
  Result<bool> next(records::RecordBatch& batch) override {
    ++calls;
    batch.clear();
    if (fail_at && next_ == *fail_at) return fail;
    if (before) before(next_);
    if (next_ >= batches_.size()) return false;
    batch = batches_[next_++];
    return true;
  }
  int calls = 0;
  std::optional<std::size_t> fail_at;
  Error fail = transient_error("connection reset while downloading the chunk");
  std::function<void(std::size_t)> before;

 private:
  std::vector<records::RecordBatch> batches_;
  std::size_t next_ = 0;
};

// A record of `pad` bytes of payload with key "<chunk>-<i>".
inline std::string record_json(const std::string& key, std::size_t pad) {
  return "{\"id\":\"" + key + "\",\"payload\":\"" + std::string(pad, 'x') + "\"}";
}

// `n` records in batches of `per_batch`, parsed by records' own parser (as
// the pipeline's batches are). Keys are "<chunk_id>-<i>".
inline std::vector<records::RecordBatch> make_batches(const std::string& chunk_id, std::size_t n,
                                                      std::size_t per_batch = 100, std::size_t pad = 50) {
  records::RecordParser parser(records::KeyField::kId);
  std::vector<records::RecordBatch> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % per_batch == 0) out.emplace_back();
    parser.parse(record_json(chunk_id + "-" + std::to_string(i), pad + (i % 7)), i, out.back());
  }
  return out;
}

inline std::vector<std::string> keys_of(const std::string& chunk_id, std::size_t n) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(chunk_id + "-" + std::to_string(i));
  return keys;
}

// What the chunk object must hold: each record's raw bytes + '\n', in order.
inline std::string expected_ndjson(const std::vector<records::RecordBatch>& batches) {
  std::string out;
  for (const auto& b : batches) {
    for (const auto& r : b.records) out += r.raw + "\n";
  }
  return out;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw std::runtime_error("inflate");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return out;
}

inline std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

inline std::string base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("base64");
  std::size_t len = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() > 1 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) throw std::runtime_error("last line without a newline");
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

// Every regular file under `dir`, as paths relative to it, sorted.
inline std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Modification time in nanoseconds.
inline long long mtime_ns(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("stat " + path.string());
  return static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
}

}  // namespace gb::sinks::test
