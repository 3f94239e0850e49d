// The ISA-L wrapper on its own: gzip bodies as the network hands them over,
// in pieces cut anywhere, several members, corrupt, truncated, and a bomb.
#include "http/detail/gzip_inflater.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "testing/gzip.hpp"

namespace gb::http::detail {
namespace {

// JSON-ish text with some variety, so the encoding has literals and matches.
std::string sample(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) {
    s += "{\"id\":\"" + std::to_string(i * 7919 % 10007) + "\",\"name\":\"r\xc3\xa9sum\xc3\xa9 " + std::to_string(i) +
         "\"},";
  }
  s.resize(n);
  return s;
}

struct Decoded {
  std::string bytes;
  Status status = ok_status();
};

// Feeds `encoded` cut at the given offsets (ascending), then finishes.
Decoded decode(std::string_view encoded, std::initializer_list<std::size_t> cuts) {
  GzipInflater inflater;
  Decoded d;
  const auto out = [&](std::string_view b) {
    EXPECT_LE(b.size(), GzipInflater::kBlockBytes);
    d.bytes.append(b);
    return true;
  };
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    if (d.status = inflater.write(encoded.substr(at, cut - at), out); !d.status.ok()) return d;
    at = cut;
  }
  if (d.status = inflater.write(encoded.substr(at), out); !d.status.ok()) return d;
  d.status = inflater.finish();
  return d;
}

TEST(GzipInflater, DecodesABodySplitAtEveryOffset) {
  const std::string plain = sample(3000);
  const std::string encoded = gzip(plain);
  for (std::size_t cut = 0; cut <= encoded.size(); ++cut) {
    auto d = decode(encoded, {cut});
    ASSERT_TRUE(d.status.ok()) << "cut at " << cut << ": " << d.status.error().describe();
    ASSERT_EQ(d.bytes, plain) << "cut at " << cut;
  }
}

TEST(GzipInflater, DecodesOneByteAtATimeAndAtTheWrapperEdges) {
  const std::string plain = sample(400'000);  // several output blocks
  const std::string encoded = gzip(plain);
  const std::size_t n = encoded.size();
  // Inside the 10-byte header, at its end, inside the 8-byte trailer.
  auto d = decode(encoded, {1, 2, 3, 9, 10, 11, n - 8, n - 7, n - 4, n - 1});
  ASSERT_TRUE(d.status.ok()) << d.status.error().describe();
  EXPECT_EQ(d.bytes, plain);
  GzipInflater inflater;
  std::string bytes;
  for (char c : encoded) {
    ASSERT_TRUE(inflater
                    .write(std::string_view(&c, 1),
                           [&](std::string_view b) {
                             bytes.append(b);
                             return true;
                           })
                    .ok());
  }
  EXPECT_TRUE(inflater.finish().ok());
  EXPECT_EQ(bytes, plain);
}

TEST(GzipInflater, MultiMemberBodyIsTheConcatenationAtEverySplit) {
  const std::string a = sample(1000), b = "second member", c = sample(5000);
  std::string encoded = gzip(a);
  encoded += gzip(b, 1);
  encoded += gzip(c, 9);
  for (std::size_t cut = 0; cut <= encoded.size(); ++cut) {
    auto d = decode(encoded, {cut});
    ASSERT_TRUE(d.status.ok()) << "cut at " << cut << ": " << d.status.error().describe();
    ASSERT_EQ(d.bytes, a + b + c) << "cut at " << cut;
  }
  GzipInflater inflater;
  ASSERT_TRUE(inflater.write(encoded, [](std::string_view) { return true; }).ok());
  EXPECT_EQ(inflater.members(), 3u);
}

TEST(GzipInflater, EveryTruncationIsATransientError) {
  const std::string encoded = gzip(sample(2000)) + gzip("and more");
  const std::size_t first_end = gzip(sample(2000)).size();
  for (std::size_t len = 1; len < encoded.size(); ++len) {
    auto d = decode(encoded.substr(0, len), {});
    if (len == first_end) {  // a whole first member is a whole body
      EXPECT_TRUE(d.status.ok());
      continue;
    }
    ASSERT_FALSE(d.status.ok()) << "length " << len;
    EXPECT_EQ(d.status.error().kind, ErrorKind::kTransient);
    EXPECT_NE(d.status.error().message.find("truncated"), std::string::npos) << d.status.error().message;
  }
  EXPECT_TRUE(decode("", {}).status.ok());  // nothing encoded: an empty body
}

TEST(GzipInflater, CorruptBodiesAreTransientErrors) {
  const std::string plain = sample(50'000);
  const std::string encoded = gzip(plain);
  std::string bad_magic = encoded;
  bad_magic[0] = 'x';
  std::string bad_data = encoded;
  bad_data[encoded.size() / 2] ^= 0x55;
  std::string bad_crc = encoded;
  bad_crc[encoded.size() - 6] ^= 0x01;
  std::string bad_length = encoded;
  bad_length[encoded.size() - 2] ^= 0x01;
  std::string trailing_garbage = encoded + "garbage!!!";
  for (const auto* body : {&bad_magic, &bad_data, &bad_crc, &bad_length, &trailing_garbage}) {
    auto d = decode(*body, {});
    ASSERT_FALSE(d.status.ok());
    EXPECT_EQ(d.status.error().kind, ErrorKind::kTransient);
    EXPECT_NE(d.status.error().message.find("corrupt gzip stream"), std::string::npos) << d.status.error().message;
  }
  EXPECT_EQ(decode(plain, {}).status.error().kind, ErrorKind::kTransient);  // identity bytes are not gzip
}

// So the transport's cap counts them: a body already over it stops there,
// instead of failing as corrupt with its last block unseen.
TEST(GzipInflater, BytesDecodedBeforeAFaultAreHandedOnFirst) {
  const std::string plain = sample(300'000);  // more than two output blocks
  std::string bad_crc = gzip(plain);
  bad_crc[bad_crc.size() - 6] ^= 0x01;
  for (std::size_t cut : {std::size_t{0}, bad_crc.size() / 2, bad_crc.size() - 3}) {
    auto d = decode(bad_crc, {cut});
    ASSERT_FALSE(d.status.ok());
    EXPECT_EQ(d.status.error().kind, ErrorKind::kTransient);
    EXPECT_EQ(d.bytes, plain) << "cut at " << cut;
  }
}

// A member whose header carries every optional field: FEXTRA, FNAME,
// FCOMMENT and FHCRC (the CRC-16 of the header bytes before it), with
// `plain` deflated after it; `flags` adds bits to FLG.
std::string gzip_with_header_fields(std::string_view plain, std::uint8_t flags = 0, bool good_header_crc = true) {
  const std::string member = gzip(plain);
  std::string header("\x1f\x8b\x08", 3);
  header += static_cast<char>(0x02 | 0x04 | 0x08 | 0x10 | flags);
  header += std::string("\0\0\0\0\0\x03", 6);
  header += std::string(
      "\x04\x00"
      "ab\x00\x01",
      6);  // XLEN 4, then 4 bytes
  header += std::string("chunk.json\0", 11);
  header += std::string("a comment\0", 10);
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(header.data()), static_cast<uInt>(header.size()));
  if (!good_header_crc) crc ^= 1;
  header += static_cast<char>(crc & 0xff);
  header += static_cast<char>((crc >> 8) & 0xff);
  return header + member.substr(10);  // zlib's member has the bare 10-byte header
}

// Found by fuzz_gzip_inflater (fuzz/corpus/gzip_inflater/header_fields):
// ISA-L checked FHCRC against the wrong bytes when the header came in
// pieces, so a valid body was "corrupt" at some network slicings.
TEST(GzipInflater, OptionalHeaderFieldsDecodeAtEverySplit) {
  const std::string plain = sample(500);
  const std::string encoded = gzip_with_header_fields(plain);
  for (std::size_t cut = 0; cut <= encoded.size(); ++cut) {
    auto d = decode(encoded, {cut});
    ASSERT_TRUE(d.status.ok()) << "cut at " << cut << ": " << d.status.error().describe();
    ASSERT_EQ(d.bytes, plain) << "cut at " << cut;
  }
  const std::string bad_crc = gzip_with_header_fields(plain, 0, false);
  for (std::size_t cut = 0; cut <= bad_crc.size(); ++cut) {
    auto d = decode(bad_crc, {cut});
    ASSERT_FALSE(d.status.ok()) << "cut at " << cut;
    EXPECT_EQ(d.status.error().kind, ErrorKind::kTransient);
    EXPECT_NE(d.status.error().message.find("header CRC mismatch"), std::string::npos) << d.status.error().message;
  }
}

// Found by fuzz_gzip_inflater (fuzz/corpus/gzip_inflater/reserved_flag):
// ISA-L ignored FLG's reserved bits, which RFC 1952 says must be an error
// (they may announce a field that changes how the rest is read).
TEST(GzipInflater, ReservedHeaderFlagsAreCorrupt) {
  for (const std::uint8_t bit : {0x20, 0x40, 0x80}) {
    std::string encoded = gzip("abc");
    encoded[3] = static_cast<char>(encoded[3] | bit);
    for (const auto& d : {decode(encoded, {}), decode(encoded, {3}), decode(encoded, {4})}) {
      ASSERT_FALSE(d.status.ok());
      EXPECT_EQ(d.status.error().kind, ErrorKind::kTransient);
      EXPECT_NE(d.status.error().message.find("reserved header flags"), std::string::npos) << d.status.error().message;
    }
    auto d = decode(gzip_with_header_fields("abc", bit), {});
    ASSERT_FALSE(d.status.ok());
    EXPECT_NE(d.status.error().message.find("reserved header flags"), std::string::npos);
  }
}

TEST(GzipInflater, ABombIsHandedOverInBoundedBlocksAndStopsWhenRefused) {
  // 64 MB of zeros is about 64 KB of gzip.
  const std::string encoded = gzip(std::string(std::size_t{64} << 20, '\0'), 9);
  ASSERT_LT(encoded.size(), std::size_t{100} << 10);
  GzipInflater inflater;
  std::size_t seen = 0, calls = 0;
  const std::size_t cap = std::size_t{1} << 20;
  auto st = inflater.write(encoded, [&](std::string_view b) {
    EXPECT_LE(b.size(), GzipInflater::kBlockBytes);
    ++calls;
    seen += b.size();
    return seen <= cap;  // what the transport does at its size cap
  });
  EXPECT_TRUE(st.ok());
  EXPECT_LE(seen, cap + GzipInflater::kBlockBytes);
  EXPECT_EQ(calls, cap / GzipInflater::kBlockBytes + 1);
}

}  // namespace
}  // namespace gb::http::detail
