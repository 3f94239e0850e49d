#pragma once
// RFC 4648 base64 with padding, both ways (dead letters keep message bodies
// as base64: they may be any bytes).
#include <optional>
#include <string>
#include <string_view>

namespace gb::worker::detail {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not canonical padded base64 (length a multiple
// of 4, alphabet, padding only at the end).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gb::worker::detail
