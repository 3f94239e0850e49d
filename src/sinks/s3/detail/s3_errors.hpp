#pragma once
// The one place where S3's answers and libcurl's codes become Errors, so the
// pipeline retries what may succeed: 5xx, 429, SlowDown, RequestTimeout,
// resets and timeouts are kTransient; 4xx (NoSuchBucket, AccessDenied,
// SignatureDoesNotMatch, InvalidArgument, ...) kPermanent with S3's error
// code in the message. Messages name the operation and the object
// ("s3://bucket/key"), never credentials.
#include <curl/curl.h>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::s3::detail {

// The text of the first <Tag>...</Tag> in an S3 XML body ("" when absent).
std::string xml_value(std::string_view xml, std::string_view tag);

// An HTTP answer that is not a success. `body` is S3's XML error document
// (possibly empty: HEAD, or a proxy's page). `what` is "PUT s3://b/k".
Error s3_http_error(long status, std::string_view body, std::string_view what);

// A 200 whose body is an <Error> document (CompleteMultipartUpload may
// answer so after a long wait): classified by its code like s3_http_error.
Error s3_error_in_ok_body(std::string_view body, std::string_view what);

// A transfer that got no complete HTTP answer.
Error curl_failure(CURLcode code, std::string_view curl_message, std::string_view what);

}  // namespace gb::sinks::s3::detail
