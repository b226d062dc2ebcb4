// The Retirer: queued work runs in order on a thread of its own, Retire()
// never waits for it, Drain() and the destructor finish it.
#include "registry/retirer.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace classifyd {
namespace {

TEST(RetirerTest, RunsQueuedWorkInOrderOffTheCallingThread) {
  Retirer retirer(/*trim=*/false);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 5; ++i) {
    retirer.Retire([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    });
  }
  retirer.Drain();
  EXPECT_EQ(retirer.completed(), 5u);
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  for (const std::thread::id& id : threads) {
    EXPECT_EQ(id, threads[0]);
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST(RetirerTest, RetireDoesNotWaitForWorkInProgress) {
  Retirer retirer(/*trim=*/false);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  retirer.Retire([&] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  // The first job is blocked: queuing more returns at once.
  bool second_ran = false;
  retirer.Retire([&] { second_ran = true; });
  EXPECT_EQ(retirer.completed(), 0u);
  release.set_value();
  retirer.Drain();
  EXPECT_TRUE(second_ran);
  EXPECT_EQ(retirer.completed(), 2u);
}

TEST(RetirerTest, DestructorFinishesTheQueue) {
  int ran = 0;
  {
    Retirer retirer(/*trim=*/true);
    for (int i = 0; i < 3; ++i) retirer.Retire([&ran] { ++ran; });
  }
  EXPECT_EQ(ran, 3);
}

TEST(RetirerTest, RunNowRunsOnTheSameThreadAfterQueuedRetirements) {
  Retirer retirer(/*trim=*/false);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread::id retire_thread;
  bool retired = false;
  retirer.Retire([&] {
    released.wait();
    retire_thread = std::this_thread::get_id();
    retired = true;
  });
  std::thread::id run_thread;
  bool saw_retired = false;
  std::thread caller([&] {
    retirer.RunNow([&] {
      run_thread = std::this_thread::get_id();
      saw_retired = retired;
      // Nested: from the control thread itself it runs at once.
      retirer.RunNow([] {});
    });
  });
  release.set_value();
  caller.join();  // RunNow returned: its work has run.
  EXPECT_TRUE(saw_retired);
  EXPECT_EQ(run_thread, retire_thread);
  // Only retirements are counted.
  EXPECT_EQ(retirer.completed(), 1u);
}

TEST(RetirerTest, DrainReturnsAtOnceWhenIdle) {
  Retirer retirer(/*trim=*/false);
  retirer.Drain();
  EXPECT_EQ(retirer.completed(), 0u);
}

}  // namespace
}  // namespace classifyd
