#pragma once
// Landing into an object store (S3, a directory): one NDJSON object per chunk
// at a deterministic key, the ledger in a StateStore. See landing.hpp for the
// contract; here it is kept like this:
//  - the object is written whole or not at all (ObjectWrite::commit), then
//    the ledger row commits; a crash between the two leaves an object that
//    the retry overwrites with the same bytes (records in the chunk's order,
//    gzip without a timestamp);
//  - a chunk's quarantined records go to their own object beside it;
//  - the job's manifest is written last, when every chunk has landed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "records/record.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"

namespace gb::sinks {

// One object being written. write() appends; commit() makes the whole object
// visible at its key at once, replacing any object there. Destroying it
// without a commit leaves nothing visible (and cleans up what it can).
class ObjectWrite {
 public:
  virtual ~ObjectWrite() = default;
  virtual Status write(std::string_view bytes) = 0;
  virtual Status commit() = 0;
};

// The raw operations of an object store (s3/, files/). Thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Starts writing the object at `key` (a relative path: segments separated
  // by '/', no empty, "." or ".." segment).
  virtual Result<std::unique_ptr<ObjectWrite>> begin_write(const std::string& key) = 0;
  // Reads the object at `key` whole, in pieces, in order. An absent object
  // is kPermanent ("no object at ..."); a network failure is kTransient.
  virtual Status read(const std::string& key, const std::function<Status(std::string_view)>& consume) = 0;
  // Where `key` is, for logs and messages ("s3://bucket/prefix/key", "/dir/key").
  virtual std::string describe(const std::string& key) const = 0;
  // How many objects it writes at once well.
  virtual int max_concurrent_writes() const = 0;
  // The most memory one ObjectWrite holds (what it buffers before a file
  // or the network takes it).
  virtual std::uint64_t memory_per_write() const = 0;
};

struct ObjectLandingSettings {
  std::string prefix;  // keys start with it ("" or segments without a trailing '/')
  bool gzip = false;   // objects as .ndjson.gz
  // The field that carries a record's key for an export type, to read keys
  // back (read_landed_keys). Given by the composition root (api/ knows it).
  std::function<records::KeyField(const std::string& type)> key_field_of;
};

class ObjectLanding final : public Landing {
 public:
  // Borrows both: they must outlive it.
  ObjectLanding(ObjectStore& objects, StateStore& state, ObjectLandingSettings settings);

  Result<LandResult> land(const ChunkRef& chunk, BatchSource& source, int attempts,
                          const std::optional<std::string>& next_cursor) override;
  int max_concurrent_landings() const override;
  // Per landing: two objects open at once (the chunk's and its
  // quarantine's), each with its store's buffer and our encoding buffers.
  std::uint64_t memory_bytes() const override;
  // Writes PREFIX/TYPE/JOB_ID/_manifest.json: every chunk's key, record
  // count, quarantined count, bytes and SHA-256.
  Status finish_job(const JobInfo& job, const std::vector<ChunkStatus>& chunks) override;
  Result<LandedKeys> read_landed_keys(const std::string& job_id) override;

  // PREFIX/TYPE/JOB_ID/CHUNK_ID.ndjson[.gz]
  std::string chunk_key(const ChunkRef& chunk) const;

 private:
  ObjectStore& objects_;
  StateStore& state_;
  ObjectLandingSettings settings_;
};

}  // namespace gb::sinks
