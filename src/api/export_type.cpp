// ExportType from the seam header api/jobs_api.hpp.
#include <fmt/format.h>

#include "api/jobs_api.hpp"
#include "base/ids.hpp"

namespace gb::api {

Result<ExportType> ExportType::parse(std::string_view text) {
  constexpr std::string_view kBulkPrefix = "bulk:";
  ExportType type;
  if (text == "conversations") {
    type.kind = JobKind::kConversations;
  } else if (text == "users") {
    type.kind = JobKind::kUsers;
  } else if (text.starts_with(kBulkPrefix)) {
    const std::string_view job_type = text.substr(kBulkPrefix.size());
    // It goes into a URL path: the same rule as any id.
    if (!is_valid_id(job_type)) {
      return invalid_input("bulk job type must be 1-128 of A-Z a-z 0-9 . _ - (e.g. bulk:users)");
    }
    type.kind = JobKind::kBulk;
    type.bulk_job_type = std::string(job_type);
  } else {
    return invalid_input("export type must be conversations, users or bulk:<jobType>");
  }
  return type;
}

std::string ExportType::to_string() const {
  switch (kind) {
    case JobKind::kConversations: return "conversations";
    case JobKind::kUsers: return "users";
    case JobKind::kBulk: return "bulk:" + bulk_job_type;
  }
  return "unknown";
}

records::KeyField ExportType::key_field() const {
  switch (kind) {
    case JobKind::kConversations: return records::KeyField::kConversationId;
    case JobKind::kUsers: return records::KeyField::kUserId;
    case JobKind::kBulk: return records::KeyField::kId;
  }
  return records::KeyField::kId;
}

std::string_view ExportType::results_key() const {
  switch (kind) {
    case JobKind::kConversations: return "conversations";
    case JobKind::kUsers: return "userDetails";
    case JobKind::kBulk: return "";
  }
  return "";
}

}  // namespace gb::api
