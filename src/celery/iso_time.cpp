#include "celery/iso_time.hpp"

#include <cstdint>

#include "celery/detail/text.hpp"

namespace gb::celery {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

// A cursor over the text; every reader fails (returns false) without moving
// past the end.
struct Reader {
  std::string_view text;
  std::size_t at = 0;

  bool done() const { return at == text.size(); }
  bool peek(char c) const { return at < text.size() && text[at] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++at;
    return true;
  }
  // Exactly `count` decimal digits.
  bool digits(int count, int& value) {
    value = 0;
    for (int i = 0; i < count; ++i) {
      if (at >= text.size() || text[at] < '0' || text[at] > '9') return false;
      value = value * 10 + (text[at++] - '0');
    }
    return true;
  }
};

Error bad_time(std::string_view text, std::string_view why) {
  return invalid_input("not an ISO 8601 time (" + std::string(why) + "): " + detail::quote_for_error(text));
}

void append_2(std::string& out, std::int64_t value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

}  // namespace

Result<IsoTime> parse_iso_time(std::string_view text) {
  Reader r{text};
  int year = 0;
  int month = 0;
  int day = 0;
  if (!r.digits(4, year) || !r.eat('-') || !r.digits(2, month) || !r.eat('-') || !r.digits(2, day)) {
    return bad_time(text, "no YYYY-MM-DD date");
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return bad_time(text, "no such date");
  // system_clock counts nanoseconds in 64 bits: about 1677-2262.
  if (year < kMinYear || year > kMaxYear) return bad_time(text, "year out of range 1678-2261");
  int hour = 0;
  int minute = 0;
  int second = 0;
  nanoseconds fraction{0};
  std::optional<minutes> offset;
  if (!r.done()) {
    if (!r.eat('T') && !r.eat('t') && !r.eat(' ')) return bad_time(text, "no 'T' after the date");
    if (!r.digits(2, hour) || !r.eat(':') || !r.digits(2, minute)) return bad_time(text, "no HH:MM time");
    if (r.eat(':')) {
      if (!r.digits(2, second)) return bad_time(text, "bad seconds");
      if (r.eat('.')) {
        int count = 0;
        std::int64_t value = 0;
        while (!r.done() && r.text[r.at] >= '0' && r.text[r.at] <= '9') {
          if (++count > 9) return bad_time(text, "more than 9 fraction digits");
          value = value * 10 + (r.text[r.at++] - '0');
        }
        if (count == 0) return bad_time(text, "no digits after '.'");
        for (int i = count; i < 9; ++i) value *= 10;
        fraction = nanoseconds{value};
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return bad_time(text, "no such time of day");
    if (r.eat('Z') || r.eat('z')) {
      offset = minutes{0};
    } else if (r.peek('+') || r.peek('-')) {
      const int sign = r.text[r.at++] == '-' ? -1 : 1;
      int oh = 0;
      int om = 0;
      if (!r.digits(2, oh)) return bad_time(text, "bad UTC offset");
      r.eat(':');
      if (!r.digits(2, om) || oh > 23 || om > 59) return bad_time(text, "bad UTC offset");
      offset = minutes{sign * (oh * 60 + om)};
    }
    if (!r.done()) return bad_time(text, "unexpected text after the time");
  }
  const auto local = std::chrono::sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + fraction;
  IsoTime out;
  out.at = std::chrono::time_point_cast<std::chrono::system_clock::duration>(local - offset.value_or(minutes{0}));
  out.offset = offset;
  return out;
}

std::string format_iso_time(const IsoTime& time) {
  const auto local = std::chrono::floor<microseconds>(time.at + time.offset.value_or(minutes{0}));
  const auto day = std::chrono::floor<days>(local);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{local - day};
  std::string out;
  out.reserve(32);
  const int year = static_cast<int>(date.year());
  if (year >= 0 && year <= 9999) {
    append_2(out, year / 100);
    append_2(out, year % 100);
  } else {
    out += std::to_string(year);  // not a time Python can hold: shown, not formatted
  }
  out += '-';
  append_2(out, static_cast<unsigned>(date.month()));
  out += '-';
  append_2(out, static_cast<unsigned>(date.day()));
  out += 'T';
  append_2(out, clock.hours().count());
  out += ':';
  append_2(out, clock.minutes().count());
  out += ':';
  append_2(out, clock.seconds().count());
  if (const auto us = clock.subseconds().count(); us != 0) {
    out += '.';
    std::string digits = std::to_string(us);
    out.append(6 - digits.size(), '0');
    out += digits;
  }
  if (time.offset) {
    const auto total = time.offset->count();
    out += total < 0 ? '-' : '+';
    const auto magnitude = total < 0 ? -total : total;
    append_2(out, magnitude / 60);
    out += ':';
    append_2(out, magnitude % 60);
  }
  return out;
}

}  // namespace gb::celery
