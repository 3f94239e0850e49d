#pragma once
// `genesys-bulk submit`: publishes a Celery-format task (what Python's
// send_task would), prints its id, and with --wait waits for its result.
#include <chrono>
#include <cstdio>
#include <string>

#include "base/result.hpp"

namespace gb::app {

struct SubmitOptions {
  std::string broker_url;  // amqp://USER:PASS@HOST:PORT/VHOST
  std::string queue = "genesys-bulk";
  std::string type;        // the job type, as the task's job_type argument
  std::string job_id;      // process_bulk_job_task(job_id, job_type) ...
  std::string query_json;  // ... or submit_bulk_job(job_type, query)
  bool wait = false;
  std::string result_backend = "rpc://";  // where --wait reads the result: rpc:// | redis://HOST:PORT/DB
  std::chrono::seconds timeout{3600};
};

// Prints the task id (one line), then with `wait` the result document's
// "result" (one JSON line). Ok when the task was published (and, waiting,
// succeeded); a FAILURE/REVOKED result is an Error with its reason.
Status run_submit(const SubmitOptions& options, std::FILE* out);

}  // namespace gb::app
