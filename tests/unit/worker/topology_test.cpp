#include "worker/topology.hpp"

#include <gtest/gtest.h>

namespace gb::worker {
namespace {

TEST(Topology, DeclaresTheWorkQueueAsCeleryDoes) {
  const DelayLadder ladder("genesys-bulk");
  const auto queues = worker_queues(ladder);
  ASSERT_EQ(queues.size(), ladder.steps().size() + 2);
  EXPECT_EQ(queues.front().name, "genesys-bulk");
  EXPECT_TRUE(queues.front().durable);
  EXPECT_TRUE(queues.front().arguments.empty());  // anything else: PRECONDITION_FAILED for Python producers
  EXPECT_EQ(queues[1].name, "genesys-bulk.delay.1s");
  EXPECT_EQ(queues[1].arguments, ladder.queue_arguments(ladder.steps()[0]));
  EXPECT_EQ(queues.back().name, "genesys-bulk.dlq");
  EXPECT_TRUE(queues.back().durable);
  EXPECT_TRUE(queues.back().arguments.empty());
}

}  // namespace
}  // namespace gb::worker
