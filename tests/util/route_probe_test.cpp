// util/route_probe: asking the kernel for a route without sending anything.
#include "util/route_probe.hpp"

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/network_namespace.hpp"
#include "tests/support/test_support.hpp"
#include "util/error.hpp"

using namespace kiln;

TEST_CASE("url_ip_literal finds IPv4 and IPv6 literals and nothing else", "[unit]") {
  CHECK(url_ip_literal("http://169.254.169.254") == "169.254.169.254");
  CHECK(url_ip_literal("http://127.0.0.1:8080/latest/api?x=1") == "127.0.0.1");
  CHECK(url_ip_literal("http://[fd00:ec2::254]/latest/") == "fd00:ec2::254");
  CHECK(url_ip_literal("https://[::1]:8443") == "::1");
  CHECK(url_ip_literal("http://user:pw@10.0.0.1:5/") == "10.0.0.1");
  CHECK_FALSE(url_ip_literal("http://metadata.example/latest"));
  CHECK_FALSE(url_ip_literal("http://[fd00:ec2::254/latest"));
  CHECK_FALSE(url_ip_literal("169.254.169.254"));
  CHECK_FALSE(url_ip_literal("http://999.1.1.1/"));
}

TEST_CASE("has_route_to: loopback is routable here; a non-address is an error", "[unit]") {
  CHECK(has_route_to("127.0.0.1"));
  CHECK(wait_for_route("127.0.0.1", std::chrono::milliseconds(0)));
  try {
    has_route_to("metadata.example");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "find a route to 'metadata.example': not an IPv4 or IPv6 address");
  }
}

TEST_CASE("wait_for_route waits for a route that appears, and gives up on one that does not",
          "[root]") {
  if (!test::is_root()) return test::skip("needs root for a network namespace");
  int code = test::run_in_new_network_namespace([] {
    // Loopback is down in a new namespace: nothing is routable yet.
    if (has_route_to("127.0.0.1")) return 10;
    if (wait_for_route("127.0.0.1", std::chrono::milliseconds(200))) return 11;
    std::thread later([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      try {
        test::bring_loopback_up();
      } catch (const Error&) {
        // wait_for_route then runs out: code 12.
      }
    });
    bool found = wait_for_route("127.0.0.1", std::chrono::seconds(20));
    later.join();
    if (!found) return 12;
    // Up, loopback routes only its own addresses.
    if (!has_route_to("127.0.0.1") || has_route_to("169.254.169.254")) return 13;
    return 0;
  });
  CHECK(code == 0);
}
