#pragma once
// `genesys-bulk dlq list | show ID | replay ID | purge`: the worker's dead
// letters (worker/dlq_admin.hpp) on a broker.
#include <cstddef>
#include <cstdio>
#include <string>

#include "base/result.hpp"

namespace gb::app {

struct DlqOptions {
  std::string broker_url;              // amqp://USER:PASS@HOST:PORT/VHOST
  std::string queue = "genesys-bulk";  // the work queue; its dead letters are <queue>.dlq
  std::string action;                  // list | show | replay | purge
  std::string task_id;                 // show, replay
  std::size_t limit = 1000;            // how many dead letters are read at most
};

// Writes what it found to `out`. kInvalidInput for a bad action, URL or a
// task id with no dead letter.
Status run_dlq(const DlqOptions& options, std::FILE* out);

}  // namespace gb::app
