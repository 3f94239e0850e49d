#include "celery/iso_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace gb::celery {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): dates read better

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int us = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
}

TEST(IsoTime, ReadsWhatPythonsIsoformatWrites) {
  auto t = parse_iso_time("2026-12-01T23:05:07.123456+00:00");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->at, utc(2026, 12, 1, 23, 5, 7, 123456));
  EXPECT_EQ(t->offset, minutes{0});

  t = parse_iso_time("2026-06-30T22:00:00.000500+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at, utc(2026, 6, 30, 20, 0, 0, 500));
  EXPECT_EQ(t->offset, minutes{120});

  t = parse_iso_time("2026-07-01T01:30:00-05:30");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at, utc(2026, 7, 1, 7, 0, 0));
  EXPECT_EQ(t->offset, minutes{-330});
}

TEST(IsoTime, FormatsAsPythonDoes) {
  for (const char* text : {"2026-12-01T23:05:07.123456+00:00", "2026-06-30T22:00:00.000500+02:00",
                           "2026-07-01T01:30:00-05:30", "2026-12-01T23:59:58.654321", "1678-01-01T00:00:00",
                           "2261-12-31T23:59:59.999999+00:00", "1969-12-31T23:59:59.500000+00:00"}) {
    auto t = parse_iso_time(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.error().message;
    EXPECT_EQ(format_iso_time(*t), text);
  }
  EXPECT_EQ(format_iso_time(utc_time(utc(2026, 1, 2, 3, 4, 5))), "2026-01-02T03:04:05+00:00");
  EXPECT_EQ(format_iso_time(IsoTime{utc(2026, 1, 2, 3, 4, 5, 10), std::nullopt}), "2026-01-02T03:04:05.000010");
  // Python has microseconds only: the rest is floored away.
  EXPECT_EQ(format_iso_time(utc_time(utc(2026, 1, 2, 3, 4, 5) + nanoseconds{999})), "2026-01-02T03:04:05+00:00");
}

TEST(IsoTime, AcceptsTheOtherFormsCeleryAccepts) {
  auto t = parse_iso_time("2026-12-01T23:05:07Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at, utc(2026, 12, 1, 23, 5, 7));
  EXPECT_EQ(t->offset, minutes{0});
  EXPECT_EQ(parse_iso_time("2026-12-01 23:05+0130")->at, utc(2026, 12, 1, 21, 35, 0));
  EXPECT_EQ(parse_iso_time("2026-12-01T23:05:07.5")->at, utc(2026, 12, 1, 23, 5, 7, 500000));
  EXPECT_EQ(parse_iso_time("2026-12-01T23:05:07.123456789")->at, utc(2026, 12, 1, 23, 5, 7) + nanoseconds{123456789});
  t = parse_iso_time("2026-12-01");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at, utc(2026, 12, 1, 0, 0, 0));
  EXPECT_FALSE(t->offset.has_value());
  EXPECT_TRUE(parse_iso_time("2028-02-29T00:00:00").ok());
}

TEST(IsoTime, RefusesWhatIsNotATime) {
  for (const char* text : {"",
                           "now",
                           "2026-13-01T00:00:00",
                           "2027-02-29T00:00:00",
                           "2026-02-30",
                           "0000-01-01",
                           "2026-12-01T24:00",
                           "2026-12-01T23:60",
                           "2026-12-01T23:05:61",
                           "2026-12-01T23:05:07.",
                           "2026-12-01T23:05:07.1234567890",
                           "2026-12-01T23:05:07+25:00",
                           "2026-12-01T23:05:07+01:60",
                           "2026-12-01T23:05:07 junk",
                           "2026-12-01X23:05",
                           "2026-1-01",
                           "+2026-12-01",
                           "2026-12-01T23",
                           "1733094307",
                           "0001-01-01T00:00:00",
                           "1677-12-31T23:59:59",
                           "2262-01-01T00:00:00",
                           "9999-12-31T23:59:59.999999+00:00"}) {
    auto t = parse_iso_time(text);
    EXPECT_FALSE(t.ok()) << text;
    if (!t.ok()) {
      EXPECT_EQ(t.error().kind, ErrorKind::kInvalidInput);
      EXPECT_NE(t.error().message.find("not an ISO 8601 time"), std::string::npos);
    }
  }
}

TEST(IsoTime, ErrorsQuoteLittleOfTheInputOnOneLine) {
  const std::string garbage = "2026-12-01T23:05:07\n" + std::string(500, 'x');
  auto t = parse_iso_time(garbage);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.find('\n'), std::string::npos);
  EXPECT_LT(t.error().message.size(), 160U);
  EXPECT_NE(t.error().message.find("\\x0a"), std::string::npos);
}

}  // namespace
}  // namespace gb::celery
