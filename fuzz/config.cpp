// Fuzzes what a user's configuration hands the program as text: the
// credentials file (config::parse_credentials_text, validate_credentials),
// where the org lives (api::resolve_hosts: region, environment, URLs), the
// export type (api::ExportType::parse) and the --sink URL
// (app::check_store_urls: every store's URL, S3's parsed whole).
//
// Input: byte 0 picks the parser, the rest is its text:
//   0 a credentials file
//   1 four lines: region, environment domain, login URL, API URL
//   2 an export type          3 a sink URL
// Checks: errors are kInvalidInput; no error depends on the client secret's
// value (the file parsed again with the secret's characters replaced gives
// the same message: a secret never reaches an error); resolved hosts are
// https://login.X and https://api.X or the given URLs, normalized; an export
// type prints back to itself; a sink URL is taken or refused as bad input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/jobs_api.hpp"
#include "api/regions.hpp"
#include "app/store_url.hpp"
#include "config/credentials.hpp"
#include "config/validate.hpp"
#include "http/url.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::string_view next_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  const std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return line;
}

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// The text with every visible character of each client_secret value replaced
// by a different visible one (the parser's structure - lines, '=', trimmed
// blanks, control characters - is left as it was).
std::string mask_secrets(std::string_view text) {
  std::string out(text);
  std::size_t line_start = 0;
  while (line_start < out.size()) {
    std::size_t line_end = out.find('\n', line_start);
    if (line_end == std::string::npos) line_end = out.size();
    const std::size_t eq = out.find('=', line_start);
    if (eq != std::string::npos && eq < line_end) {
      std::size_t key_begin = line_start;
      std::size_t key_end = eq;
      while (key_begin < key_end && blank(out[key_begin])) ++key_begin;
      while (key_end > key_begin && blank(out[key_end - 1])) --key_end;
      if (std::string_view(out).substr(key_begin, key_end - key_begin) == "client_secret") {
        for (std::size_t i = eq + 1; i < line_end; ++i) {
          const auto u = static_cast<unsigned char>(out[i]);
          if (u > 0x20 && u < 0x7f) out[i] = out[i] == 'Z' ? 'Y' : 'Z';
        }
      }
    }
    line_start = line_end + 1;
  }
  return out;
}

std::string outcome(const gb::Result<gb::config::Credentials>& parsed) {
  if (!parsed.ok()) return parsed.error().message;
  if (auto valid = gb::config::validate_credentials(*parsed); !valid.ok()) return valid.error().message;
  return "ok " + parsed->client_id;
}

void fuzz_credentials(std::string_view text) {
  auto parsed = gb::config::parse_credentials_text(text, "credentials file f");
  if (!parsed.ok()) check(parsed.error().kind == gb::ErrorKind::kInvalidInput);
  const std::string masked = mask_secrets(text);
  check(outcome(parsed) == outcome(gb::config::parse_credentials_text(masked, "credentials file f")));
}

void fuzz_hosts(std::string_view text) {
  gb::config::HostSettings hosts;
  hosts.region = next_line(text);
  hosts.env_domain = next_line(text);
  hosts.login_url = next_line(text);
  hosts.api_url = next_line(text);
  auto resolved = gb::api::resolve_hosts(hosts);
  if (!resolved.ok()) {
    check(resolved.error().kind == gb::ErrorKind::kInvalidInput);
    return;
  }
  check(gb::http::parse_url(resolved->login_url).ok());
  check(gb::http::parse_url(resolved->api_url).ok());
  if (hosts.login_url.empty()) {
    check(resolved->login_url.starts_with("https://login."));
    check(resolved->api_url == "https://api." + resolved->login_url.substr(14));
  }
}

void fuzz_export_type(std::string_view text) {
  auto type = gb::api::ExportType::parse(text);
  if (!type.ok()) {
    check(type.error().kind == gb::ErrorKind::kInvalidInput);
    return;
  }
  check(type->to_string() == text);
}

void fuzz_sink_url(std::string_view text) {
  auto checked = gb::app::check_store_urls(text, "");
  if (!checked.ok()) check(checked.error().kind == gb::ErrorKind::kInvalidInput);
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: fuzz_credentials(text); break;
    case 1: fuzz_hosts(text); break;
    case 2: fuzz_export_type(text); break;
    default: fuzz_sink_url(text); break;
  }
  return 0;
}
