// The HTTP listener's end (http/http_server.h): a kept-alive connection
// waiting for its next request does not hold it, and a request being
// served when it stops still gets its response.
#include "http/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>

namespace classifyd {
namespace {

using namespace std::chrono_literals;

// Far longer than the bound below: a listener that waited for its idle
// connections would be caught.
constexpr time_t kKeepAliveSeconds = 120;

std::unique_ptr<HttpServer> StartServing(
    std::function<void(httplib::Response&)> handler) {
  auto http = std::make_unique<httplib::Server>();
  http->set_keep_alive_timeout(kKeepAliveSeconds);
  http->Get("/", [handler](const httplib::Request&, httplib::Response& res) {
    handler(res);
  });
  auto server = HttpServer::Start(std::move(http), "127.0.0.1:0");
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServerTest, StopsWithoutWaitingForIdleKeptAliveConnections) {
  auto server = StartServing(
      [](httplib::Response& res) { res.set_content("ok", "text/plain"); });
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  client.set_keep_alive(true);
  const auto reply = client.Get("/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);

  auto stopped = std::async(std::launch::async, [&] { server.reset(); });
  EXPECT_EQ(stopped.wait_for(30s), std::future_status::ready)
      << "the kept-alive connection held the listener";
  stopped.wait();
}

TEST(HttpServerTest, ARequestBeingServedWhenItStopsGetsItsResponse) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  auto server = StartServing([&](httplib::Response& res) {
    entered.set_value();
    released.wait();
    res.set_content("done", "text/plain");
  });
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  client.set_keep_alive(true);
  client.set_read_timeout(60s);
  auto reply = std::async(std::launch::async, [&] { return client.Get("/"); });
  entered.get_future().wait();

  auto stopped = std::async(std::launch::async, [&] { server.reset(); });
  // Long enough for the stop to have reached the connection.
  EXPECT_EQ(stopped.wait_for(200ms), std::future_status::timeout);
  release.set_value();
  const auto result = reply.get();
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "done");
  stopped.wait();
}

}  // namespace
}  // namespace classifyd
