#include "records/record.hpp"

namespace gb::records {

std::string_view key_field_name(KeyField field) {
  switch (field) {
    case KeyField::kConversationId: return "conversationId";
    case KeyField::kUserId: return "userId";
    case KeyField::kId: return "id";
  }
  return "id";
}

}  // namespace gb::records
