// The HTTP listener's end (http/http_server.h): a request being served
// when it stops still gets its response.
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

std::unique_ptr<HttpServer> StartServing(
    std::function<void(httplib::Response&)> handler) {
  auto http = std::make_unique<httplib::Server>();
  http->Get("/", [handler](const httplib::Request&, httplib::Response& res) {
    handler(res);
  });
  auto server = HttpServer::Start(std::move(http), "127.0.0.1:0");
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
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
